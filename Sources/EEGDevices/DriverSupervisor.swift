import EEGCore
import Foundation
import Synchronization

/// What a driver supplies to ``DriverSupervisor``: what each link action of
/// ``DriverLifecycle`` means for its hardware. Everything else — the transitions, the
/// supervisor thread, retrying on hotplug arrivals or the interval, the once-per-reason
/// failure reports, the gap estimate after a reconnection, releasing a link that turns up
/// while stopping — is the supervisor's, the same for every driver.
///
/// Threads: `openLink`, `configure`, `startStreaming` and the link-ending calls run on the
/// caller of `start`/`stop` or on the supervisor's thread, one at a time per link.
public protocol SupervisedHardware: AnyObject, Sendable {
    /// The link to the device: the Cyton's ``ByteTransport``, a BLE headset's connection.
    associatedtype Link
    /// Samples per second per channel: the span lost while away is the time away at this rate.
    var sampleRate: Double { get }
    /// The sample index of the last frame pushed into the ring (-1 before any).
    var lastSampleIndex: Int64 { get }
    /// Opens (or re-opens, after a loss) the link. `.notFound` and `.disconnected` mean
    /// "not there (yet)", which a reconnection does not report.
    func openLink() throws(DeviceError) -> Link
    /// Sets the device up to stream.
    func configure(_ link: Link) throws(DeviceError)
    /// Starts receiving, then tells the device to stream, pushing frames into
    /// `session.producer` with sample indices from `firstIndex`. `onEnd` is called once if
    /// the stream ends by itself (unplugged: `.disconnected`). On a throw the link stays
    /// the supervisor's, which releases it.
    func startStreaming(_ link: Link, firstIndex: Int64, session: DriverSession,
                        onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError)
    /// Closes a link nothing runs on yet (``DriverLifecycle/Action/closeLink``).
    func close(_ link: Link)
    /// Tells the device to stop (best effort), then closes; nothing is receiving
    /// (``DriverLifecycle/Action/abandonLink``).
    func abandon(_ link: Link)
    /// The stream ended by itself: stops receiving and closes, no command
    /// (``DriverLifecycle/Action/dropLink``).
    func drop(_ link: Link)
    /// Tells the device to stop (best effort), stops receiving, closes
    /// (``DriverLifecycle/Action/releaseLink``).
    func release(_ link: Link)
}

/// Where a session's frames and events go; fixed for the session at `start`.
public struct DriverSession: @unchecked Sendable {
    // @unchecked Sendable: the producer is used by one receive thread at a time.
    public let producer: FrameRing.Producer
    public let events: DeviceEvents
    /// Saves every byte received while streaming, if asked; closed when the session ends.
    public let rawCapture: RawCapture?

    public init(producer: FrameRing.Producer, events: DeviceEvents, rawCapture: RawCapture? = nil) {
        self.producer = producer
        self.events = events
        self.rawCapture = rawCapture
    }
}

/// Runs one driver's life on ``DriverLifecycle`` through ``DriverLifecycleRunner``:
/// `start` and `stop` (serialised), and the supervisor thread that waits for the stream to
/// end by itself and reconnects — woken by the stream's end, by ``wake()`` (a hotplug
/// arrival) or every `reconnectInterval` — until streaming again or stopped. The driver
/// supplies only ``SupervisedHardware``.
///
/// Threads: `start`/`stop` from any thread; the supervisor's own; the link's receive
/// thread, which only records why the stream ended and wakes the supervisor. What they
/// share is behind locks never taken per sample.
public final class DriverSupervisor<Hardware: SupervisedHardware>: @unchecked Sendable {
    // @unchecked Sendable: shared mutable state is in Mutexes (session, streaming link)
    // or the runner's; `Hardware.Link` values move between threads only through them.

    /// The link that is streaming, and why its stream ended (set once, from its thread).
    private final class Streaming: @unchecked Sendable {
        let link: Hardware.Link
        let session: DriverSession
        let ended = Mutex<DeviceError?>(nil)
        init(link: Hardware.Link, session: DriverSession) {
            self.link = link
            self.session = session
        }
    }

