import Foundation
import Testing
@testable import EEGCore
@testable import EEGDevices

/// The aux channels per frame for `mode`, decoding `packets` as the driver does.
func auxChannels(_ packets: [[UInt8]], mode: CytonAuxMode, daisy: Bool = false) -> [[Float]] {
    var decoder = CytonDecoder(daisy: daisy)
    var channels = CytonAuxChannels(mode: mode)
    let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
    defer { out.deallocate() }
    var frames: [[Float]] = []
    decoder.decode(packets.flatMap { $0 }) { event in
        guard case .frame(_, _, let aux) = event else { return }
        out.initialize(repeating: .nan)
        channels.write(aux, into: out, at: 1)
        frames.append(Array(out[1..<(1 + channels.count)]))
    }
    return frames
}

/// Board modes (`--aux`): the commands, the board's acknowledgements, and every footer's
/// aux bytes as channel values, from hand-built packets (bytes as the v3 firmware writes
/// them: word 0 in bytes 26–27, big-endian).
@Suite("Cyton aux modes: analog, digital, markers as channels")
struct CytonAuxModeTests {
    @Test("the board mode commands are /2 /3 /4; accel and none send nothing (the soft reset set the default)")
    func commands() throws {
        #expect(CytonCommand.boardMode(.analog).bytes == Array("/2".utf8))
        #expect(CytonCommand.boardMode(.digital).bytes == Array("/3".utf8))
        #expect(CytonCommand.boardMode(.markers).bytes == Array("/4".utf8))
        #expect(CytonAuxMode.accel.boardMode == nil && CytonAuxMode.none.boardMode == nil)
        // Firmware v3.1 and the SDK document's wording are both accepted.
        try Cyton.checkAcknowledgement("Success: analog", to: .boardMode(.analog))
        try Cyton.checkAcknowledgement("Board mode set to marker", to: .boardMode(.markers))
        #expect(throws: DeviceError.protocolError("the board answered /3 with 'Failure: invalid board mode value.', not 'digital'")) {
            try Cyton.checkAcknowledgement("Failure: invalid board mode value.", to: .boardMode(.digital))
        }
        #expect(throws: DeviceError.self) { try Cyton.checkAcknowledgement("Success: default", to: .boardMode(.analog)) }
    }

    @Test("the channels each mode adds: labels, units, rates (one sample per frame), exact digital ranges")
    func signals() {
        #expect(CytonAuxMode.analog.signals(daisy: false).map(\.label) == ["analog_a5", "analog_a6", "analog_a7"])
        #expect(CytonAuxMode.analog.signals(daisy: true).allSatisfy { $0.unit == "counts" && $0.framesPerSample == 1 })
        #expect(CytonAuxMode.digital.signals(daisy: false).map(\.label) == ["digital_d11", "digital_d12", "digital_d13", "digital_d17", "digital_d18"])
        #expect(CytonAuxMode.digital.signals(daisy: false).allSatisfy { $0.unit == "level" && $0.minimum == 0 && $0.maximum == 1 && $0.digitalMaximum == 1 })
        #expect(CytonAuxMode.markers.signals(daisy: false).map(\.label) == ["marker"])
        // Raw words: one count per unit over the 16-bit range.
        let word = CytonAuxMode.markers.signals(daisy: false)[0]
        #expect(word.maximum - word.minimum == Double(Int(word.digitalMaximum) - Int(word.digitalMinimum)))
        #expect(CytonAuxMode.none.signals(daisy: false).isEmpty)
        for mode in CytonAuxMode.allCases { #expect(CytonAuxChannels(mode: mode).count == mode.signals(daisy: false).count) }
        let layout = Cyton.layout(daisy: false, channels: nil, source: "t", aux: .digital)
        #expect(layout.labels.count == 8 && layout.frameWidth == 13)
    }

    @Test("analog (0xC1): A5, A6, A7 in counts per packet; a time-stamped 0xC5 updates A5 only, A6/A7 held")
    func analog() {
        let packets = [
            cytonPacket(0, counts: scriptedCounts(0), aux: [0x01, 0x00, 0x03, 0xFF, 0x00, 0x00], footer: 0xC1),  // 256, 1023, 0
            cytonPacket(1, counts: scriptedCounts(1), aux: [0x00, 0x07, 0x02, 0x00, 0x00, 0x80], footer: 0xC1),  // 7, 512, 128
            cytonPacket(2, counts: scriptedCounts(2), aux: [0x00, 0x2A, 0x00, 0x01, 0x86, 0xA0], footer: 0xC5),  // 42 at board ms 100000
            cytonPacket(3, counts: scriptedCounts(3), aux: [0x00, 0x2B, 0x00, 0x01, 0x86, 0xA4], footer: 0xC6),  // 43
        ]
        #expect(auxChannels(packets, mode: .analog) == [[256, 1023, 0], [7, 512, 128], [42, 512, 128], [43, 512, 128]])
    }

    @Test("digital (0xC1): D11·D12, D13·D17, D18 as 0/1 from the words' bytes")
    func digital() {
        let packets = [
            cytonPacket(0, counts: scriptedCounts(0), aux: [0x01, 0x00, 0x00, 0x01, 0x00, 0x01], footer: 0xC1),
            cytonPacket(1, counts: scriptedCounts(1), aux: [0x00, 0x01, 0x01, 0x00, 0x00, 0x00], footer: 0xC1),
            cytonPacket(2, counts: scriptedCounts(2), aux: [0, 0, 0, 0, 0, 0], footer: 0xC1),
        ]
        #expect(auxChannels(packets, mode: .digital) == [[1, 0, 0, 1, 1], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]])
    }

    @Test("markers (0xC1): the code in the packet that carried it, 0 in the others; with Daisy a marker in the board half is kept")
    func markers() {
        let packets = (0..<4).map { i in
            cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: i == 2 ? [0x00, 0x41, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0], footer: 0xC1)
        }
        #expect(auxChannels(packets, mode: .markers) == [[0], [0], [65], [0]])
        // Daisy: packets 1 (board) + 2 (Daisy) make frame 0, 3 + 4 frame 1, 5 + 6 frame 2.
        let daisy = (1...6).map { i in
            let aux: [UInt8] = i == 3 ? [0x00, 0x42, 0, 0, 0, 0] : i == 6 ? [0x00, 0x43, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0]
            return cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: aux, footer: 0xC1)
        }
        #expect(auxChannels(daisy, mode: .markers, daisy: true) == [[0], [66], [67]])
    }

    @Test("accel through the same writer: the held reading in g")
    func accel() {
        let packets = [cytonPacket(0, counts: scriptedCounts(0)),
                       cytonPacket(1, counts: scriptedCounts(1), aux: [0x00, 0x10, 0xFF, 0xE0, 0x20, 0x00]),
                       cytonPacket(2, counts: scriptedCounts(2))]
        #expect(auxChannels(packets, mode: .accel) == [[0, 0, 0], [0.002, -0.004, 1.024], [0.002, -0.004, 1.024]])
    }
}

