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

    /// Analog mode, `count` packets whose aux words name the packet: A5 = i % 1024,
    /// A6 = i / 1024, A7 = 7.
    static func numberedAnalog(_ count: Int) -> [UInt8] {
        (0..<count).flatMap { i -> [UInt8] in
            let a5 = UInt16(i % 1024), a6 = UInt16(i / 1024)
            return cytonPacket(UInt8(i % 256), counts: scriptedCounts(i % 1000), aux: [UInt8(a5 >> 8), UInt8(a5 & 0xFF), UInt8(a6 >> 8), UInt8(a6 & 0xFF), 0, 7], footer: 0xC1)
        }
    }

    /// A process with LSLAPICFG set to the machine-scope configuration (nothing leaves
    /// loopback), its standard output and error in files.
    static func start(_ executable: String, _ arguments: [String]) throws -> (process: Process, out: URL, err: URL) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).out")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "240", executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LSLAPICFG"] = LSLInterop.configuration
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    struct Pulled: Decodable {
        struct Info: Decodable { let name: String, type: String, source_id: String, labels: [String], units: [String], types: [String]; let nominal_srate: Double }
        let info: Info?
        let samples: [[Double]]?
        let timestamps: [Double]?
        let error: String?
    }

    @Test("--lsl: the aux outlet NAME-aux, read by pylsl (liblsl 1.18): labels, units, types; every sample pulled is its frame's, at the timestamp the XDF gives that frame's EEG sample")
    func lslOutlet() throws {
        guard LSLInterop.available("the aux outlet read by pylsl") else { return }
        let name = "EEGKit-aux-test-\(getpid())"
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let inlet = try Self.start(LSLInterop.python, [LSLInterop.inletScript, "pylsl", name + "-aux", "1000000", "--type", "Aux",
                                                     "--timeout", "60", "--until-idle", "3"])
        defer { if inlet.process.isRunning { inlet.process.terminate() } }
        // Its library can take over 30 s to load on a busy machine: start EEGKit once it resolves.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, inlet.process.isRunning,
              !((try? String(contentsOf: inlet.out, encoding: .utf8)) ?? "").contains("resolving\n") { Thread.sleep(forTimeInterval: 0.05) }
        let frames = 5_000
        // The board holds its packets until the inlet has connected to the aux outlet (it
        // prints "ready" then): the stream does not race liblsl's resolve and connect.
        let board = try FakeCytonBoard(packets: Self.numberedAnalog(frames))
        board.hold()
        let eeg = try Self.start(ImpedanceCommandTests.executable, ["record", "--device", "cyton", "--port", board.slavePath, "--aux", "analog",
                                                                     "--lsl", "--lsl-name", name, "--out", path, "--samples", "\(frames)"])
        let connected = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < connected, inlet.process.isRunning, eeg.process.isRunning,
              !((try? String(contentsOf: inlet.out, encoding: .utf8)) ?? "").contains("ready\n") { Thread.sleep(forTimeInterval: 0.05) }
        board.release()
        eeg.process.waitUntilExit()
        #expect(eeg.process.terminationStatus == 0, "\((try? String(contentsOf: eeg.err, encoding: .utf8)) ?? "")")
        inlet.process.waitUntilExit()
        let output = try Data(contentsOf: inlet.out)
        let json = try #require(String(decoding: output, as: UTF8.self).split(separator: "\n").last, "\((try? String(contentsOf: inlet.err, encoding: .utf8)) ?? "")")
        let pulled = try JSONDecoder().decode(Pulled.self, from: Data(json.utf8))
        try #require(pulled.error == nil, "\(pulled.error ?? "")")
        let info = try #require(pulled.info)
        #expect(info.name == name + "-aux" && info.type == "Aux" && info.source_id.hasSuffix("-aux") && info.nominal_srate == 250)
        #expect(info.labels == ["analog_a5", "analog_a6", "analog_a7"] && info.units == ["counts", "counts", "counts"] && info.types == ["ADC", "ADC", "ADC"])
        let samples = pulled.samples ?? [], stamps = pulled.timestamps ?? []
        // Connected before the first packet: every sample arrives.
        try #require(samples.count == frames && stamps.count == frames, "\(samples.count) of \(frames) pulled from the aux outlet")

        let read = try ChildProcess(LSLInterop.python, [Self.script, "read", path])
        try #require(read.status == 0, "\(read.stderr.suffix(2000))")
        let seen = try JSONDecoder().decode(Seen.self, from: read.stdout)
        let recordedEEG = try seen.stream(name), recordedAux = try seen.stream(name + "-aux")
        #expect(recordedAux.timestamps == recordedEEG.timestamps && recordedAux.timestamps.count == frames)
        var mismatches = 0
        let recordedValues = recordedAux.numbers
        for (values, stamp) in zip(samples, stamps) {
            let frame = Int(values[1]) * 1024 + Int(values[0])
            guard frame >= 0, frame < frames, values[2] == 7, recordedValues[frame] == values.map(Optional.some),
                  recordedEEG.timestamps[frame] == stamp else { mismatches += 1; continue }
        }
        #expect(mismatches == 0, "\(mismatches) of \(samples.count) pulled aux samples are not their frame's at its EEG timestamp")
        print("aux outlet: \(samples.count) of \(frames) samples pulled")
    }

    @Test("--no-aux: no aux stream in the file")
    func noAux() throws {
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let seen = try recordAndRead(AccelerometerCommandTests.stream(), flags: ["--no-aux"], path: path) else { return }
        #expect(seen.streams.map(\.name) == ["EEGKit", "EEGKit-metrics", "EEGKit-markers"])
    }
}
