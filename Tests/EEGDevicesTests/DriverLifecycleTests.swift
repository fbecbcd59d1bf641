import Testing
@testable import EEGDevices

/// The driver lifecycle as a table: every state × every event, the next state and the
/// actions in order, or "—" for an event that cannot happen there. Written out by hand
/// from the intended behaviour, row by row, so any change to a transition shows here.
@Suite("Driver lifecycle")
struct DriverLifecycleTests {
    static let cleanup = "stopSupervisor releaseLink finishOutput"

    /// "event: next-state action action …" per state; events not listed are "—".
    static let table: [DeviceState: [DriverLifecycle.Event: String]] = [
        .closed: [
            .startRequested: "opening openLink",
            .stopRequested: "closed",
        ],
        .opening: [
            .opened: "configuring configure",
            .openFailed: "closed closeCapture failStart",
        ],
        .configuring: [
            .configured: "configuring startStreaming",
            .configureFailed: "closed abandonLink closeCapture failStart",
            .streamingStarted: "streaming startSupervisor",
            .startFailed: "closed releaseLink closeCapture failStart",
        ],
        .streaming: [
            .linkFailed: "streaming reportLinkFailure",
            .linkLost: "disconnected dropLink retryNow",
            .retryDue: "streaming",
            .stopRequested: "stopping \(cleanup)",
        ],
        .disconnected: [
            .retryDue: "reconnecting openLink",
            .stopRequested: "stopping \(cleanup)",
        ],
        .reconnecting: [
            .retryDue: "reconnecting openLink",
            .opened: "reconnecting configure",
            .openFailed: "reconnecting reportReconnectFailure awaitRetry",
            .configured: "reconnecting resumeStreaming",
            .configureFailed: "reconnecting closeLink reportReconnectFailure awaitRetry",
            .streamingStarted: "streaming reportGap",
            .startFailed: "reconnecting releaseLink awaitRetry",
            .stopRequested: "stopping \(cleanup)",
        ],
        .stopping: [
            .cleanedUp: "closed",
            .opened: "stopping closeLink",
            .configureFailed: "stopping closeLink",
            .configured: "stopping releaseLink",
            .startFailed: "stopping releaseLink",
            .openFailed: "stopping",
            .streamingStarted: "stopping",
            .linkLost: "stopping",
            .linkFailed: "stopping",
            .retryDue: "stopping",
            .stopRequested: "stopping",
        ],
    ]

    static var everyPair: [(DeviceState, DriverLifecycle.Event)] {
        DeviceState.allCases.flatMap { state in DriverLifecycle.Event.allCases.map { (state, $0) } }
    }

    @Test("every state × event gives the tabled next state and actions, or is refused", arguments: everyPair)
    func transition(state: DeviceState, event: DriverLifecycle.Event) {
        let got = DriverLifecycle.transition(from: state, on: event).map { t in
            ([t.state.rawValue] + t.actions.map(\.rawValue)).joined(separator: " ")
        } ?? "—"
        #expect(got == Self.table[state]?[event] ?? "—", "\(state) on \(event)")
    }

    @Test("the table covers every state; 84 pairs, of which 33 are transitions")
    func coverage() {
        #expect(Self.everyPair.count == 7 * 12)
        #expect(Set(Self.table.keys) == Set(DeviceState.allCases))
        let defined = Self.everyPair.filter { DriverLifecycle.transition(from: $0.0, on: $0.1) != nil }
        #expect(defined.count == 33)
    }

    @Test("a stop from every state holding resources runs the declared cleanup, then closes")
    func cleanupAlwaysRuns() {
        for state in [DeviceState.streaming, .disconnected, .reconnecting] {
            #expect(DriverLifecycle.transition(from: state, on: .stopRequested) == .init(.stopping, DriverLifecycle.cleanup))
        }
        #expect(DriverLifecycle.cleanup == [.stopSupervisor, .releaseLink, .finishOutput])
        #expect(DriverLifecycle.transition(from: .stopping, on: .cleanedUp) == .init(.closed))
    }

    @Test("at most one action of a transition leads to another event, and it comes last (the driver runs them in order)")
    func oneOutcomeLast() {
        let leading: Set<DriverLifecycle.Action> = [.openLink, .configure, .startStreaming, .resumeStreaming, .reportLinkFailure,
                                                     .retryNow, .awaitRetry, .finishOutput]
        for (state, event) in Self.everyPair {
            guard let actions = DriverLifecycle.transition(from: state, on: event)?.actions else { continue }
            let positions = actions.indices.filter { leading.contains(actions[$0]) }
            #expect(positions.count <= 1 && positions.allSatisfy { $0 == actions.count - 1 }, "\(state) on \(event): \(actions)")
        }
        // The runner's and Transition's checks use the same classification.
        #expect(Set(DriverLifecycle.Action.allCases.filter(\.leadsToEvent)) == leading)
    }

