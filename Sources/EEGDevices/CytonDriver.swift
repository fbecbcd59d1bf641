import EEGCore
import Foundation
import Synchronization

/// The OpenBCI Cyton (and Cyton + Daisy) as an explicit state machine:
///
/// ```
/// closed → opening → configuring → streaming → stopping → closed
///                                      │  ▲
///                    stream ended      ▼  │ found again, reconfigured
///                              disconnected → reconnecting
/// ```
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
/// - stop (any thread, any time, idempotent): sends `s`, stops receiving, releases the
///   device, finishes the producer. It runs on every exit path of a session.
///
/// Threads: the caller's (start, stop), a supervisor (reconnection) and the transport's
/// receive thread. Each connection to the board is its own ``Connection`` object whose
/// decoder only that connection's receive thread touches; the supervisor makes a new one
/// to reconnect, after the old transport has stopped. What the threads share is atomic
/// or behind a lock that is never taken per packet.
public final class CytonDriver: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: shared mutable state is atomic (state code, running, last
    // index) or in a Mutex (the current connection, the output); see "Threads" above.

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
    public var channelCount: Int { configuration.daisy ? 16 : 8 }
    public var sampleRate: Double { configuration.daisy ? Cyton.daisySampleRate : Cyton.sampleRate }
    public var channelLabels: [String] { (1...channelCount).map { "ch\($0)" } }
    public var fullScale: Double { Cyton.fullScale(gain: configuration.gains?.min() ?? Cyton.defaultGain) }

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

    private let opener: Opener
    private let stateCode = Atomic<Int>(0)
    private static let states: [DeviceState] = [.closed, .opening, .configuring, .streaming, .stopping, .disconnected, .reconnecting]
    private let running = Atomic<Bool>(false)
    private let lastIndex = Atomic<Int64>(-1)
    private let wakeSupervisor = DispatchSemaphore(value: 0)
    private let supervisorDone = DispatchSemaphore(value: 0)
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

    public var state: DeviceState { Self.states[stateCode.load(ordering: .acquiring)] }

    private func enter(_ state: DeviceState) {
        stateCode.store(Self.states.firstIndex(of: state)!, ordering: .releasing)
        output.withLock { $0 }?.events.post(.state(state))
    }

    private func newDecoder() -> CytonDecoder { CytonDecoder(daisy: configuration.daisy, gains: configuration.gains) }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard producer.channelCount == channelCount else {
            throw .invalidConfiguration("ring has \(producer.channelCount) channels, the Cyton\(configuration.daisy ? " + Daisy" : "") \(channelCount)")
        }
        try lifecycle.withLock { _ throws(DeviceError) in
            guard state == .closed, !running.load(ordering: .acquiring) else { return }
            let output = Output(producer: producer, events: events, rawCapture: rawCapture)
            self.output.withLock { $0 = output }
            do throws(DeviceError) {
                let transport = try connect()
                do throws(DeviceError) {
                    try startStreaming(Connection(transport: transport, output: output, indexOffset: 0, decoder: newDecoder()))
                } catch {
                    enter(.closed)
                    throw error
                }
            } catch {
                // stop() will not run for a driver that never started: end the capture's
                // writer thread here.
                rawCapture?.close()
                throw error
            }
            running.store(true, ordering: .releasing)
            let supervisor = Thread { [self] in supervise() }
            supervisor.name = "eeg-cyton"
            supervisor.start()
        }
    }

    /// opening → configuring; on failure the transport is closed and the state is back
    /// to closed.
    private func connect() throws(DeviceError) -> any ByteTransport {
        enter(.opening)
        let transport: any ByteTransport
        do {
            transport = try opener()
        } catch {
            enter(.closed)
            throw error
        }
        enter(.configuring)
        do {
            try configure(transport)
        } catch {
            try? transport.write(CytonCommand.stopStreaming.bytes, timeout: .milliseconds(200))
            transport.close()
            enter(.closed)
            throw error
        }
        return transport
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

    /// configuring → streaming: receiving first, then `b`; `connection` becomes the
    /// current one. On failure the transport is stopped and closed — the device is
    /// released — and the error thrown.
    private func startStreaming(_ connection: Connection) throws(DeviceError) {
        current.withLock { $0 = connection }
        do {
            try connection.transport.startReceiving(
                onBytes: { [self, connection] bytes in decode(bytes, on: connection) },
                onEnd: { [self, connection] error in
                    connection.ended.withLock { $0 = error }
                    wakeSupervisor.signal()
                })
            try connection.transport.write(CytonCommand.startStreaming.bytes, timeout: .seconds(1))
        } catch {
            current.withLock { $0 = nil }
            release(connection.transport)
            throw error
        }
        enter(.streaming)
    }

    /// Stops the board (best effort: `s` first, so it stops sending even if the rest
    /// fails), stops receiving, and closes the transport.
    private func release(_ transport: any ByteTransport) {
        try? transport.write(CytonCommand.stopStreaming.bytes, timeout: .milliseconds(500))
        transport.stopReceiving()
        transport.close()
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

    /// Waits for the stream to end by itself (unplug, link failure) or for stop;
    /// reconnects. Returns only when stopped.
    private func supervise() {
        defer { supervisorDone.signal() }
        while true {
            wakeSupervisor.wait()
            guard running.load(ordering: .acquiring) else { return }
            // Woken by a hotplug arrival while streaming: nothing to do.
            guard let connection = current.withLock({ $0 }), let error = connection.ended.withLock({ $0 }) else { continue }
            let lostAt = ContinuousClock.now
            current.withLock { $0 = nil }
            connection.transport.stopReceiving()
            connection.transport.close()
            if case .disconnected = error {} else {
                connection.output.events.post(.failed("\(error.description); reconnecting"))
            }
            enter(.disconnected)
            guard reconnect(output: connection.output, lostAt: lostAt) else { return }
        }
    }

    /// disconnected → reconnecting → streaming. Tries at once, then every
    /// `reconnectInterval` or when a hotplug arrival wakes it. Returns false if stopped
    /// first.
    private func reconnect(output: Output, lostAt: ContinuousClock.Instant) -> Bool {
        enter(.reconnecting)
        var lastReported: String?
        while running.load(ordering: .acquiring) {
            let opened: (any ByteTransport)?
            do {
                opened = try openAndConfigure()
            } catch {
                opened = nil
                // Why the dongle cannot be used again (permission after a replug without
                // the udev rule, busy, a board that does not answer) is said once per
                // change; "not there yet" (or gone again while being opened) is what
                // reconnecting already means.
                if error.meansAbsent {} else if error.description != lastReported {
                    lastReported = error.description
                    output.events.post(.failed("\(error.description); still reconnecting"))
                }
            }
            if let transport = opened {
                guard running.load(ordering: .acquiring) else {
                    release(transport)
                    return false
                }
                let away = ContinuousClock.now - lostAt
                let seconds = Double(away.components.seconds) + Double(away.components.attoseconds) * 1e-18
                let missing = max(1, Int64((seconds * sampleRate).rounded()))
                let offset = lastIndex.load(ordering: .acquiring) + 1 + missing
                do {
                    try startStreaming(Connection(transport: transport, output: output, indexOffset: offset, decoder: newDecoder()))
                    output.events.post(.gap(frames: Int(missing), beforeSampleIndex: offset))
                    return true
                } catch {
                    enter(.reconnecting)
                }
            }
            if wakeSupervisor.wait(timeout: .now() + reconnectWait) == .success {
                guard running.load(ordering: .acquiring) else { return false }
            }
        }
        return false
    }

    /// `reconnectInterval` for DispatchSemaphore (whole milliseconds, at most a day).
    private var reconnectWait: DispatchTimeInterval {
        let c = configuration.reconnectInterval.components
        return .milliseconds(Int(max(0, min(c.seconds, 86_400))) * 1000 + Int(max(0, c.attoseconds) / 1_000_000_000_000_000))
    }

    private func openAndConfigure() throws(DeviceError) -> any ByteTransport {
        let transport = try opener()
        do {
            try configure(transport)
        } catch {
            transport.close()
            throw error
        }
        return transport
    }

    // The hotplug watcher's thread holds the watcher, so the driver (its owner) stops it.
    deinit { hotplugWatcher?.stop() }

    public func stop() {
        lifecycle.withLock { _ in
            defer { hotplugWatcher?.stop() }
            guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
            enter(.stopping)
            wakeSupervisor.signal()
            supervisorDone.wait()
            if let connection = current.withLock({ c -> Connection? in let taken = c; c = nil; return taken }) {
                release(connection.transport)
            }
            let session = output.withLock { $0 }
            session?.rawCapture?.close()
            session?.producer.finish()
            enter(.closed)
        }
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
