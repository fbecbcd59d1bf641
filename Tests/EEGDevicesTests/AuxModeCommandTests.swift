import Foundation
import Testing
@testable import EEGDevices

/// `eeg stream` and `eeg record --aux analog|digital|markers` over the pseudo-terminal
/// board (`--port`): the board mode command and its confirmation, the columns and their
/// exact values, the recording's signals, and the option's checks.
@Suite("Cyton aux modes through the CLI (pseudo-terminal board)", .serialized)
struct AuxModeCommandTests {
    /// Packet `i`'s aux bytes in each mode (footer 0xC1): analog A5 = i, A6 = 1023 − i,
    /// A7 = 512; digital D11 = i odd, D12 = 1, D13 = 0, D17 = i % 3 == 0, D18 = 1; a
    /// marker 'A' + i / 10 in packets 5, 15, 25, … and 0 elsewhere.
    static func aux(_ mode: CytonAuxMode, _ i: Int) -> [UInt8] {
        switch mode {
        case .analog: return [0, UInt8(i), UInt8((1023 - i) >> 8), UInt8((1023 - i) & 0xFF), 0x02, 0x00]
        case .digital: return [UInt8(i % 2), 1, 0, i % 3 == 0 ? 1 : 0, 0, 1]
        case .markers: return i % 10 == 5 ? [0, UInt8(65 + i / 10), 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0]
        case .accel, .none: return [0, 0, 0, 0, 0, 0]
        }
    }

    /// The channel values frame `i` must show, computed from the bytes above by hand.
    static func expected(_ mode: CytonAuxMode, _ i: Int) -> [Float] {
        switch mode {
        case .analog: return [Float(i), Float(1023 - i), 512]
        case .digital: return [Float(i % 2), 1, 0, i % 3 == 0 ? 1 : 0, 1]
        case .markers: return [i % 10 == 5 ? Float(65 + i / 10) : 0]
        case .accel, .none: return []
        }
    }

