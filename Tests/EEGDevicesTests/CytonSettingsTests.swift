import EEGCore
import Foundation
import Testing
@testable import EEGDevices

/// Board settings that take effect: the bytes of each command (written out by hand from
/// the OpenBCI Cyton SDK's `x CHANNEL POWER GAIN INPUT BIAS SRB2 SRB1 X` and `z CHANNEL
/// P N Z`), the acknowledgements, and the scale used for each gain.
@Suite("Cyton channel settings: bytes, acknowledgements, scale")
struct CytonSettingsCommandTests {
    @Test("gain codes 0…6 for ×1…×24, input codes, channels 1–8 and Q…I for 9–16")
    func bytes() {
        func text(_ command: CytonCommand) -> String { String(decoding: command.bytes, as: UTF8.self) }
        let expected = ["x1000110X", "x1010110X", "x1020110X", "x1030110X", "x1040110X", "x1050110X", "x1060110X"]
        for (gain, bytes) in zip(CytonCommand.Gain.allCases, expected) {
            var s = CytonCommand.ChannelSettings(channel: 1)
            s.gain = gain
            #expect(text(.channelSettings(s)) == bytes)
        }
        var shorted = CytonCommand.ChannelSettings(channel: 16)
        shorted.input = .shorted
        #expect(text(.channelSettings(shorted)) == "xI061110X")
        var test = CytonCommand.ChannelSettings(channel: 8)
        test.input = .testSignal
        test.gain = .x12
        #expect(text(.channelSettings(test)) == "x8055110X")
        #expect(text(.leadOff(channel: 1, positive: false, negative: true)) == "z101Z")
        #expect(text(.leadOff(channel: 9, positive: false, negative: false)) == "zQ00Z")
        #expect(text(.leadOff(channel: 4, positive: true, negative: false)) == "z410Z")
    }

    @Test("µV per count for each gain, hand-computed: 4.5 V / gain / (2²³ − 1) × 10⁶")
    func scale() {
        let byHand: [(Double, Double)] = [(1, 0.5364418669273695), (2, 0.26822093346368475), (4, 0.13411046673184238),
                                          (6, 0.08940697782122825), (8, 0.06705523336592119), (12, 0.044703488910614125),
                                          (24, 0.022351744455307063)]
        for (gain, microvolts) in byHand {
            #expect(abs(Cyton.microvoltsPerCount(gain: gain) - microvolts) <= 1e-15 * microvolts, "gain \(gain)")
        }
    }

    @Test("an acknowledgement is accepted after stray stream bytes; another channel's, a refusal or garbage is not")
    func acknowledgements() throws {
        let command = CytonCommand.channelSettings(.init(channel: 3))
        try Cyton.checkAcknowledgement("Success: Channel set for 3", to: command)
        try Cyton.checkAcknowledgement("\u{A0}\u{12}Success: Channel set for 3\n", to: command)
        #expect(throws: DeviceError.protocolError("the board answered x3060110X with 'Success: Channel set for 31', not 'Success: Channel set for 3'")) {
            try Cyton.checkAcknowledgement("Success: Channel set for 31", to: command)
        }
        #expect(throws: DeviceError.protocolError("the board answered x3060110X with 'Failure: too few chars', not 'Success: Channel set for 3'")) {
            try Cyton.checkAcknowledgement("Failure: too few chars", to: command)
        }
        try Cyton.checkAcknowledgement("Success: Lead off set for 12", to: .leadOff(channel: 12, positive: false, negative: true))
    }

    @Test("the soft-reset banner states the firmware and whether a Daisy answered")
    func banner() {
        let withDaisy = CytonBanner("OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n")
        #expect(withDaisy == CytonBanner(firmware: "v3.1.2", daisy: true))
        let old = CytonBanner("OpenBCI V3 16 channel\nADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\n")
        #expect(old == CytonBanner(firmware: nil, daisy: false))
    }

    @Test("settings must be one per channel, in order")
    func validation() {
        var configuration = CytonDriver.Configuration()
        configuration.channels = (1...7).map { CytonCommand.ChannelSettings(channel: $0) }
        #expect(throws: DeviceError.invalidConfiguration("channel settings for 7 channels, the Cyton has 8")) { try configuration.validate() }
        configuration.channels = (1...8).map { CytonCommand.ChannelSettings(channel: 9 - $0) }
        #expect(throws: DeviceError.invalidConfiguration("channel settings out of order: entry 1 is for channel 8")) { try configuration.validate() }
    }
}

@Suite("Cyton driver sends channel settings (pseudo-terminal board)", .serialized)
struct CytonSettingsDriverTests {
    static func settings(gains: [CytonCommand.Gain]) -> [CytonCommand.ChannelSettings] {
        gains.enumerated().map { i, gain in
            var s = CytonCommand.ChannelSettings(channel: i + 1)
            s.gain = gain
            return s
        }
    }

