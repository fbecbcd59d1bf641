import Foundation
import Testing
import TestSupport
@testable import EEGDevices

/// `eeg record --out s.xdf` with a Cyton's aux channels (`--aux`, `--board-time`) over the
/// pseudo-terminal board: the aux channels are a fourth stream `EEGKit-aux` (float32, the
/// EEG's rate, one sample per EEG sample at its timestamp), read by pyxdf 1.17 (nobody
/// here wrote it) with exactly the values `--emit samples` printed, their labels, units
/// and channel types; the EEG stream stays the 8 EEG channels; `eeg info` lists the aux
/// stream and EEGKit's reader gives the same values.
@Suite("Cyton aux channels in XDF recordings (pseudo-terminal board, pyxdf)", .serialized)
struct XDFAuxCommandTests {
    struct Seen: Decodable {
        struct Stream: Decodable {
            let name: String, type: String, format: String, source_id: String
            let rate: Double
            let labels: [String], units: [String], channel_types: [String]
            let timestamps: [Double]
            let samples: [[Value]]
            /// The numeric samples (a string stream's are nil).
            var numbers: [[Double?]] { samples.map { $0.map(\.number) } }
        }
        /// A sample value: a number (null for NaN) or a string (the markers stream).
        enum Value: Decodable {
            case number(Double?), text(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if c.decodeNil() { self = .number(nil) } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
            }
            var number: Double? { if case .number(let d) = self { return d } else { return nil } }
        }
        let streams: [Stream]
        func stream(_ name: String) throws -> Stream { try #require(streams.first { $0.name == name }, "no stream \(name): \(streams.map(\.name))") }
    }