    static func stream(_ mode: CytonAuxMode) -> [UInt8] {
        (0..<50).flatMap { i in cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: aux(mode, i), footer: 0xC1) }
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try AccelerometerCommandTests().run(arguments)
    }

    @Test("--emit samples --format csv: the mode's columns with units after the channels, exact per packet; /N sent before b")
    func csv() throws {
        let columns: [CytonAuxMode: String] = [
            .analog: "analog_a5_counts,analog_a6_counts,analog_a7_counts",
            .digital: "digital_d11_level,digital_d12_level,digital_d13_level,digital_d17_level,digital_d18_level",
            .markers: "marker_code",
        ]
        for mode in [CytonAuxMode.analog, .digital, .markers] {
            let board = try FakeCytonBoard(packets: Self.stream(mode))
            let out = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--aux", mode.rawValue,
                               "--emit", "samples", "--format", "csv", "--samples", "50"])
            #expect(out.status == 0, "\(mode): \(out.stderr)")
            let lines = out.stdout.split(separator: "\n")
            try #require(lines.count == 51, "\(mode): \(out.stdout.prefix(300))")
            #expect(lines[0] == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8," + columns[mode]!)
            for (i, line) in lines.dropFirst().enumerated() {
                let fields = line.split(separator: ",").map { Float($0) }
                #expect(Array(fields[1..<9]) == expectedMicrovolts(i).map(Optional.some), "\(mode) line \(i)")
                #expect(Array(fields[9...]) == Self.expected(mode, i).map(Optional.some), "\(mode) line \(i): \(line)")
            }
            let commands = String(decoding: board.commands, as: UTF8.self)
            #expect(commands.contains("/\(Character(UnicodeScalar(mode.boardMode!.digit)))b"), "\(commands)")
        }
    }

    @Test("--emit samples as JSON lines: the digital levels under their keys")
    func json() throws {
        let board = try FakeCytonBoard(packets: Self.stream(.digital))
        let out = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--aux", "digital", "--emit", "samples", "--samples", "50"])
        #expect(out.status == 0, "\(out.stderr)")
        let objects = try out.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        try #require(objects.count == 50)
        let keys = ["digital_d11_level", "digital_d12_level", "digital_d13_level", "digital_d17_level", "digital_d18_level"]
        for (i, object) in objects.enumerated() {
            #expect(keys.map { object[$0] as? Double } == Self.expected(.digital, i).map { Double($0) }, "line \(i)")
        }
    }

    @Test("record --aux analog: the three inputs as 250 Hz signals in counts after the EEG; info lists them apart")
    func record() throws {
        let board = try FakeCytonBoard(packets: Self.stream(.analog))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).bdf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = try run(["record", "--device", "cyton", "--port", board.slavePath, "--aux", "analog", "--out", path, "--samples", "50"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let info = try run(["info", path])
        #expect(info.status == 0, "\(info.stderr)")
        // At the EEG's rate but not in a voltage: listed apart, never read as a channel.
        #expect(info.stdout.contains("  channels (8):"), "\(info.stdout)")
        #expect(info.stdout.contains("  other signals, not analysed (3):\n    analog_a5        counts  250 Hz\n"), "\(info.stdout)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let header = String(decoding: bytes.prefix(256 * 13), as: UTF8.self)
        #expect(Int(header.dropFirst(252).prefix(4).trimmingCharacters(in: .whitespaces)) == 12)  // 8 EEG, 3 analog, annotations
        let labels = header.dropFirst(256 + 16 * 8).prefix(16 * 3)
        #expect(labels == "analog_a5       analog_a6       analog_a7       ")
        let dimensions = header.dropFirst(256 + 12 * (16 + 80)).prefix(8 * 12)
        #expect(dimensions.dropFirst(8 * 8).prefix(24) == "counts  counts  counts  ")
        let perRecord = header.dropFirst(256 + 12 * (16 + 80 + 8 * 5 + 80)).prefix(8 * 12)
        #expect(perRecord.dropFirst(8 * 7).prefix(32) == "250     250     250     250     ")
    }

    @Test("--emit metrics: band powers and quality for ch1…ch8 only; the analog inputs (a 1023-count swing) never enter them")
    func metrics() throws {
        // 4 s of packets, A5 toggling 0/1023 each packet: as a channel it would dominate.
        let packets = (0..<1000).flatMap { i in
            cytonPacket(UInt8(i % 256), counts: scriptedCounts(i), aux: i % 2 == 0 ? [0x03, 0xFF, 0x03, 0xFF, 0x03, 0xFF] : [0, 0, 0, 0, 0, 0], footer: 0xC1)
        }
        let board = try FakeCytonBoard(packets: packets)
        let out = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--aux", "analog", "--emit", "metrics", "--samples", "1000"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        try #require(!lines.isEmpty, "no metrics line: \(out.stderr)")
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let channels = try #require(object["channels"] as? [[String: Any]])
            #expect(channels.compactMap { $0["label"] as? String } == (1...8).map { "ch\($0)" }, "\(line.prefix(300))")
        }
    }

    @Test("checks: a refused mode fails with exit 69 naming the command; --aux with the sim, an unknown mode, or with --no-aux: exit 64")
    func checks() throws {
        let board = try FakeCytonBoard(packets: Self.stream(.markers), boardModeReply: "Failure: invalid board mode value.$$$")
        let refused = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--aux", "markers", "--emit", "samples", "--samples", "5"])
        #expect(refused.status == 69 && refused.stderr.contains("answered /4 with 'Failure: invalid board mode value.'"), "\(refused.status) \(refused.stderr)")
        #expect(refused.stdout.isEmpty)

        let sim = try run(["stream", "--aux", "analog", "--emit", "samples", "--samples", "5"])
        #expect(sim.status == 64 && sim.stderr.contains("--aux analog is for --device cyton"), "\(sim.stderr)")
        let unknown = try run(["stream", "--device", "cyton", "--port", "/dev/null", "--aux", "gyro", "--samples", "5"])
        #expect(unknown.status == 64 && unknown.stderr.contains("--aux: 'gyro' is not a mode; use one of accel, analog, digital, markers, none"), "\(unknown.stderr)")
        let both = try run(["stream", "--device", "cyton", "--port", "/dev/null", "--aux", "analog", "--no-aux", "--samples", "5"])
        #expect(both.status == 64 && both.stderr.contains("give --aux analog or --no-aux, not both"), "\(both.stderr)")
    }
}
