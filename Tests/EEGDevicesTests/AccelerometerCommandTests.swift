import Foundation
import Testing
@testable import EEGDevices

/// `eeg stream` and `eeg record` over the pseudo-terminal board (`--port`) whose packets
/// carry accelerometer readings: the columns, their values in g, `--no-aux`, and the
/// recording's 25 Hz signals that `eeg info` still reads.
@Suite("Cyton accelerometer through the CLI (pseudo-terminal board)", .serialized)
struct AccelerometerCommandTests {
    /// 50 packets; a reading every 10 from packet 4 on: reading k = (16k, −32, 8192 − 8k) counts.
    static func stream() -> [UInt8] {
        (0..<50).flatMap { i -> [UInt8] in
            guard i % 10 == 4 else { return cytonPacket(UInt8(i), counts: scriptedCounts(i)) }
            let k = i / 10
            let values = [16 * (k + 1), -32, 8192 - 8 * k].map { UInt16(bitPattern: Int16($0)) }
            return cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        }
    }

    /// The held reading at packet `i`, in g as the CLI prints it (Float, shortest form).
    static func held(_ i: Int) -> [Float] {
        guard i >= 4 else { return [0, 0, 0] }
        let k = (i - 4) / 10
        return [16 * (k + 1), -32, 8192 - 8 * k].map { Float(Double($0) * 0.002 / 16) }
    }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let (process, out, err) = try ImpedanceCommandTests().start(arguments)
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    @Test("--emit samples: accel_x_g, accel_y_g, accel_z_g after the channels, held between readings (CSV and JSON lines)")
    func samples() throws {
        let board = try FakeCytonBoard(packets: Self.stream())
        let csv = try run(["stream", "--device", "cyton", "--port", board.slavePath, "--emit", "samples", "--format", "csv", "--samples", "50"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        try #require(lines.count == 51, "\(csv.stdout.prefix(500))")
        #expect(lines[0] == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8,accel_x_g,accel_y_g,accel_z_g")
        for (i, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",").map { Float($0) }
            #expect(fields.count == 12 && Array(fields[1..<9]) == expectedMicrovolts(i).map(Optional.some), "line \(i)")
            #expect(Array(fields[9..<12]) == Self.held(i).map(Optional.some), "line \(i): \(line)")
        }

        let board2 = try FakeCytonBoard(packets: Self.stream())
        let json = try run(["stream", "--device", "cyton", "--port", board2.slavePath, "--emit", "samples", "--samples", "50"])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try json.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        try #require(objects.count == 50)
        // JSON numbers are the floats' shortest decimal forms: read back as floats.
        #expect((objects[44]["accel_x_g"] as? Double).map(Float.init) == Self.held(44)[0])
        #expect((objects[44]["accel_z_g"] as? Double).map(Float.init) == Self.held(44)[2])

        let board3 = try FakeCytonBoard(packets: Self.stream())
        let plain = try run(["stream", "--device", "cyton", "--port", board3.slavePath, "--emit", "samples", "--format", "csv", "--samples", "5", "--no-aux"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.split(separator: "\n").first == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8")
        let sim = try run(["stream", "--emit", "samples", "--samples", "5", "--no-aux"])
        #expect(sim.status == 64 && sim.stderr.contains("--no-aux are for --device cyton"), "\(sim.stderr)")
    }

    @Test("record: accel_x/y/z as 25 Hz signals in g beside the EEG; info lists them apart from the channels")
    func record() throws {
        let board = try FakeCytonBoard(packets: Self.stream())
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).bdf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorded = try run(["record", "--device", "cyton", "--port", board.slavePath, "--out", path, "--samples", "50"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let info = try run(["info", path])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("  other signals, not analysed (3):\n    accel_x          g  25 Hz\n"), "\(info.stdout)")
        #expect(info.stdout.contains("  problems: none"), "\(info.stdout)")
        let json = try run(["info", path, "--json"])
        #expect(json.stdout.contains("\"other_signals\": [{\"label\": \"accel_x\", \"unit\": \"g\", \"sample_rate\": 25.0}"), "\(json.stdout)")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let header = String(decoding: bytes.prefix(256 * 13), as: UTF8.self)
        let signals = Int(header.dropFirst(252).prefix(4).trimmingCharacters(in: .whitespaces))
        #expect(signals == 12)  // 8 EEG, 3 accelerometer, annotations
        // Labels (16 each), then after transducers (80) the physical dimensions (8 each).
        let labels = header.dropFirst(256).prefix(16 * 12)
        #expect(labels.contains("accel_x") && labels.contains("accel_z"))
        let dimensions = header.dropFirst(256 + 12 * (16 + 80)).prefix(8 * 12)
        #expect(dimensions.dropFirst(8 * 8).prefix(24) == "g       g       g       ")
        let perRecord = header.dropFirst(256 + 12 * (16 + 80 + 8 * 5 + 80)).prefix(8 * 12)
        #expect(perRecord.dropFirst(8 * 7).prefix(32) == "250     25      25      25      ")
    }
}