    @Test("a perform that returns an outcome for an action without one stops the process, never silently overwrites")
    func runnerRefusesStrayOutcome() async {
        await #expect(processExitsWith: .failure) {
            // Opening fails → closeCapture, failStart; closeCapture "returning" an event is a driver bug.
            DriverLifecycleRunner().run(from: .startRequested, events: DeviceEvents()) { action in
                switch action {
                case .openLink: return .openFailed
                default: return .retryDue
                }
            }
        }
    }

    @Test("a perform that returns no outcome for an action that needs one stops the process, never stalls")
    func runnerRefusesMissingOutcome() async {
        await #expect(processExitsWith: .failure) {
            DriverLifecycleRunner().run(from: .startRequested, events: DeviceEvents()) { _ in nil }
        }
    }

    @Test("a transition with an outcome action before the last is refused when built")
    func transitionRefusesEarlyOutcome() async {
        await #expect(processExitsWith: .failure) {
            _ = DriverLifecycle.Transition(.opening, [.openLink, .closeCapture])
        }
        // The same actions with the outcome last are a valid transition.
        #expect(DriverLifecycle.Transition(.opening, [.closeCapture, .openLink]).actions == [.closeCapture, .openLink])
    }

    /// Runs a script of outcomes through the table from `state`, as a driver would:
    /// returns the states entered (changes only) and every action taken.
    func walk(from state: DeviceState, _ events: [DriverLifecycle.Event]) -> (states: [DeviceState], actions: [DriverLifecycle.Action]) {
        var state = state, states: [DeviceState] = [], actions: [DriverLifecycle.Action] = []
        for event in events {
            guard let t = DriverLifecycle.transition(from: state, on: event) else {
                Issue.record("\(event) refused in \(state)")
                break
            }
            if t.state != state { states.append(t.state) }
            state = t.state
            actions += t.actions
        }
        return (states, actions)
    }

    @Test("a session: start, a failed link, a failed reopen, back to streaming, stop — the states a session sees")
    func session() {
        let run = walk(from: .closed, [.startRequested, .opened, .configured, .streamingStarted,
                                       .linkFailed, .linkLost, .retryDue, .openFailed, .retryDue, .opened, .configured,
                                       .streamingStarted, .stopRequested, .cleanedUp])
        #expect(run.states == [.opening, .configuring, .streaming, .disconnected, .reconnecting, .streaming, .stopping, .closed])
        #expect(run.actions == [.openLink, .configure, .startStreaming, .startSupervisor,
                                .reportLinkFailure, .dropLink, .retryNow, .openLink, .reportReconnectFailure, .awaitRetry,
                                .openLink, .configure, .resumeStreaming, .reportGap,
                                .stopSupervisor, .releaseLink, .finishOutput])
    }

    @Test("every link opened is closed or released on every path (each open balanced by one release)")
    func linksBalanced() {
        // Paths from an open to the end of that link, whatever happens next.
        let paths: [(DeviceState, [DriverLifecycle.Event])] = [
            (.opening, [.opened, .configureFailed]),
            (.opening, [.opened, .configured, .startFailed]),
            (.opening, [.opened, .configured, .streamingStarted, .stopRequested, .cleanedUp]),
            (.reconnecting, [.opened, .configureFailed]),
            (.reconnecting, [.opened, .configured, .startFailed]),
            (.reconnecting, [.opened, .configured, .streamingStarted, .linkLost]),
            (.reconnecting, [.opened, .configured, .streamingStarted, .stopRequested, .cleanedUp]),
            // A reconnection racing a stop, at each step.
            (.stopping, [.opened]),
            (.stopping, [.configured]),
            (.stopping, [.configureFailed]),
            (.stopping, [.startFailed]),
        ]
        let ends: Set<DriverLifecycle.Action> = [.closeLink, .abandonLink, .dropLink, .releaseLink]
        for (start, events) in paths {
            let actions = walk(from: start, events).actions
            #expect(actions.filter(ends.contains).count == 1, "\(start) \(events): \(actions)")
        }
    }

    @Test("the runner performs each action in order, feeds outcomes back, and posts each new state once")
    func runner() {
        let runner = DriverLifecycleRunner()
        let events = DeviceEvents()
        var performed: [DriverLifecycle.Action] = []
        // What a device answers: the link opens, then configuring it fails.
        runner.run(from: .startRequested, events: events) { action in
            performed.append(action)
            switch action {
            case .openLink: return .opened
            case .configure: return .configureFailed
            default: return nil
            }
        }
        #expect(performed == [.openLink, .configure, .abandonLink, .closeCapture, .failStart])
        #expect(events.drain() == [.state(.opening), .state(.configuring), .state(.closed)])
        #expect(runner.state == .closed)
        // A refused event changes nothing and performs nothing.
        performed = []
        runner.run(from: .linkLost, events: events) { performed.append($0); return nil }
        #expect(performed.isEmpty && events.drain().isEmpty && runner.state == .closed)
        // Streaming, a hotplug wake-up (retry due) stays streaming and posts nothing.
        runner.run(from: .startRequested, events: events) { action in
            switch action {
            case .openLink: return .opened
            case .configure: return .configured
            case .startStreaming: return .streamingStarted
            default: return nil
            }
        }
        #expect(events.drain() == [.state(.opening), .state(.configuring), .state(.streaming)])
        runner.run(from: .retryDue, events: events) { _ in nil }
        #expect(events.drain().isEmpty && runner.state == .streaming)
    }
}