    /// What one thread's run of the lifecycle (a start, a stop, a loss) has in hand
    /// between actions. Never shared between threads.
    private struct Attempt {
        let session: DriverSession
        /// The link being opened, configured or started (not yet the streaming one).
        var link: Hardware.Link?
        /// Why the last step failed, or why the stream ended.
        var error: DeviceError?
        /// When the stream was lost, for the gap a reconnection reports.
        var lostAt = ContinuousClock.now
        /// The gap to report once streaming again: frames missing before `resumedAt`.
        var missing: Int64 = 0
        var resumedAt: Int64 = 0
        /// The reconnection failure last reported (each reason is said once).
        var lastReported: String?
        /// Set by ``DriverLifecycle/Action/failStart``: `start` throws it.
        var startError: DeviceError?
    }

    private let hardware: Hardware
    private let reconnectInterval: Duration
    private let threadName: String
    private let runner = DriverLifecycleRunner()
    private let wakeSupervisor = DispatchSemaphore(value: 0)
    private let supervisorDone = DispatchSemaphore(value: 0)
    /// Serialises `start` and `stop`.
    private let lifecycle = Mutex<Void>(())
    private let session = Mutex<DriverSession?>(nil)
    private let streaming = Mutex<Streaming?>(nil)

    /// - Parameters:
    ///   - reconnectInterval: how often a reconnecting driver retries without a wake-up.
    ///   - threadName: the supervisor thread's name (for debuggers), e.g. "eeg-cyton".
    public init(hardware: Hardware, reconnectInterval: Duration, threadName: String) {
        self.hardware = hardware
        self.reconnectInterval = reconnectInterval
        self.threadName = threadName
    }

    /// The driver's state now (a lock is taken: not for per-sample use).
    public var state: DeviceState { runner.state }

    /// A matching device may have appeared: a reconnecting driver tries at once instead
    /// of at its next poll. Harmless at any other time.
    public func wake() { wakeSupervisor.signal() }

    /// Opens, configures and starts streaming into `session`; does nothing unless closed.
    /// On failure, what the failed step opened is released and the capture closed
    /// before the error is thrown.
    public func start(_ session: DriverSession) throws(DeviceError) {
        try lifecycle.withLock { _ throws(DeviceError) in
            guard state == .closed else { return }
            self.session.withLock { $0 = session }
            var attempt = Attempt(session: session)
            run(from: .startRequested, &attempt)
            if let error = attempt.startError { throw error }
        }
    }

    /// Runs the declared cleanup (supervisor joined, link released, output finished),
    /// then `afterwards` under the same lock. Any thread, any time, idempotent.
    public func stop(afterwards: () -> Void = {}) {
        lifecycle.withLock { _ in
            defer { afterwards() }
            guard let session = session.withLock({ $0 }) else { return }
            var attempt = Attempt(session: session)
            run(from: .stopRequested, &attempt)
        }
    }

    // MARK: - Running the lifecycle

    private func run(from event: DriverLifecycle.Event, _ attempt: inout Attempt) {
        runner.run(from: event, events: attempt.session.events) { action in perform(action, &attempt) }
    }

    /// Performs one action; returns the event it leads to, if any.
    private func perform(_ action: DriverLifecycle.Action, _ attempt: inout Attempt) -> DriverLifecycle.Event? {
        switch action {
        case .openLink: return openLink(&attempt)
        case .configure: return configure(&attempt)
        case .startStreaming: return startStreaming(&attempt, firstIndex: 0)
        case .resumeStreaming: return startStreaming(&attempt, firstIndex: resumedIndex(&attempt))
        case .closeLink: endLinkInHand(&attempt, hardware.close)
        case .abandonLink: endLinkInHand(&attempt, hardware.abandon)
        case .dropLink: if let lost = takeStreaming() { hardware.drop(lost.link) }
        case .releaseLink:
            if let link = attempt.link ?? takeStreaming()?.link { hardware.release(link) }
            attempt.link = nil
        case .reportLinkFailure:
            attempt.session.events.post(.failed("\(attempt.error?.description ?? "the stream ended"); reconnecting"))
            return .linkLost
        case .reportReconnectFailure: reportReconnectFailure(&attempt)
        case .reportGap: attempt.session.events.post(.gap(FrameGap(frames: Int(attempt.missing), beforeSampleIndex: attempt.resumedAt)))
        case .retryNow: return .retryDue
        case .awaitRetry:
            _ = wakeSupervisor.wait(timeout: .now() + reconnectWait)
            return .retryDue
        case .startSupervisor: startSupervisor()
        case .stopSupervisor:
            wakeSupervisor.signal()
            supervisorDone.wait()
        case .finishOutput:
            attempt.session.rawCapture?.close()
            attempt.session.producer.finish()
            return .cleanedUp
        case .closeCapture: attempt.session.rawCapture?.close()
        case .failStart: attempt.startError = attempt.error
        }
        return nil
    }

