import EEGCore
import Foundation
import Synchronization

/// The OpenBCI Cyton (and Cyton + Daisy), driven by ``DriverLifecycle``: the lifecycle
/// decides every state and the actions to take; this class performs them over a
/// ``ByteTransport`` and feeds their outcomes back.
///
/// - configuring: stop any stream left running (`s`), purge, soft reset (`v`) and wait
///   for the `$$$` that ends the board's banner (timeout), attach the Daisy (`C`) if
///   asked, then start streaming (`b`). If starting fails, the transport is stopped
///   and closed (the device released) before the error is thrown.
/// - streaming: the transport delivers bytes on its thread; the pure ``CytonDecoder``
///   turns them into frames pushed into the ring's producer (no allocation or lock per
///   packet); decoder gaps become ``DeviceEvent/gap(frames:beforeSampleIndex:)``.
/// - stream ended (unplugged, or the link failed: a USB transfer error or stall, a
///   serial read error): the session is kept. A failure other than an unplug is
///   reported as ``DeviceEvent/failed(_:)`` first. The driver reports `disconnected`,
///   waits for the device (`reconnecting`: woken by libusb's hotplug callback where
///   libusb has it, and polling every `reconnectInterval` in any case), reconfigures it
///   and resumes; because the board's counter restarts, the missing span is estimated
///   from the time away and reported as a gap — the data is never stitched together
///   silently.
/// - stop (any thread, any time, idempotent): the lifecycle's declared cleanup — the
///   supervisor joined, `s` sent, receiving stopped, the device released, the producer
///   finished. It runs on every exit path of a session.
///
/// Threads: the caller's (start, stop), a supervisor (reconnection) and the transport's
/// receive thread. ``DriverLifecycleRunner`` takes transitions one at a time under a
/// lock (and posts states there, so events keep their order); actions run outside it. Each connection
/// to the board is its own ``Connection`` object whose decoder only that connection's
/// receive thread touches; the supervisor makes a new one to reconnect, after the old
/// transport has stopped. What the threads share is atomic or behind a lock that is
/// never taken per packet.
public final class CytonDriver: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: shared mutable state is atomic (last index) or in a Mutex (the
    // lifecycle state, the current connection, the output); see "Threads" above.

    public struct Configuration: Sendable {
        public var daisy = false
        /// Gain per channel (8, or 16 with Daisy); default 24.
        public var gains: [Double]?
        public var resetTimeout: Duration = .seconds(3)
        public var reconnectInterval: Duration = .milliseconds(500)
        public init() {}
    }

    /// Opens (or re-opens, after an unplug) the transport to the board.
    public typealias Opener = @Sendable () throws(DeviceError) -> any ByteTransport

    public let name: String
    public let configuration: Configuration
    public var layout: StreamLayout { Cyton.layout(daisy: configuration.daisy, gains: configuration.gains, source: name) }

    /// Where a session's frames and events go; fixed for the session at `start`.
    private struct Output: @unchecked Sendable {
        // @unchecked Sendable: the producer is used by one receive thread at a time.
        let producer: FrameRing.Producer
        let events: DeviceEvents
        let rawCapture: RawCapture?
    }

    /// One connection to the board. `decoder` is touched only by `onBytes` on the
    /// transport's receive thread, which calls it one buffer at a time; the supervisor
    /// and `stop` use the transport only after start or after `stopReceiving`.
    private final class Connection: @unchecked Sendable {
        let transport: any ByteTransport
        let output: Output
        /// Added to the decoder's indices: the board's counter restarts on reconnection.
        let indexOffset: Int64
        var decoder: CytonDecoder
        /// Why the transport's stream ended (set once, from its thread).
        let ended = Mutex<DeviceError?>(nil)

        init(transport: any ByteTransport, output: Output, indexOffset: Int64, decoder: CytonDecoder) {
            self.transport = transport
            self.output = output
            self.indexOffset = indexOffset
            self.decoder = decoder
        }
    }

    /// What one thread's run of the lifecycle (a start, a stop, a disconnection) has in
    /// hand between actions. Never shared between threads.
    private struct Attempt {
        let output: Output
        /// The link being opened, configured or started (not yet the current connection).
        var transport: (any ByteTransport)?
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

    private let opener: Opener
    private let lifecycleRunner = DriverLifecycleRunner()
    private let lastIndex = Atomic<Int64>(-1)
    private let wakeSupervisor = DispatchSemaphore(value: 0)
    private let supervisorDone = DispatchSemaphore(value: 0)
    /// Serialises `start` and `stop`.
    private let lifecycle = Mutex<Void>(())
    private let output = Mutex<Output?>(nil)
    private let current = Mutex<Connection?>(nil)

    /// Saves every byte received while streaming (see ``RawCapture``); set before `start`.
    public var rawCapture: RawCapture?

    /// Called by a hotplug watcher when a matching device appears: a reconnecting driver
    /// tries at once instead of at its next poll. Harmless at any other time.
    public func deviceMayHaveArrived() { wakeSupervisor.signal() }

    /// Wakes the driver when a dongle is plugged in (libusb hotplug; nil where libusb has
    /// none, or for a serial port). The driver owns it and stops it when it stops.
    var hotplugWatcher: USBHotplugWatcher?

    public init(name: String, configuration: Configuration = .init(), opener: @escaping Opener) {
        self.name = name
        self.configuration = configuration
        self.opener = opener
    }

    public var state: DeviceState { lifecycleRunner.state }

    private func newDecoder() -> CytonDecoder { CytonDecoder(daisy: configuration.daisy, gains: configuration.gains) }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard producer.channelCount == channelCount else {
            throw .invalidConfiguration("ring has \(producer.channelCount) channels, the Cyton\(configuration.daisy ? " + Daisy" : "") \(channelCount)")
        }
        try lifecycle.withLock { _ throws(DeviceError) in
            guard state == .closed else { return }
            let output = Output(producer: producer, events: events, rawCapture: rawCapture)
            self.output.withLock { $0 = output }
            var attempt = Attempt(output: output)
            run(from: .startRequested, &attempt)
            if let error = attempt.startError { throw error }
        }
    }

    public func stop() {
        lifecycle.withLock { _ in
            defer { hotplugWatcher?.stop() }
            guard let output = output.withLock({ $0 }) else { return }
            var attempt = Attempt(output: output)
            run(from: .stopRequested, &attempt)
        }
    }

    // The hotplug watcher's thread holds the watcher, so the driver (its owner) stops it.
    deinit { hotplugWatcher?.stop() }

    // MARK: - Running the lifecycle

    /// Runs the lifecycle from `event`, performing each action with what `attempt` holds.
    private func run(from event: DriverLifecycle.Event, _ attempt: inout Attempt) {
        lifecycleRunner.run(from: event, events: attempt.output.events) { action in perform(action, &attempt) }
    }

    /// Performs one action; returns the event it leads to, if any.
    private func perform(_ action: DriverLifecycle.Action, _ attempt: inout Attempt) -> DriverLifecycle.Event? {
        switch action {
        case .openLink: return openLink(&attempt)
        case .configure: return configureLink(&attempt)
        case .startStreaming: return startStreaming(&attempt, indexOffset: 0)
        case .resumeStreaming: return startStreaming(&attempt, indexOffset: resumedIndex(&attempt))
        case .closeLink:
            attempt.transport?.close()
            attempt.transport = nil
        case .abandonLink:
            try? attempt.transport?.write(CytonCommand.stopStreaming.bytes, timeout: .milliseconds(200))
            attempt.transport?.close()
            attempt.transport = nil
        case .dropLink:
            if let connection = takeCurrent() {
                connection.transport.stopReceiving()
                connection.transport.close()
            }
        case .releaseLink:
            if let transport = attempt.transport ?? takeCurrent()?.transport { release(transport) }
            attempt.transport = nil
        case .reportLinkFailure:
            attempt.output.events.post(.failed("\(attempt.error?.description ?? "the stream ended"); reconnecting"))
            return .linkLost
        case .reportReconnectFailure: reportReconnectFailure(&attempt)
        case .reportGap: attempt.output.events.post(.gap(frames: Int(attempt.missing), beforeSampleIndex: attempt.resumedAt))
        case .retryNow: return .retryDue
        case .awaitRetry:
            _ = wakeSupervisor.wait(timeout: .now() + reconnectWait)
            return .retryDue
        case .startSupervisor: startSupervisor()
        case .stopSupervisor:
            wakeSupervisor.signal()
            supervisorDone.wait()
        case .finishOutput:
            attempt.output.rawCapture?.close()
            attempt.output.producer.finish()
            return .cleanedUp
        case .closeCapture: attempt.output.rawCapture?.close()
        case .failStart: attempt.startError = attempt.error
        }
        return nil
    }

    private func takeCurrent() -> Connection? {
        current.withLock { connection in
            let taken = connection
            connection = nil
            return taken
        }
    }

    // MARK: - Actions

    private func openLink(_ attempt: inout Attempt) -> DriverLifecycle.Event {
        do {
            attempt.transport = try opener()
            return .opened
        } catch {
            attempt.error = error
            return .openFailed
        }
    }

    private func configureLink(_ attempt: inout Attempt) -> DriverLifecycle.Event {
        guard let transport = attempt.transport else { return .configureFailed }
        do {
            try configure(transport)
            return .configured
        } catch {
            attempt.error = error
            return .configureFailed
        }
    }

    private func configure(_ transport: any ByteTransport) throws(DeviceError) {
        try transport.write(CytonCommand.stopStreaming.bytes, timeout: .seconds(1))
        // Let packets already on their way arrive, then drop them with the rest of a
        // stream an earlier session may have left running.
        Thread.sleep(forTimeInterval: 0.05)
        try transport.purge()
        try transport.write(CytonCommand.softReset.bytes, timeout: .seconds(1))
        let banner = try awaitReply(transport, what: "the board's reply to a soft reset (v)")
        if configuration.daisy {
            try transport.write(CytonCommand.useDaisy(true).bytes, timeout: .seconds(1))
            _ = try awaitReply(transport, what: "the board's reply to attaching the Daisy (C)")
        } else if banner.contains("Daisy") {
            // The board has a Daisy but 8 channels were asked for: detach it so packets
            // are not interleaved.
            try transport.write(CytonCommand.useDaisy(false).bytes, timeout: .seconds(1))
            _ = try awaitReply(transport, what: "the board's reply to detaching the Daisy (c)")
        }
    }

    /// Reads until `$$$`, returning the text before it.
    private func awaitReply(_ transport: any ByteTransport, what: String) throws(DeviceError) -> String {
        var reply: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        defer { buffer.deallocate() }
        let deadline = ContinuousClock.now + configuration.resetTimeout
        while ContinuousClock.now < deadline {
            let n = try transport.read(into: buffer, timeout: .milliseconds(50))
            reply += buffer[0..<n]
            if reply.count >= 3, reply.suffix(3) == [0x24, 0x24, 0x24] {
                return String(decoding: reply.dropLast(3), as: UTF8.self)
            }
        }
        throw .timeout("waiting for \(what)")
    }

    /// Receiving first, then `b`; on success the link becomes the current connection
    /// (no longer in hand). On failure the link stays in hand for the lifecycle's
    /// release.
    private func startStreaming(_ attempt: inout Attempt, indexOffset: Int64) -> DriverLifecycle.Event {
        guard let transport = attempt.transport else { return .startFailed }
        let connection = Connection(transport: transport, output: attempt.output, indexOffset: indexOffset, decoder: newDecoder())
        current.withLock { $0 = connection }
        do {
            try transport.startReceiving(
                onBytes: { [self, connection] bytes in decode(bytes, on: connection) },
                onEnd: { [self, connection] error in
                    connection.ended.withLock { $0 = error }
                    wakeSupervisor.signal()
                })
            try transport.write(CytonCommand.startStreaming.bytes, timeout: .seconds(1))
        } catch {
            current.withLock { $0 = nil }
            attempt.error = error
            return .startFailed
        }
        attempt.transport = nil
        return .streamingStarted
    }

    /// The first sample index after a reconnection: the span away, estimated from the
    /// time lost at the sample rate (at least one frame), follows the last frame
    /// delivered. Records the gap to report.
    private func resumedIndex(_ attempt: inout Attempt) -> Int64 {
        let away = ContinuousClock.now - attempt.lostAt
        let seconds = away.inSeconds
        attempt.missing = max(1, Int64((seconds * sampleRate).rounded()))
        attempt.resumedAt = lastIndex.load(ordering: .acquiring) + 1 + attempt.missing
        return attempt.resumedAt
    }

    /// Stops the board (best effort: `s` first, so it stops sending even if the rest
    /// fails), stops receiving, and closes the transport.
    private func release(_ transport: any ByteTransport) {
        try? transport.write(CytonCommand.stopStreaming.bytes, timeout: .milliseconds(500))
        transport.stopReceiving()
        transport.close()
    }

    /// Why the dongle cannot be used again (permission after a replug without the udev
    /// rule, busy, a board that does not answer) is said once per change; "not there
    /// yet" (or gone again while being opened) is what reconnecting already means.
    private func reportReconnectFailure(_ attempt: inout Attempt) {
        guard let error = attempt.error, !error.meansAbsent, error.description != attempt.lastReported else { return }
        attempt.lastReported = error.description
        attempt.output.events.post(.failed("\(error.description); still reconnecting"))
    }

    /// On the connection's receive thread. Per buffer, not per sample: no lock, no
    /// allocation.
    private func decode(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        let output = connection.output
        output.rawCapture?.append(bytes)
        let offset = connection.indexOffset
        connection.decoder.decode(bytes) { event in
            switch event {
            case .frame(let index, let samples, _):
                output.producer.push(frame: samples, sampleIndex: offset + index)
                lastIndex.store(offset + index, ordering: .releasing)
            case .gap(let count, let before):
                output.events.post(.gap(frames: count, beforeSampleIndex: offset + before))
            case .skipped(let bytes):
                output.events.post(.skippedBytes(bytes))
            }
        }
    }

    // MARK: - Supervision

    private func startSupervisor() {
        let supervisor = Thread { [self] in supervise() }
        supervisor.name = "eeg-cyton"
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
            guard let connection = current.withLock({ $0 }), let error = connection.ended.withLock({ $0 }) else { continue }
            var attempt = Attempt(output: connection.output, error: error, lostAt: .now)
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
        .milliseconds(Int(configuration.reconnectInterval.whole(unitsPerSecond: 1000, clampedTo: 0...86_400_000)))
    }
}

private extension DeviceError {
    /// The dongle is not on the bus (yet, or again): no reason to report while reconnecting.
    var meansAbsent: Bool {
        switch self {
        case .notFound, .disconnected: return true
        default: return false
        }
    }
}
