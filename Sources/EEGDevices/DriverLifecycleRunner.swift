import Foundation

/// Runs a driver on ``DriverLifecycle``: holds its state, takes transitions one at a time,
/// and calls the driver's `perform` for each action, feeding back the event it leads to.
/// ``DriverSupervisor`` drives it for a real driver (start, stop, reconnection), which
/// supplies only what each link action means for its hardware.
///
/// Threads: any (start, stop, a supervisor). Each transition is taken under a lock, and
/// the new state is posted to the session's events under the same lock, so states are
/// posted in the order they are entered; actions run outside it (they block on I/O).
///
/// The lock is a pthread mutex (`NSLock`), not `Synchronization.Mutex`: ThreadSanitizer
/// sees the pthread calls as synchronisation, but not the futex inside the prebuilt
/// Synchronization library, and reported the state handed between the stopping thread
/// and the supervisor's as a race.
public final class DriverLifecycleRunner: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var current = DeviceState.closed

    public init() {}

    /// The state now (a lock is taken: not for per-sample use).
    public var state: DeviceState { lock.withLock { current } }

    /// Feeds `event`, performs the actions of each transition in order and feeds the
    /// outcome back, until a transition ends without one or the lifecycle refuses an
    /// event (the driver then stays where it is).
    ///
    /// `perform` must return an event for exactly the actions that
    /// ``DriverLifecycle/Action/leadsToEvent`` (which a transition holds only last), and
    /// nil for the others: anything else is a driver bug and stops the process, never an
    /// outcome silently dropped or overwritten.
    public func run(from event: DriverLifecycle.Event, events: DeviceEvents, perform: (DriverLifecycle.Action) -> DriverLifecycle.Event?) {
        var next: DriverLifecycle.Event? = event
        while let event = next {
            guard let transition = take(event, events: events) else { return }
            next = nil
            for action in transition.actions {
                let outcome = perform(action)
                precondition((outcome != nil) == action.leadsToEvent,
                             "\(action) \(action.leadsToEvent ? "must lead to an event" : "leads to no event") (it returned \(outcome.map(\.rawValue) ?? "none"))")
                next = outcome
            }
        }
    }

    /// Takes the transition for `event`, posting the new state when it changes.
    private func take(_ event: DriverLifecycle.Event, events: DeviceEvents) -> DriverLifecycle.Transition? {
        lock.withLock {
            guard let transition = DriverLifecycle.transition(from: current, on: event) else { return nil }
            if transition.state != current { events.post(.state(transition.state)) }
            current = transition.state
            return transition
        }
    }
}