    private func endLinkInHand(_ attempt: inout Attempt, _ end: (Hardware.Link) -> Void) {
        if let link = attempt.link { end(link) }
        attempt.link = nil
    }

    private func takeStreaming() -> Streaming? {
        streaming.withLock { streaming in
            let taken = streaming
            streaming = nil
            return taken
        }
    }

    // MARK: - Link steps

    private func openLink(_ attempt: inout Attempt) -> DriverLifecycle.Event {
        do {
            attempt.link = try hardware.openLink()
            return .opened
        } catch {
            attempt.error = error
            return .openFailed
        }
    }

    private func configure(_ attempt: inout Attempt) -> DriverLifecycle.Event {
        guard let link = attempt.link else { return .configureFailed }
        do {
            try hardware.configure(link)
            return .configured
        } catch {
            attempt.error = error
            return .configureFailed
        }
    }

    /// On success the link becomes the streaming one (no longer in hand). It is made so
    /// before receiving starts, so an end reported at once is seen. On failure the link
    /// stays in hand for the lifecycle's release.
    private func startStreaming(_ attempt: inout Attempt, firstIndex: Int64) -> DriverLifecycle.Event {
        guard let link = attempt.link else { return .startFailed }
        let started = Streaming(link: link, session: attempt.session)
        streaming.withLock { $0 = started }
        do {
            try hardware.startStreaming(link, firstIndex: firstIndex, session: attempt.session) { [self, started] error in
                started.ended.withLock { $0 = error }
                wakeSupervisor.signal()
            }
        } catch {
            streaming.withLock { $0 = nil }
            attempt.error = error
            return .startFailed
        }
        attempt.link = nil
        return .streamingStarted
    }

    /// The first sample index after a reconnection: the span away, estimated from the
    /// time lost at the sample rate (at least one frame), follows the last frame
    /// delivered. Records the gap to report.
    private func resumedIndex(_ attempt: inout Attempt) -> Int64 {
        let seconds = (ContinuousClock.now - attempt.lostAt).inSeconds
        attempt.missing = max(1, Int64((seconds * hardware.sampleRate).rounded()))
        attempt.resumedAt = hardware.lastSampleIndex + 1 + attempt.missing
        return attempt.resumedAt
    }

    /// Why the device cannot be used again (permission after a replug, busy, a device
    /// that does not answer) is said once per change; "not there yet" (or gone again
    /// while being opened) is what reconnecting already means.
    private func reportReconnectFailure(_ attempt: inout Attempt) {
        guard let error = attempt.error, !error.meansAbsent, error.description != attempt.lastReported else { return }
        attempt.lastReported = error.description
        attempt.session.events.post(.failed("\(error.description); still reconnecting"))
    }

    // MARK: - Supervision

    private func startSupervisor() {
        let supervisor = Thread { [self] in supervise() }
        supervisor.name = threadName
        supervisor.start()
    }

    /// Waits for the stream to end by itself (unplug, link failure) or for stop, and
    /// runs the lifecycle from the loss (reconnecting until streaming again or stopped).
    /// Returns once stopping.
    private func supervise() {
        defer { supervisorDone.signal() }
        // Checked before each wait: the wake-up `stop` sends may have been taken by a
        // reconnection's wait, which then ends in the stopping state.
        while isRunning {
            wakeSupervisor.wait()
            guard isRunning else { return }
            // Woken by a hotplug arrival while streaming: nothing to do.
            guard let lost = streaming.withLock({ $0 }), let error = lost.ended.withLock({ $0 }) else { continue }
            var attempt = Attempt(session: lost.session, error: error, lostAt: .now)
            if case .disconnected = error {
                run(from: .linkLost, &attempt)
            } else {
                run(from: .linkFailed, &attempt)
            }
        }
    }

    /// Not stopping or stopped.
    private var isRunning: Bool {
        let state = self.state
        return state != .stopping && state != .closed
    }

    /// `reconnectInterval` for DispatchSemaphore (whole milliseconds, at most a day).
    private var reconnectWait: DispatchTimeInterval {
        .milliseconds(Int(reconnectInterval.whole(unitsPerSecond: 1000, clampedTo: 0...86_400_000)))
    }
}

private extension DeviceError {
    /// The device is not there (yet, or again): no reason to report while reconnecting.
    var meansAbsent: Bool {
        switch self {
        case .notFound, .disconnected: return true
        default: return false
        }
    }
}