    func driver(_ board: FakeCytonBoard, channels: [CytonCommand.ChannelSettings]?, timeout: Duration = .seconds(2)) -> CytonDriver {
        var configuration = CytonDriver.Configuration()
        configuration.channels = channels
        configuration.replyTimeout = timeout
        let path = board.slavePath
        return CytonDriver(name: "test Cyton", configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: path) }
    }

    @Test("each channel's x…X is sent after the reset and confirmed; samples are scaled by each channel's gain")
    func settingsTakeEffect() throws {
        let gains: [CytonCommand.Gain] = [.x1, .x2, .x4, .x6, .x8, .x12, .x24, .x24]
        let board = try FakeCytonBoard(packets: scriptedStream(50))
        let driver = driver(board, channels: Self.settings(gains: gains))
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 1024)
        try driver.start(into: producer, events: DeviceEvents())
        let frames = collect(consumer, 50)
        driver.stop()
        try #require(frames.count == 50)
        let byHand = [0.5364418669273695, 0.26822093346368475, 0.13411046673184238, 0.08940697782122825,
                      0.06705523336592119, 0.044703488910614125, 0.022351744455307063, 0.022351744455307063]
        for (i, frame) in frames.enumerated() {
            #expect(frame.1 == zip(scriptedCounts(i), byHand).map { Float(Double($0) * $1) }, "frame \(i)")
        }
        let deadline = ContinuousClock.now + .seconds(5)
        let sent = "sv" + "x1000110Xx2010110Xx3020110Xx4030110Xx5040110Xx6050110Xx7060110Xx8060110X" + "bs"
        while board.commands.count < sent.utf8.count && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(String(decoding: board.commands, as: UTF8.self) == sent)
        // The layout says how each channel was acquired (for the recording header) and
        // takes its full scale from the smallest gain.
        #expect(driver.layout.fullScale == 4_500_000)
        #expect(driver.layout.acquisition?.first == "Cyton gain 1, normal input, bias, SRB2")
    }

    @Test("a board that never confirms a channel's settings: exit-69 kind timeout naming the command; the port is released")
    func missingAcknowledgement() throws {
        let board = try FakeCytonBoard(packets: [], ackMode: .silentToSettings)
        let driver = driver(board, channels: Self.settings(gains: Array(repeating: .x24, count: 8)), timeout: .milliseconds(300))
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 64)
        let events = DeviceEvents()
        #expect(throws: DeviceError.timeout("waiting for the board to confirm channel 1's settings (x1060110X)")) {
            try driver.start(into: producer, events: events)
        }
        #expect(driver.state == .closed)
        // The lifecycle's configureFailed row: the link abandoned, the start failed, no stream.
        let states = events.drain().compactMap { if case .state(let s) = $0 { return s } else { return nil } }
        #expect(states == [.opening, .configuring, .closed])
        #expect(consumer.availableFrameCount == 0)
        _ = try SerialPortTransport(path: board.slavePath)
    }

    @Test("--daisy on a board without a Daisy: the firmware's 'no daisy to attach!' fails the start, never 8-channel packets paired as 16")
    func daisyMissing() throws {
        let board = try FakeCytonBoard(packets: scriptedStream(10))
        var configuration = CytonDriver.Configuration()
        configuration.daisy = true
        let path = board.slavePath
        let driver = CytonDriver(name: "test Cyton", configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: path) }
        let (producer, consumer) = try FrameRing.create(channels: 16, capacity: 64)
        #expect(throws: DeviceError.invalidConfiguration("--daisy: the board has no Daisy module attached (it answered 'C' with 'no daisy to attach!8')")) {
            try driver.start(into: producer, events: DeviceEvents())
        }
        #expect(driver.state == .closed && consumer.availableFrameCount == 0)
    }

    @Test("garbage or a refusal instead of the acknowledgement is a protocol error quoting it")
    func wrongAcknowledgement() throws {
        for (mode, reply) in [(FakeCytonBoard.AckMode.garbage, "\u{7}OpenBCI says hello"), (.failure, "Failure: 9th char not X")] {
            let board = try FakeCytonBoard(packets: [], ackMode: mode)
            let driver = driver(board, channels: Self.settings(gains: Array(repeating: .x8, count: 8)))
            let (producer, _) = try FrameRing.create(channels: 8, capacity: 64)
            #expect(throws: DeviceError.protocolError("the board answered x1040110X with '\(reply)', not 'Success: Channel set for 1'")) {
                try driver.start(into: producer, events: DeviceEvents())
            }
            #expect(driver.state == .closed)
        }
    }
}

@Suite("Asking a Cyton what it is (pseudo-terminal board)", .serialized)
struct CytonIdentifyTests {
    @Test("s, then v: the banner's firmware and Daisy; a silent board times out")
    func identify() throws {
        let daisyBanner = "OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.0.1\n$$$"
        let board = try FakeCytonBoard(packets: [], banner: daisyBanner)
        let transport = try SerialPortTransport(path: board.slavePath)
        defer { transport.close() }
        #expect(try CytonDriver.identifyBoard(on: transport, timeout: .seconds(2)) == CytonBanner(firmware: "v3.0.1", daisy: true))
        let deadline = ContinuousClock.now + .seconds(5)
        while board.commands.count < 2 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(board.commands == Array("sv".utf8))

        let silent = try FakeCytonBoard(packets: [], silent: true)
        let quiet = try SerialPortTransport(path: silent.slavePath)
        defer { quiet.close() }
        #expect(throws: DeviceError.timeout("waiting for the board's reply to a soft reset (v)")) {
            try CytonDriver.identifyBoard(on: quiet, timeout: .milliseconds(200))
        }
    }
}
