import Synchronization

/// Runs a driver on ``DriverLifecycle``: holds its state, takes transitions one at a time,
/// and calls the driver's `perform` for each action, feeding back the event it leads to.
/// The part of a driver that is the same for every device; the driver supplies only what
/// each action means for its hardware.
///
/// Threads: any (start, stop, a supervisor). Each transition is taken under a lock, and
/// the new state is posted to the session's events under the same lock, so states are
/// posted in the order they are entered; actions run outside it (they block on I/O).
public final class DriverLifecycleRunner: Sendable {
    private let current = Mutex<DeviceState>(.closed)

    public init() {}

    /// The state now (a lock is taken: not for per-sample use).
    public var state: DeviceState { current.withLock { $0 } }

    /// Feeds `event`, performs the actions of each transition in order and feeds their
    /// outcomes back, until an action leads nowhere or the lifecycle refuses an event
    /// (the driver then stays where it is).
    public func run(from event: DriverLifecycle.Event, events: DeviceEvents, perform: (DriverLifecycle.Action) -> DriverLifecycle.Event?) {
        var next: DriverLifecycle.Event? = event
        while let event = next {
            next = nil
            guard let transition = take(event, events: events) else { return }
            for action in transition.actions {
                if let outcome = perform(action) { next = outcome }
            }
        }
    }

    /// Takes the transition for `event`, posting the new state when it changes.
    private func take(_ event: DriverLifecycle.Event, events: DeviceEvents) -> DriverLifecycle.Transition? {
        current.withLock { state in
            guard let transition = DriverLifecycle.transition(from: state, on: event) else { return nil }
            if transition.state != state { events.post(.state(transition.state)) }
            state = transition.state
            return transition
        }
    }
}