    static let script = LSLInterop.repository.appendingPathComponent("Tests/interop/xdf_interop.py").path

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try AccelerometerCommandTests().run(arguments)
    }

    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).xdf").path
    }

    /// Records `packets` to an XDF file with `flags`; pyxdf's view of it (nil: visible skip).
    func recordAndRead(_ packets: [UInt8], flags: [String], path: String) throws -> Seen? {
        let board = try FakeCytonBoard(packets: packets)
        let recorded = try run(["record", "--device", "cyton", "--port", board.slavePath] + flags + ["--out", path, "--samples", "50"])
        try #require(recorded.status == 0, "\(recorded.stderr)")
        guard LSLInterop.available("pyxdf reading the aux stream") else { return nil }
        let read = try ChildProcess(LSLInterop.python, [Self.script, "read", path])
        try #require(read.status == 0, "\(read.stderr.suffix(2000))")
        return try JSONDecoder().decode(Seen.self, from: read.stdout)
    }

    /// The CSV `--emit samples` prints for the same packets: the EEG and aux fields per line.
    func printed(_ packets: [UInt8], flags: [String]) throws -> (header: [String], rows: [[Float]]) {
        let board = try FakeCytonBoard(packets: packets)
        let csv = try run(["stream", "--device", "cyton", "--port", board.slavePath] + flags + ["--emit", "samples", "--format", "csv", "--samples", "50"])
        try #require(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        try #require(lines.count == 51, "\(csv.stdout.prefix(300))")
        let rows = try lines.dropFirst().map { line in try line.split(separator: ",").dropFirst().map { try #require(Float($0)) } }
        return (lines[0].split(separator: ",").map(String.init), rows)
    }

    @Test("--aux analog --board-time: EEGKit-aux (A5, A6, A7 in counts, board_time in ms over the whole 24-bit range) exactly as printed, at the EEG's timestamps; info and EEGKit's reader")
    func analogAndBoardTime() throws {
        let flags = ["--aux", "analog", "--board-time"]
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let shown = try printed(BoardTimeCommandTests.stream, flags: flags)
        #expect(Array(shown.header.suffix(4)) == ["analog_a5_counts", "analog_a6_counts", "analog_a7_counts", "board_time_ms"])
        // The hand-computed values, so the comparison below is not only self-consistent.
        #expect(shown.rows.map { Array($0.suffix(4)) } == (0..<50).map { [Float(3 * $0), 0, 0, BoardTimeCommandTests.expected($0)] })
        guard let seen = try recordAndRead(BoardTimeCommandTests.stream, flags: flags, path: path) else { return }

        let aux = try seen.stream("EEGKit-aux"), eeg = try seen.stream("EEGKit")
        #expect(aux.type == "Aux" && aux.format == "float32" && aux.rate == 250 && aux.source_id.hasSuffix("-aux"))
        #expect(aux.labels == ["analog_a5", "analog_a6", "analog_a7", "board_time"])
        #expect(aux.units == ["counts", "counts", "counts", "ms"])
        #expect(aux.channel_types == ["ADC", "ADC", "ADC", "SYSCLOCK"])
        #expect(aux.numbers == shown.rows.map { $0.suffix(4).map { Double($0) } }, "\(aux.numbers.prefix(3))")
        #expect(aux.timestamps == eeg.timestamps && aux.timestamps.count == 50)
        // The EEG stream is the EEG only.
        #expect(eeg.labels == (1...8).map { "ch\($0)" } && eeg.units.allSatisfy { $0 == "microvolts" })
        #expect(eeg.numbers == shown.rows.map { $0.prefix(8).map { Double($0) } })

        let info = try run(["info", path])
        #expect(info.status == 0 && info.stdout.contains("EEG from stream 1 'EEGKit'"), "\(info.stdout)")
        #expect(info.stdout.contains("  stream 4: 'EEGKit-aux' (Aux), 4 × float32 at 250 Hz, 50 samples, 0 clock offsets\n    channels: analog_a5, analog_a6, analog_a7, board_time\n"),
                "\(info.stdout)")
        // EEGKit's reader on the aux stream (named with --stream) gives the printed values.
        let replay = try run(["replay", path, "--stream", "EEGKit-aux", "--speed", "max", "--emit", "samples", "--format", "csv"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let replayed = replay.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().map { Float($0) } }
        #expect(replayed == shown.rows.map { $0.suffix(4).map(Optional.some) })
    }

    @Test("--aux markers: a marker code in its one frame only; accelerometer: held between readings, every frame as printed; ACCEL/TRIG types")
    func markersAndAccelerometer() throws {
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let seen = try recordAndRead(AuxModeCommandTests.stream(.markers), flags: ["--aux", "markers"], path: path) {
            let aux = try seen.stream("EEGKit-aux")
            #expect(aux.labels == ["marker"] && aux.units == ["code"] && aux.channel_types == ["TRIG"])
            #expect(aux.numbers == (0..<50).map { AuxModeCommandTests.expected(.markers, $0).map(Double.init) })
        }
        try? FileManager.default.removeItem(atPath: path)
        let shown = try printed(AccelerometerCommandTests.stream(), flags: [])
        #expect(shown.rows.map { Array($0.suffix(3)) } == (0..<50).map(AccelerometerCommandTests.held))
        guard let seen = try recordAndRead(AccelerometerCommandTests.stream(), flags: [], path: path) else { return }
        let aux = try seen.stream("EEGKit-aux")
        #expect(aux.labels == ["accel_x", "accel_y", "accel_z"] && aux.units == ["g", "g", "g"] && aux.channel_types == ["ACCEL", "ACCEL", "ACCEL"])
        #expect(aux.rate == 250)
        #expect(aux.numbers == shown.rows.map { $0.suffix(3).map { Double($0) } })
    }

    @Test("--no-aux: no aux stream in the file")
    func noAux() throws {
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let seen = try recordAndRead(AccelerometerCommandTests.stream(), flags: ["--no-aux"], path: path) else { return }
        #expect(seen.streams.map(\.name) == ["EEGKit", "EEGKit-metrics", "EEGKit-markers"])
    }
}
