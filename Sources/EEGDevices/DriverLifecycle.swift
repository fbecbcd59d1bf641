/// The life of a streaming device driver as a pure transition function: given the state
/// and what happened, the next state and the actions to take, in order.
/// ``DriverSupervisor`` performs the actions for a driver (the Cyton's; a BLE headset's
/// next), which supplies only what opening, configuring, starting and releasing its link
/// mean, and feeds their outcomes back as events; no driver decides a state itself, so
/// every path is in one table that tests read row by row.
///
/// ```
/// closed → opening → configuring → streaming → stopping → closed
///                                    │  ▲
///                       link lost    ▼  │ found again, reconfigured
///                           disconnected → reconnecting ⟲ retry
/// ```
///
/// Cleanup is declared, not improvised (after libfprint's state machines): a stop from
/// any state that holds resources runs ``cleanup`` — the supervisor joined, the link in
/// hand released, the session's output finished — then `closed`. A start that fails
/// releases exactly what its step had opened and closes the capture before throwing. A
/// link that turns up while stopping (a reconnection racing the stop) is released, never
/// started.
///
/// Pure: no I/O, no clock, no threads; `Sendable` values only.
public enum DriverLifecycle {
    /// What happened: a request, or the outcome of an action.
    public enum Event: String, Sendable, Equatable, CaseIterable {
        /// `start` was called.
        case startRequested
        /// The link to the device is open (outcome of ``Action/openLink``).
        case opened
        /// The link could not be opened: absent, busy, denied.
        case openFailed
        /// The device is set up to stream (outcome of ``Action/configure``).
        case configured
        /// The device did not answer as it should while being set up.
        case configureFailed
        /// Bytes are being received and the device was told to stream.
        case streamingStarted
        /// Receiving, or the command to stream, failed.
        case startFailed
        /// The stream ended by itself: the device was unplugged.
        case linkLost
        /// The stream ended by itself with another failure (a transfer error, a stall, a
        /// read error): reported, then handled as ``linkLost``.
        case linkFailed
        /// Time to try reconnecting: at once after a loss, then when a hotplug arrival
        /// or the reconnect interval wakes the supervisor.
        case retryDue
        /// `stop` was called.
        case stopRequested
        /// The cleanup has run (outcome of ``Action/finishOutput``).
        case cleanedUp
    }

    /// What the driver does. Actions marked with an outcome feed that event back.
    public enum Action: String, Sendable, Equatable, CaseIterable {
        /// Open the link. Outcome: ``Event/opened`` or ``Event/openFailed``.
        case openLink
        /// Set the device up (stop, reset, channels). Outcome: `configured` or `configureFailed`.
        case configure
        /// Start receiving, then tell the device to stream; sample indices from 0.
        /// Outcome: `streamingStarted` or `startFailed`.
        case startStreaming
        /// As ``startStreaming``, continuing the sample indices after the time away.
        case resumeStreaming
        /// Close the link in hand: nothing runs on it yet.
        case closeLink
        /// Tell the device to stop (best effort), then close the link in hand.
        case abandonLink
        /// The stream ended by itself: stop receiving and close (no command: the link is gone).
        case dropLink
        /// Tell the device to stop (best effort), stop receiving, close: the link in hand,
        /// or else the streaming one.
        case releaseLink
        /// Tell the session why the stream ended. Outcome: ``Event/linkLost``.
        case reportLinkFailure
        /// Tell the session why the device cannot be used again — once per reason, and
        /// never for "not there (yet)", which is what reconnecting means.
        case reportReconnectFailure
        /// Tell the session the span lost while away, as a gap.
        case reportGap
        /// Outcome: ``Event/retryDue`` at once.
        case retryNow
        /// Wait for a hotplug arrival, the reconnect interval or a stop. Outcome: `retryDue`.
        case awaitRetry
        /// Start the thread that watches the stream and reconnects.
        case startSupervisor
        /// Wake the supervisor and wait for it to end.
        case stopSupervisor
        /// Close the raw capture and finish the ring's producer. Outcome: ``Event/cleanedUp``.
        case finishOutput
        /// Close the raw capture (a start failed: the session never began).
        case closeCapture
        /// `start` throws the error of the step that failed.
        case failStart
    }

    /// The next state and the actions to take, in order. At most one action leads to
    /// another event, and it comes last: the runner feeds back exactly that outcome, so
    /// none is ever overwritten or lost.
    public struct Transition: Sendable, Equatable {
        public let state: DeviceState
        public let actions: [Action]
        public init(_ state: DeviceState, _ actions: [Action] = []) {
            precondition(!actions.dropLast().contains(where: \.leadsToEvent),
                         "only the last action of a transition may lead to an event: \(actions)")
            self.state = state
            self.actions = actions
        }
    }