/// The driver sets the board mode before streaming and puts the channels in its frames.
@Suite("Cyton driver aux modes over an in-memory link", .serialized)
struct CytonDriverAuxModeTests {
    func frames(_ consumer: FrameRing.Consumer, width: Int, count: Int) -> [[Float]] {
        var frames: [[Float]] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while frames.count < count && ContinuousClock.now < deadline {
            _ = consumer.waitForFrames(1, timeout: .milliseconds(100))
            consumer.read(upTo: consumer.capacity) { f in
                for span in [f.first, f.second] {
                    for i in 0..<span.frameCount { frames.append(Array(span.samples[(i * width)..<(i * width + width)])) }
                }
            }
        }
        return frames
    }

    @Test("analog: /2 sent after the reset and confirmed before b; frames carry A5–A7 in counts after the EEG")
    func analogFrames() throws {
        let stream = (0..<20).flatMap { i in
            cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: [0x00, UInt8(i), 0x03, 0xFF, 0x01, 0x00], footer: 0xC1)
        }
        let links = FakeLinks([FakeLink.Script(packets: stream)])
        var configuration = CytonDriver.Configuration()
        configuration.aux = .analog
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        #expect(driver.layout.frameWidth == 11 && driver.layout.auxiliary.map(\.label) == ["analog_a5", "analog_a6", "analog_a7"])
        let (producer, consumer) = try FrameRing.create(channels: 11, capacity: 1024)
        try driver.start(into: producer, events: DeviceEvents())
        let got = frames(consumer, width: 11, count: 20)
        driver.stop()
        try #require(got.count == 20)
        for (i, frame) in got.enumerated() {
            #expect(Array(frame[0..<8]) == expectedMicrovolts(i), "frame \(i)")
            #expect(Array(frame[8..<11]) == [Float(i), 1023, 256], "frame \(i)")
        }
        let link = try #require(links.links.first).state.withLock { $0 }
        #expect(link.transcript.hasPrefix("s^v^/2b"), "\(link.transcript)")
    }

    @Test("a board that refuses the mode, or never answers it, fails the start naming the command; nothing streams")
    func refused() throws {
        for (reply, expected) in [("Failure: invalid board mode value.$$$", DeviceError.protocolError("the board answered /4 with 'Failure: invalid board mode value.', not 'marker'")),
                                  ("", DeviceError.timeout("waiting for the board to confirm the marker aux mode, which needs firmware v3 (/4)"))] {
            var configuration = CytonDriver.Configuration()
            configuration.aux = .markers
            try expectStartFails(configuration, FakeLink.Script(packets: scriptedStream(10), boardModeReply: reply), with: expected)
        }
    }

    /// Starting a driver with `configuration` on a link following `script` throws
    /// `expected`; the link is closed and `b` was never sent (and, when time stamps were
    /// asked for, `>` was: the start may have failed after the board turned them on).
    func expectStartFails(_ configuration: CytonDriver.Configuration, _ script: FakeLink.Script, with expected: DeviceError) throws {
        var configuration = configuration
        configuration.replyTimeout = .milliseconds(300)
        let links = FakeLinks([script])
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        let (producer, _) = try FrameRing.create(channels: driver.layout.frameWidth, capacity: 64)
        #expect(throws: expected) { try driver.start(into: producer, events: DeviceEvents()) }
        let link = try #require(links.links.first).state.withLock { $0 }
        #expect(!link.transcript.contains("b") && link.closed, "\(link.transcript)")
        #expect(link.transcript.hasSuffix(">") == configuration.boardTime, "\(link.transcript)")
    }
}
