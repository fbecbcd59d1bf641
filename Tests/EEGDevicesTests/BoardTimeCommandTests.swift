import Foundation
import Testing
import TestSupport
@testable import EEGDevices

/// `eeg stream` and `eeg record --board-time` over the pseudo-terminal board (`--port`):
/// the time-stamp command and its confirmation, the board_time column and its exact
/// values, the BDF signal read back by pyedflib, and the option's checks.
@Suite("Cyton board time through the CLI (pseudo-terminal board)", .serialized)
struct BoardTimeCommandTests {
    /// The board's millis() in packet `i`: from 100 ms, jumping so the channel sweeps its
    /// whole range (0…16777215) and wraps once: packet 48 is 2^24 − 1 ms after packet 0,
    /// packet 49 is 2^24 + 7 ms after it.
    static func time(_ i: Int) -> UInt32 {
        switch i {
        case 48: return 100 + 16_777_215
        case 49: return 100 + 16_777_216 + 7
        default: return 100 + UInt32(i) * 335_544
        }
    }

    /// board_time for frame `i`, by hand from the times above.
    static func expected(_ i: Int) -> Float {
        switch i {
        case 48: return 16_777_215
        case 49: return 7
        default: return Float(i * 335_544)
        }
    }

    /// Analog mode with time stamps: footer 0xC6 (0xC5 first), A5 = 3 × i.
    static let stream: [UInt8] = (0..<50).flatMap { (i: Int) -> [UInt8] in
        let footer: UInt8 = i == 0 ? 0xC5 : 0xC6
        return stampedPacket(UInt8(i), word: UInt16(3 * i), time: time(i), footer: footer)
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try AccelerometerCommandTests().run(arguments)
    }

    /// Waits (30 s at most) until the board saw `>`: `eeg` sends it as it releases the board.
    func awaitTimeStampsOff(_ board: FakeCytonBoard) -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while board.timeStamps && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !board.timeStamps
    }

    @Test("--emit samples CSV and JSON: board_time_ms after the aux columns, exact over the whole 24-bit range; < before b, > at the end")
    func samples() throws {
        let board = try FakeCytonBoard(packets: Self.stream)
        let csv = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--aux", "analog", "--board-time",
                           "--emit", "samples", "--format", "csv", "--samples", "50"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        try #require(lines.count == 51, "\(csv.stdout.prefix(300))")
        #expect(lines[0] == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8,analog_a5_counts,analog_a6_counts,analog_a7_counts,board_time_ms")
        for (i, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",").map { Float($0) }
            #expect(Array(fields[1..<9]) == expectedMicrovolts(i).map(Optional.some), "line \(i)")
            #expect(Array(fields[9...]) == [Float(3 * i), 0, 0, Self.expected(i)].map(Optional.some), "line \(i): \(line)")
        }
        #expect(String(decoding: board.commands, as: UTF8.self).contains("/2<b"), "\(String(decoding: board.commands, as: UTF8.self))")
        #expect(awaitTimeStampsOff(board), "no > at the end: \(String(decoding: board.commands, as: UTF8.self))")

        let board2 = try FakeCytonBoard(packets: Self.stream)
        let json = try run(["stream", "--device", "cyton", "--port", board2.slavePath, "--no-aux", "--board-time", "--emit", "samples", "--samples", "50"])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try json.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        try #require(objects.count == 50)
        #expect(objects.map { $0["board_time_ms"] as? Double } == (0..<50).map { Double(Self.expected($0)) })
        #expect(objects.allSatisfy { $0.keys.filter { !$0.hasPrefix("ch") }.sorted() == ["board_time_ms", "sample"] }, "\(objects[0].keys)")
    }

    @Test("record --board-time to BDF: board_time (ms) at 250 Hz after the EEG; pyedflib reads every value exactly")
    func record() throws {
        let board = try FakeCytonBoard(packets: Self.stream)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).bdf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = try run(["record", "--device", "cyton", "--port", board.slavePath, "--no-aux", "--board-time", "--out", path, "--samples", "50"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let info = try run(["info", path])
        #expect(info.stdout.contains("  other signals, not analysed (1):\n    board_time       ms  250 Hz\n"), "\(info.stdout)")
        let script = """
            import json, sys
            import pyedflib
            with pyedflib.EdfReader(sys.argv[1]) as f:
                i = f.getSignalLabels().index("board_time")
                json.dump({"unit": f.getPhysicalDimension(i), "rate": f.getSampleFrequency(i), "values": f.readSignal(i).tolist()}, sys.stdout)
            """
        let python = try ChildProcess("/usr/bin/env", ["python3", "-c", script, path])
        if python.status != 0 && python.stderr.contains("No module named") && ProcessInfo.processInfo.environment["CI"] != "true" {
            print("SKIPPED: pyedflib is missing; the board_time signal was not read back (make python-deps)")
            return
        }
        try #require(python.status == 0, "\(python.stderr.suffix(1000))")
        struct Seen: Decodable { let unit: String, rate: Double, values: [Double] }
        let seen = try JSONDecoder().decode(Seen.self, from: python.stdout)
        #expect(seen.unit == "ms" && seen.rate == 250)
        // 50 frames and the rest of the 1 s record as filler (0).
        #expect(Array(seen.values.prefix(50)) == (0..<50).map { Double(Self.expected($0)) })
    }

    @Test("checks: no confirmation of < is exit 69 naming it; --board-time with the sim or into .edf is exit 64")
    func checks() throws {
        let board = try FakeCytonBoard(packets: Self.stream, timeStampReply: "")
        let silent = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--board-time", "--emit", "samples", "--samples", "5"])
        #expect(silent.status == 69 && silent.stderr.contains("timed out waiting for the board to confirm time stamps on for the board_time channel (<)"),
                "\(silent.status) \(silent.stderr)")
        #expect(silent.stdout.isEmpty)

        let sim = try run(["stream", "--board-time", "--emit", "samples", "--samples", "5"])
        #expect(sim.status == 64 && sim.stderr.contains("--board-time is for --device cyton, not the simulated headset"), "\(sim.stderr)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).edf").path
        let edf = try run(["record", "--device", "cyton", "--port", "/dev/null", "--board-time", "--out", path, "--samples", "5"])
        #expect(edf.status == 64 && edf.stderr.contains("--board-time needs a .bdf or .xdf recording: .edf's 16-bit samples cannot hold board_time"), "\(edf.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