    /// What a stop runs from any state holding resources, always, whatever it was doing.
    public static let cleanup: [Action] = [.stopSupervisor, .releaseLink, .finishOutput]

    /// The transition for `event` in `state`, or nil for an event that cannot happen
    /// there (the driver ignores it).
    public static func transition(from state: DeviceState, on event: Event) -> Transition? {
        switch state {
        case .closed: return fromClosed(event)
        case .opening: return fromOpening(event)
        case .configuring: return fromConfiguring(event)
        case .streaming: return fromStreaming(event)
        case .disconnected: return fromDisconnected(event)
        case .reconnecting: return fromReconnecting(event)
        case .stopping: return fromStopping(event)
        }
    }

    private static func fromClosed(_ event: Event) -> Transition? {
        switch event {
        case .startRequested: return Transition(.opening, [.openLink])
        case .stopRequested: return Transition(.closed)
        default: return nil
        }
    }

    private static func fromOpening(_ event: Event) -> Transition? {
        switch event {
        case .opened: return Transition(.configuring, [.configure])
        case .openFailed: return Transition(.closed, [.closeCapture, .failStart])
        default: return nil
        }
    }

    private static func fromConfiguring(_ event: Event) -> Transition? {
        switch event {
        case .configured: return Transition(.configuring, [.startStreaming])
        case .configureFailed: return Transition(.closed, [.abandonLink, .closeCapture, .failStart])
        case .streamingStarted: return Transition(.streaming, [.startSupervisor])
        case .startFailed: return Transition(.closed, [.releaseLink, .closeCapture, .failStart])
        default: return nil
        }
    }

    private static func fromStreaming(_ event: Event) -> Transition? {
        switch event {
        case .linkFailed: return Transition(.streaming, [.reportLinkFailure])
        case .linkLost: return Transition(.disconnected, [.dropLink, .retryNow])
        // A hotplug arrival while streaming: nothing to do.
        case .retryDue: return Transition(.streaming)
        case .stopRequested: return Transition(.stopping, cleanup)
        default: return nil
        }
    }

    private static func fromDisconnected(_ event: Event) -> Transition? {
        switch event {
        case .retryDue: return Transition(.reconnecting, [.openLink])
        case .stopRequested: return Transition(.stopping, cleanup)
        default: return nil
        }
    }

    private static func fromReconnecting(_ event: Event) -> Transition? {
        switch event {
        case .retryDue: return Transition(.reconnecting, [.openLink])
        case .opened: return Transition(.reconnecting, [.configure])
        case .openFailed: return Transition(.reconnecting, [.reportReconnectFailure, .awaitRetry])
        case .configured: return Transition(.reconnecting, [.resumeStreaming])
        case .configureFailed: return Transition(.reconnecting, [.closeLink, .reportReconnectFailure, .awaitRetry])
        case .streamingStarted: return Transition(.streaming, [.reportGap])
        case .startFailed: return Transition(.reconnecting, [.releaseLink, .awaitRetry])
        case .stopRequested: return Transition(.stopping, cleanup)
        default: return nil
        }
    }

    /// While stopping, the supervisor may still finish a step it had begun: what it
    /// opened is released, nothing is started, and its link events change nothing.
    private static func fromStopping(_ event: Event) -> Transition? {
        switch event {
        case .cleanedUp: return Transition(.closed)
        case .opened, .configureFailed: return Transition(.stopping, [.closeLink])
        case .configured, .startFailed: return Transition(.stopping, [.releaseLink])
        case .openFailed, .streamingStarted, .linkLost, .linkFailed, .retryDue, .stopRequested: return Transition(.stopping)
        case .startRequested: return nil
        }
    }
}

extension DriverLifecycle.Action {
    /// Whether performing this action yields the next event (its outcome, documented on
    /// each case); every other action yields none.
    public var leadsToEvent: Bool {
        switch self {
        case .openLink, .configure, .startStreaming, .resumeStreaming, .reportLinkFailure, .retryNow, .awaitRetry, .finishOutput:
            return true
        case .closeLink, .abandonLink, .dropLink, .releaseLink, .reportReconnectFailure, .reportGap, .startSupervisor,
             .stopSupervisor, .closeCapture, .failStart:
            return false
        }
    }
}
