import Foundation
import Testing
@testable import EEGCore
@testable import EEGDevices

/// A time-stamped packet as firmware v3 writes it: aux word 0 (or one accelerometer axis)
/// in bytes 26–27, then the board's millis() as uint32 big-endian in bytes 28–31.
func stampedPacket(_ number: UInt8, word: UInt16 = 0, time: UInt32, footer: UInt8 = 0xC6) -> [UInt8] {
    let aux: [UInt8] = [UInt8(word >> 8), UInt8(word & 0xFF), UInt8(time >> 24), UInt8((time >> 16) & 0xFF), UInt8((time >> 8) & 0xFF), UInt8(time & 0xFF)]
    return cytonPacket(number, counts: scriptedCounts(Int(number)), aux: aux, footer: footer)
}

/// board_time per frame, decoding `packets` as the driver does.
func boardTimes(_ packets: [[UInt8]], daisy: Bool = false) -> [Float] {
    var decoder = CytonDecoder(daisy: daisy)
    var clock = CytonBoardTime()
    var values: [Float] = []
    decoder.decode(packets.flatMap { $0 }) { event in
        if case .frame(_, _, let aux) = event { values.append(clock.value(aux)) }
    }
    return values
}

/// `--board-time`: the time-stamp command and its acknowledgement, and the board's clock
/// as a channel, from hand-built packets.
@Suite("Cyton board time: the time-stamp command and the board_time channel")
struct CytonBoardTimeTests {
    @Test("< turns time stamps on, > off; the board's 'Time stamp ON' confirms, anything else is refused naming the command")
    func commands() throws {
        #expect(CytonCommand.timeStamps(true).bytes == Array("<".utf8))
        #expect(CytonCommand.timeStamps(false).bytes == Array(">".utf8))
        try Cyton.checkAcknowledgement("Time stamp ON", to: .timeStamps(true))
        try Cyton.checkAcknowledgement("Time stamp OFF", to: .timeStamps(false))
        #expect(throws: DeviceError.protocolError("the board answered < with 'Time stamp OFF', not 'Time stamp ON'")) {
            try Cyton.checkAcknowledgement("Time stamp OFF", to: .timeStamps(true))
        }
    }

    @Test("ms since the first stamp, from every time-stamped footer (0xC3–0xC6); held where a packet has none")
    func values() {
        let packets = [stampedPacket(0, time: 1_000, footer: 0xC5), stampedPacket(1, time: 1_004, footer: 0xC6),
                       stampedPacket(2, time: 1_008, footer: 0xC3), stampedPacket(3, time: 1_012, footer: 0xC4),
                       cytonPacket(4, counts: scriptedCounts(4)),                      // 0xC0: no stamp, held
                       stampedPacket(5, time: 1_020, footer: 0xC6)]
        #expect(boardTimes(packets) == [0, 4, 8, 12, 12, 20])
        #expect(boardTimes([cytonPacket(0, counts: scriptedCounts(0)), stampedPacket(1, time: 77)]) == [0, 0])
    }

    @Test("modulo 2^24: the largest value 16777215 is exact in Float32, the next ms reads 0; the board's own uint32 wrap is absorbed")
    func wraps() {
        let t0: UInt32 = 500
        #expect(boardTimes([stampedPacket(0, time: t0), stampedPacket(1, time: t0 + 16_777_215), stampedPacket(2, time: t0 + 16_777_216),
                            stampedPacket(3, time: t0 + 16_777_216 + 9)]) == [0, 16_777_215, 0, 9])
        // millis() passes 2^32 − 1 after 49.7 days: 0xFFFFFFF0 → 0x00000004 is 20 ms later.
        #expect(boardTimes([stampedPacket(0, time: 0xFFFF_FFF0), stampedPacket(1, time: 0x0000_0004)]) == [0, 20])
    }

    @Test("Daisy: a frame takes the time of its pair's later packet")
    func daisy() {
        let packets: [[UInt8]] = (0..<4).map { (i: Int) -> [UInt8] in stampedPacket(UInt8(i + 1), time: 2_000 + 4 * UInt32(i)) }
        #expect(boardTimes(packets, daisy: true) == [0, 8])
    }

    @Test("the layout: board_time (ms) after the aux channels, 24-bit exact range, one per frame")
    func layout() {
        let layout = Cyton.layout(daisy: false, channels: nil, source: "Cyton", aux: .analog, boardTime: true)
        #expect(layout.frameWidth == 12 && layout.auxiliary.map(\.label) == ["analog_a5", "analog_a6", "analog_a7", "board_time"])
        let signal = CytonBoardTime.signal
        #expect(signal.unit == "ms" && signal.minimum == 0 && signal.maximum == 16_777_215 && signal.framesPerSample == 1)
        // One count per ms over BDF's whole 24-bit range.
        #expect(signal.digitalMinimum == -8_388_608 && signal.digitalMaximum == 8_388_607)
        #expect(Cyton.layout(daisy: false, channels: nil, source: "Cyton", aux: .accel).frameWidth == 11)
    }
}

