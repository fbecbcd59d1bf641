import EEGCore
import Foundation
import Synchronization

/// The OpenBCI Cyton (and Cyton + Daisy) as an explicit state machine:
///
/// ```
/// closed → opening → configuring → streaming → stopping → closed
///                                      │  ▲
///                            unplugged ▼  │ found again, reconfigured
///                              disconnected → reconnecting
/// ```
///
/// - configuring: stop any stream left running (`s`), purge, soft reset (`v`) and wait
///   for the `$$$` that ends the board's banner (timeout), attach the Daisy (`C`) if
///   asked, then start streaming (`b`).
/// - streaming: the transport delivers bytes on its thread; the pure ``CytonDecoder``
///   turns them into frames pushed into the ring's producer (no allocation per packet);
///   decoder gaps become ``DeviceEvent/gap(frames:beforeSampleIndex:)``.
/// - unplugged: the session is kept. The driver reports `disconnected`, waits for the
///   device to return (`reconnecting`: woken by libusb's hotplug callback where libusb
///   has it, and polling every `reconnectInterval` in any case), reconfigures it and resumes; because the board's
///   counter restarts, the missing span is estimated from the time away and reported as
///   a gap — the data is never stitched together silently.
/// - stop (any thread, any time, idempotent): sends `s`, stops receiving, releases the
///   device, finishes the producer. It runs on every exit path of a session.
public final class CytonDriver: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: mutable state is either atomic or confined — the decoder and
    // the producer to the transport's receive thread (one at a time; a new one starts
    // only after the old one is joined), the transport to the supervisor thread after
    // start.

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

    private let opener: Opener
    private let stateCode = Atomic<Int>(0)
    private static let states: [DeviceState] = [.closed, .opening, .configuring, .streaming, .stopping, .disconnected, .reconnecting]
    private let running = Atomic<Bool>(false)
    private let lastIndex = Atomic<Int64>(-1)
    private let wakeSupervisor = DispatchSemaphore(value: 0)
    private let supervisorDone = DispatchSemaphore(value: 0)
    private let lifecycle = Mutex<Void>(())

    private var transport: (any ByteTransport)?
    private var decoder: CytonDecoder
    private var indexOffset: Int64 = 0
    private var producer: FrameRing.Producer?
    private var events: DeviceEvents?
    private var ended: DeviceError?

    /// Saves every byte received while streaming (see ``RawCapture``); set before `start`.
    public var rawCapture: RawCapture?

    /// Called by a hotplug watcher when a matching device appears: a reconnecting driver
    /// tries at once instead of at its next poll. Harmless at any other time.
    public func deviceMayHaveArrived() { wakeSupervisor.signal() }

    /// Objects that must live as long as the driver (a hotplug watcher).
    var companions: [AnyObject] = []

    public init(name: String, configuration: Configuration = .init(), opener: @escaping Opener) {
        self.name = name
        self.configuration = configuration
        self.opener = opener
        decoder = CytonDecoder(daisy: configuration.daisy, gains: configuration.gains)
    }

    public var state: DeviceState { Self.states[stateCode.load(ordering: .acquiring)] }

    private func enter(_ state: DeviceState) {
        stateCode.store(Self.states.firstIndex(of: state)!, ordering: .releasing)
        events?.post(.state(state))
    }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard producer.channelCount == channelCount else {
            throw .invalidConfiguration("ring has \(producer.channelCount) channels, the Cyton\(configuration.daisy ? " + Daisy" : "") \(channelCount)")
        }
        try lifecycle.withLock { _ throws(DeviceError) in
            guard state == .closed, !running.load(ordering: .acquiring) else { return }
            self.producer = producer
            self.events = events
            let transport = try connect()
            self.transport = transport
            running.store(true, ordering: .releasing)
            try startStreaming(transport)
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

    /// configuring → streaming: `b`, then bytes flow to the decoder.
    private func startStreaming(_ transport: any ByteTransport) throws(DeviceError) {
        try transport.startReceiving(
            onBytes: { [self] bytes in decode(bytes) },
            onEnd: { [self] error in
                ended = error
                wakeSupervisor.signal()
            })
        try transport.write(CytonCommand.startStreaming.bytes, timeout: .seconds(1))
        enter(.streaming)
    }

    /// On the transport's receive thread.
    private func decode(_ bytes: UnsafeRawBufferPointer) {
        guard let producer else { return }
        rawCapture?.append(bytes)
        let offset = indexOffset
        decoder.decode(bytes) { event in
            switch event {
            case .frame(let index, let samples, _):
                producer.push(frame: samples, sampleIndex: offset + index)
                lastIndex.store(offset + index, ordering: .relaxed)
            case .gap(let count, let before):
                events?.post(.gap(frames: count, beforeSampleIndex: offset + before))
            case .skipped(let bytes):
                events?.post(.skippedBytes(bytes))
            }
        }
    }

    /// Waits for the stream to end by itself (unplug) or for stop; reconnects.
    private func supervise() {
        defer { supervisorDone.signal() }
        while true {
            wakeSupervisor.wait()
            guard running.load(ordering: .acquiring) else { return }
            guard let error = ended else { continue }
            ended = nil
            transport?.stopReceiving()
            transport?.close()
            transport = nil
            guard case .disconnected = error else {
                events?.post(.failed(error.description))
                running.store(false, ordering: .releasing)
                rawCapture?.close()
                producer?.finish()
                enter(.closed)
                return
            }
            enter(.disconnected)
            let lostAt = ContinuousClock.now
            enter(.reconnecting)
            while running.load(ordering: .acquiring) {
                if let transport = try? reconnect() {
                    let away = ContinuousClock.now - lostAt
                    let seconds = Double(away.components.seconds) + Double(away.components.attoseconds) * 1e-18
                    let missing = max(1, Int64((seconds * sampleRate).rounded()))
                    indexOffset = lastIndex.load(ordering: .relaxed) + 1 + missing
                    decoder = CytonDecoder(daisy: configuration.daisy, gains: configuration.gains)
                    events?.post(.gap(frames: Int(missing), beforeSampleIndex: indexOffset))
                    self.transport = transport
                    do {
                        try startStreaming(transport)
                    } catch {
                        transport.stopReceiving()
                        transport.close()
                        self.transport = nil
                        enter(.reconnecting)
                        continue
                    }
                    break
                }
                if wakeSupervisor.wait(timeout: .now() + .milliseconds(Int(configuration.reconnectInterval.components.attoseconds / 1_000_000_000_000_000) + Int(configuration.reconnectInterval.components.seconds * 1000))) == .success {
                    guard running.load(ordering: .acquiring) else { return }
                }
            }
        }
    }

    private func reconnect() throws(DeviceError) -> any ByteTransport {
        let transport = try opener()
        do {
            try configure(transport)
        } catch {
            transport.close()
            throw error
        }
        return transport
    }

    deinit { stopCompanions() }

    /// The hotplug watcher's thread holds the watcher, so the driver (its owner) stops it.
    private func stopCompanions() {
        for case let watcher as USBHotplugWatcher in companions { watcher.stop() }
    }

    public func stop() {
        lifecycle.withLock { _ in
            defer { stopCompanions() }
            guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
            enter(.stopping)
            wakeSupervisor.signal()
            supervisorDone.wait()
            if let transport {
                // `s` first, so the board stops sending even if the rest fails.
                try? transport.write(CytonCommand.stopStreaming.bytes, timeout: .milliseconds(500))
                transport.stopReceiving()
                transport.close()
            }
            transport = nil
            rawCapture?.close()
            producer?.finish()
            enter(.closed)
        }
    }
}
