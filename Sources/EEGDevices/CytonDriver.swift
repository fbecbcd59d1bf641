import EEGCore
import Foundation
import Synchronization

/// The OpenBCI Cyton (and Cyton + Daisy), driven by ``DriverLifecycle``: the lifecycle
/// decides every state and the actions to take, ``DriverSupervisor`` runs them (start,
/// stop, reconnection), and ``Hardware`` says what each link action means for the Cyton
/// over a ``ByteTransport``.
///
/// - configuring: stop any stream left running (`s`), purge, soft reset (`v`) and wait
///   for the `$$$` that ends the board's banner (timeout), attach the Daisy (`C`) if
///   asked, send each channel's settings (`x…X`, each after a purge of the input) and
///   wait for the board to confirm each
///   (`Success: Channel set for N`; a missing or different reply fails the start), set
///   the aux mode (`/2`, `/3`, `/4`, confirmed likewise) unless it is the default, turn
///   time stamps on (`<`, confirmed likewise) for a board-time channel, then
///   start streaming (`b`); samples are scaled by the confirmed gains. If starting fails, the transport is stopped
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
/// Threads: the caller's (start, stop), the supervisor's (reconnection) and the
/// transport's receive thread (see ``DriverSupervisor``). Each connection to the board
/// is its own ``Connection`` object whose decoder only that connection's receive thread
/// touches; the supervisor makes a new one to reconnect, after the old transport has
/// stopped. What the threads share is atomic or behind a lock never taken per packet.
public final class CytonDriver: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: `rawCapture` and `hotplugWatcher` are set before `start`; the
    // rest is immutable or the supervisor's.

    public struct Configuration: Sendable {
        public var daisy = false
        /// The settings to send, one per channel in order (8, or 16 with Daisy), each
        /// confirmed by the board before streaming starts; samples are scaled by the
        /// gains the board confirmed. nil: nothing is sent and the board keeps what its
        /// soft reset set (gain 24, normal input, in bias, SRB2 connected).
        public var channels: [CytonCommand.ChannelSettings]?
        /// What the aux bytes carry and so which aux channels frames carry after the EEG
        /// channels (``CytonAuxMode/signals(daisy:)``); the ring must be that wide. A mode
        /// other than the default is set with its board mode command (`/N`) and must be
        /// confirmed by the board before streaming starts.
        public var aux: CytonAuxMode = .none
        /// Frames carry the held accelerometer reading (g): ``aux`` is `.accel`.
        public var accelerometer: Bool {
            get { aux == .accel }
            set { aux = newValue ? .accel : .none }
        }
        /// Frames carry the board's millisecond clock (``CytonBoardTime``) after the aux
        /// channels: the time-stamp command (`<`) is sent after the board mode and must be
        /// confirmed before streaming starts; `>` is sent when the driver releases the
        /// board, since a soft reset does not turn time stamps off.
        public var boardTime = false
        /// How long the soft reset (`v`) may take to answer.
        public var resetTimeout: Duration = .seconds(3)
        /// How long any other command may take to be acknowledged (`x…X`, `z…Z`, `C`).
        public var replyTimeout: Duration = .seconds(2)
        public var reconnectInterval: Duration = .milliseconds(500)
        public init() {}

        /// Channels per frame: 8, or 16 with Daisy.
        public var channelCount: Int { daisy ? 16 : 8 }

        /// Gain per channel as configured (nil: the default, 24, for all).
        public var gains: [Double]? { channels?.map(\.gain.rawValue) }

        /// Settings for every channel as they will be after configuring: the ones given,
        /// or the board's defaults.
        public var effectiveChannels: [CytonCommand.ChannelSettings] {
            channels ?? (1...channelCount).map { CytonCommand.ChannelSettings(channel: $0) }
        }

        /// Checks that ``channels`` holds one setting per channel, numbered 1…N in order.
        ///
        /// - Throws: ``DeviceError/invalidConfiguration(_:)`` saying what is wrong.
        public func validate() throws(DeviceError) {
            guard let channels else { return }
            guard channels.count == channelCount else {
                throw .invalidConfiguration("channel settings for \(channels.count) channels, the Cyton\(daisy ? " + Daisy" : "") has \(channelCount)")
            }
            for (i, setting) in channels.enumerated() where setting.channel != i + 1 {
                throw .invalidConfiguration("channel settings out of order: entry \(i + 1) is for channel \(setting.channel)")
            }
        }
    }

    /// Opens (or re-opens, after an unplug) the transport to the board.
    public typealias Opener = @Sendable () throws(DeviceError) -> any ByteTransport

    public let name: String
    public let configuration: Configuration
    public var layout: StreamLayout {
        Cyton.layout(daisy: configuration.daisy, channels: configuration.channels, source: name, aux: configuration.aux,
                     boardTime: configuration.boardTime)
    }

    /// One connection to the board. `decoder` is touched only by `onBytes` on the
    /// transport's receive thread, which calls it one buffer at a time.
    private final class Connection: @unchecked Sendable {
        let session: DriverSession
        /// Added to the decoder's indices: the board's counter restarts on reconnection.
        let indexOffset: Int64
        var decoder: CytonDecoder
        /// Writes each frame's aux values (this thread's only).
        var auxChannels: CytonAuxChannels
        /// The board's clock channel after the aux values, when `carriesBoardTime` (this thread's only).
        var boardTime = CytonBoardTime()
        let carriesBoardTime: Bool
        /// One frame with its aux values appended, when the layout has them: allocated
        /// once per connection, not per packet.
        let wide: UnsafeMutableBufferPointer<Float>?

        init(session: DriverSession, indexOffset: Int64, decoder: CytonDecoder, aux: CytonAuxMode, boardTime: Bool) {
            self.session = session
            self.indexOffset = indexOffset
            self.decoder = decoder
            auxChannels = CytonAuxChannels(mode: aux)
            carriesBoardTime = boardTime
            let extra = auxChannels.count + (boardTime ? 1 : 0)
            wide = extra == 0 ? nil : .allocate(capacity: decoder.channelCount + extra)
        }

        deinit { wide?.deallocate() }

        /// `samples` as the ring's frame: as they are, or with the aux values after them.
        @inline(__always)
        func frame(_ samples: UnsafeBufferPointer<Float>, _ aux: CytonAux) -> UnsafeBufferPointer<Float> {
            guard let wide else { return samples }
            _ = wide.initialize(from: samples)
            auxChannels.write(aux, into: wide, at: samples.count)
            if carriesBoardTime { wide[samples.count + auxChannels.count] = boardTime.value(aux) }
            return UnsafeBufferPointer(wide)
        }
    }

    /// What the lifecycle's link actions mean for the Cyton: the commands, the reset
    /// handshake, the decoder. ``DriverSupervisor`` does the rest.
    final class Hardware: SupervisedHardware, @unchecked Sendable {
        // @unchecked Sendable: immutable but for the atomic last index.
        let configuration: Configuration
        var sampleRate: Double { configuration.daisy ? Cyton.daisySampleRate : Cyton.sampleRate }
        private let opener: Opener
        private let lastIndex = Atomic<Int64>(-1)
        /// The gains the board confirmed at the last configure (nil: its defaults).
        private let confirmedGains = Mutex<[Double]?>(nil)

        init(configuration: Configuration, opener: @escaping Opener) {
            self.configuration = configuration
            self.opener = opener
        }

        var lastSampleIndex: Int64 { lastIndex.load(ordering: .acquiring) }

        /// The gains the board confirmed at the last configure (nil: its defaults, 24).
        var confirmed: [Double]? { confirmedGains.withLock { $0 } }

        func openLink() throws(DeviceError) -> any ByteTransport { try opener() }

        func configure(_ transport: any ByteTransport) throws(DeviceError) {
            _ = try reset(transport)
            try sendChannelSettings(transport)
            try sendBoardMode(transport)
            try sendTimeStamps(transport)
        }

        /// Turns the board's time stamps on (`<`) and waits for its `Time stamp ON`, when
        /// the board's clock is a channel; nothing otherwise.
        func sendTimeStamps(_ transport: any ByteTransport) throws(DeviceError) {
            guard configuration.boardTime else { return }
            try send(.timeStamps(true), transport, what: "time stamps on for the board_time channel")
        }

        /// Sends the aux mode's board mode command (`/2`, `/3`, `/4`) and waits for the
        /// board to confirm it; nothing for the default mode (the soft reset set it).
        func sendBoardMode(_ transport: any ByteTransport) throws(DeviceError) {
            guard let mode = configuration.aux.boardMode else { return }
            try send(.boardMode(configuration.aux), transport, what: "the \(mode.name) aux mode, which needs firmware v3")
        }

        /// Stops any stream, purges, soft-resets and attaches or detaches the Daisy as
        /// configured. Returns what the board said about itself.
        func reset(_ transport: any ByteTransport) throws(DeviceError) -> CytonBanner {
            let banner = try identify(transport)
            if configuration.daisy {
                try transport.write(CytonCommand.useDaisy(true).bytes, timeout: .seconds(1))
                let reply = try awaitReply(transport, what: "the board's reply to attaching the Daisy (C)", timeout: configuration.replyTimeout)
                // Without a Daisy the firmware says so and keeps sending 8-channel packets,
                // which paired as Daisy frames would be wrong data, never an error.
                if reply.range(of: "no daisy", options: .caseInsensitive) != nil {
                    throw .invalidConfiguration("--daisy: the board has no Daisy module attached (it answered 'C' with '\(reply.trimmingCharacters(in: .whitespacesAndNewlines))')")
                }
            } else if banner.daisy {
                // The board has a Daisy but 8 channels were asked for: detach it so packets
                // are not interleaved.
                try transport.write(CytonCommand.useDaisy(false).bytes, timeout: .seconds(1))
                _ = try awaitReply(transport, what: "the board's reply to detaching the Daisy (c)", timeout: configuration.replyTimeout)
            }
            return banner
        }

        /// Stops any stream, purges and soft-resets the board: what it says about itself.
        func identify(_ transport: any ByteTransport) throws(DeviceError) -> CytonBanner {
            try transport.write(CytonCommand.stopStreaming.bytes, timeout: .seconds(1))
            // Let packets already on their way arrive, then drop them with the rest of a
            // stream an earlier session may have left running.
            Thread.sleep(forTimeInterval: 0.05)
            try transport.purge()
            try transport.write(CytonCommand.softReset.bytes, timeout: .seconds(1))
            return CytonBanner(try awaitReply(transport, what: "the board's reply to a soft reset (v)", timeout: configuration.resetTimeout))
        }

        /// Sends each configured channel's `x…X` and waits for the board to confirm it;
        /// the decoder then scales by the confirmed gains. Nothing is sent without
        /// settings (the soft reset set the defaults).
        func sendChannelSettings(_ transport: any ByteTransport) throws(DeviceError) {
            guard let channels = configuration.channels else { return }
            confirmedGains.withLock { $0 = nil }
            var confirmed: [Double] = []
            for setting in channels {
                try send(.channelSettings(setting), transport, what: "channel \(setting.channel)'s settings")
                confirmed.append(setting.gain.rawValue)
            }
            confirmedGains.withLock { $0 = confirmed }
        }

        /// Purges the input, writes `command` and waits for its acknowledgement
        /// (``CytonCommand/acknowledgement``). The purge drops a reply to an earlier command
        /// that came after its wait ended: read now, it would be taken for this command's
        /// (the same `x…X` sent again on restore is acknowledged with the same words) and
        /// leave this command's reply to be taken for the next one's.
        ///
        /// - Throws: `.timeout` when no reply ending in `$$$` comes within the reply
        ///   timeout; `.protocolError` for a reply that is not the acknowledgement.
        func send(_ command: CytonCommand, _ transport: any ByteTransport, what: String) throws(DeviceError) {
            try transport.purge()
            try transport.write(command.bytes, timeout: .seconds(1))
            let sent = String(decoding: command.bytes, as: UTF8.self)
            let reply = try awaitReply(transport, what: "the board to confirm \(what) (\(sent))", timeout: configuration.replyTimeout)
            try Cyton.checkAcknowledgement(reply, to: command)
        }

        /// Reads until `$$$`, returning the text before it.
        func awaitReply(_ transport: any ByteTransport, what: String, timeout: Duration) throws(DeviceError) -> String {
            var reply: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
            defer { buffer.deallocate() }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let n = try transport.read(into: buffer, timeout: .milliseconds(50))
                reply += buffer[0..<n]
                if reply.count >= 3, reply.suffix(3) == [0x24, 0x24, 0x24] {
                    return String(decoding: reply.dropLast(3), as: UTF8.self)
                }
                // A board that keeps talking without ever ending its reply is not answering.
                if reply.count > 4096 { throw .protocolError("no end ($$$) to a reply of more than 4096 bytes while waiting for \(what)") }
            }
            throw .timeout("waiting for \(what)")
        }

        /// Receiving first, then `b`.
        func startStreaming(_ transport: any ByteTransport, firstIndex: Int64, session: DriverSession,
                            onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
            let connection = Connection(session: session, indexOffset: firstIndex,
                                        decoder: CytonDecoder(daisy: configuration.daisy, gains: confirmed), aux: configuration.aux,
                                        boardTime: configuration.boardTime)
            try transport.startReceiving(onBytes: { [self, connection] bytes in decode(bytes, on: connection) }, onEnd: onEnd)
            try transport.write(CytonCommand.startStreaming.bytes, timeout: .seconds(1))
        }

        func close(_ transport: any ByteTransport) { transport.close() }

        func abandon(_ transport: any ByteTransport) {
            stopBoard(transport, timeout: .milliseconds(200))
            transport.close()
        }

        /// `s`, then `>` when time stamps were asked for: a soft reset leaves them on, and
        /// the next session, of any program, would get time-stamped packets it did not ask
        /// for. Best effort: the link may already be gone.
        private func stopBoard(_ transport: any ByteTransport, timeout: Duration) {
            try? transport.write(CytonCommand.stopStreaming.bytes, timeout: timeout)
            if configuration.boardTime { try? transport.write(CytonCommand.timeStamps(false).bytes, timeout: timeout) }
        }

        func drop(_ transport: any ByteTransport) {
            transport.stopReceiving()
            transport.close()
        }

        /// Stops the board (best effort: `s` first, so it stops sending even if the rest
        /// fails), stops receiving, and closes the transport.
        func release(_ transport: any ByteTransport) {
            stopBoard(transport, timeout: .milliseconds(500))
            transport.stopReceiving()
            transport.close()
        }

        /// On the connection's receive thread. Per buffer, not per sample: no lock, no
        /// allocation.
        private func decode(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
            let output = connection.session
            output.rawCapture?.append(bytes)
            let offset = connection.indexOffset
            connection.decoder.decode(bytes) { event in
                switch event {
                case .frame(let index, let samples, let aux):
                    output.producer.push(frame: connection.frame(samples, aux), sampleIndex: offset + index)
                    lastIndex.store(offset + index, ordering: .releasing)
                case .gap(var gap):
                    gap.beforeSampleIndex += offset
                    output.events.post(.gap(gap))
                case .skipped(let bytes):
                    output.events.post(.skippedBytes(bytes))
                }
            }
        }
    }

    private let hardware: Hardware
    private let supervisor: DriverSupervisor<Hardware>

    /// Saves every byte received while streaming (see ``RawCapture``); set before `start`.
    public var rawCapture: RawCapture?

    /// Called by a hotplug watcher when a matching device appears: a reconnecting driver
    /// tries at once instead of at its next poll. Harmless at any other time.
    public func deviceMayHaveArrived() { supervisor.wake() }

    /// Wakes the driver when a dongle is plugged in (libusb hotplug; nil where libusb has
    /// none, or for a serial port). The driver owns it and stops it when it stops.
    var hotplugWatcher: USBHotplugWatcher?

    public init(name: String, configuration: Configuration = .init(), opener: @escaping Opener) {
        self.name = name
        self.configuration = configuration
        hardware = Hardware(configuration: configuration, opener: opener)
        supervisor = DriverSupervisor(hardware: hardware, reconnectInterval: configuration.reconnectInterval, threadName: "eeg-cyton")
    }

    public var state: DeviceState { supervisor.state }

    /// Asks the board on `transport` what it is: stops any stream, soft-resets it (`v`)
    /// and reads its banner (firmware, Daisy), waiting up to `timeout`. The transport
    /// stays open (the caller's).
    ///
    /// - Throws: `.timeout` when the board does not answer; the transport's errors.
    public static func identifyBoard(on transport: any ByteTransport, timeout: Duration) throws(DeviceError) -> CytonBanner {
        var configuration = Configuration()
        configuration.resetTimeout = timeout
        return try Hardware(configuration: configuration) { () throws(DeviceError) -> any ByteTransport in throw .invalidConfiguration("identifying opens no link") }.identify(transport)
    }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard producer.channelCount == layout.frameWidth else {
            throw .invalidConfiguration("ring has \(producer.channelCount) channels, the Cyton\(configuration.daisy ? " + Daisy" : "") \(layout.frameWidth)")
        }
        try configuration.validate()
        try supervisor.start(DriverSession(producer: producer, events: events, rawCapture: rawCapture))
    }

    public func stop() {
        supervisor.stop { hotplugWatcher?.stop() }
    }

    // The hotplug watcher's thread holds the watcher, so the driver (its owner) stops it.
    deinit { hotplugWatcher?.stop() }
}