/// The driver turns time stamps on before streaming and puts the board's clock in its frames.
@Suite("Cyton driver board time over an in-memory link", .serialized)
struct CytonDriverBoardTimeTests {
    @Test("analog + board time: /2 then < confirmed before b, > after s at stop; frames carry A5 and board_time exactly")
    func analogFrames() throws {
        // 0xC5/0xC6 carry A5 only: A6 and A7 stay at their start value 0.
        let stream: [UInt8] = (0..<20).flatMap { (i: Int) -> [UInt8] in
            let footer: UInt8 = i == 0 ? 0xC5 : 0xC6
            return stampedPacket(UInt8(i), word: UInt16(100 + i), time: 90_000 + 4 * UInt32(i), footer: footer)
        }
        let links = FakeLinks([FakeLink.Script(packets: stream)])
        var configuration = CytonDriver.Configuration()
        configuration.aux = .analog
        configuration.boardTime = true
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        #expect(driver.layout.frameWidth == 12)
        let (producer, consumer) = try FrameRing.create(channels: 12, capacity: 1024)
        try driver.start(into: producer, events: DeviceEvents())
        let got = CytonDriverAuxModeTests().frames(consumer, width: 12, count: 20)
        driver.stop()
        try #require(got.count == 20)
        for (i, frame) in got.enumerated() {
            #expect(Array(frame[0..<8]) == expectedMicrovolts(i), "frame \(i)")
            #expect(Array(frame[8..<12]) == [Float(100 + i), 0, 0, Float(4 * i)], "frame \(i)")
        }
        let link = try #require(links.links.first).state.withLock { $0 }
        let transcript: String = link.transcript
        #expect(transcript.hasPrefix("s^v^/2^<b") && transcript.hasSuffix("s>"), "\(transcript)")
    }

    @Test("board time alone (--no-aux): < sent, frames are the EEG then board_time")
    func alone() throws {
        let stream: [UInt8] = (0..<10).flatMap { (i: Int) -> [UInt8] in stampedPacket(UInt8(i), time: 7 + 4 * UInt32(i), footer: 0xC4) }
        let links = FakeLinks([FakeLink.Script(packets: stream)])
        var configuration = CytonDriver.Configuration()
        configuration.boardTime = true
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        let (producer, consumer) = try FrameRing.create(channels: 9, capacity: 1024)
        try driver.start(into: producer, events: DeviceEvents())
        let got = CytonDriverAuxModeTests().frames(consumer, width: 9, count: 10)
        driver.stop()
        #expect(got.map { $0[8] } == (0..<10).map { Float(4 * $0) })
        let link = try #require(links.links.first).state.withLock { $0 }
        #expect(link.transcript.hasPrefix("s^v^<b"), "\(link.transcript)")
    }

    @Test("a board that does not confirm time stamps (no answer: firmware v1; another answer) fails the start; nothing streams")
    func refused() throws {
        for (reply, expected) in [("", DeviceError.timeout("waiting for the board to confirm time stamps on for the board_time channel (<)")),
                                  ("Failure: unknown command$$$", DeviceError.protocolError("the board answered < with 'Failure: unknown command', not 'Time stamp ON'"))] {
            var configuration = CytonDriver.Configuration()
            configuration.boardTime = true
            try CytonDriverAuxModeTests().expectStartFails(configuration, FakeLink.Script(packets: scriptedStream(10), timeStampReply: reply), with: expected)
        }
    }
}
