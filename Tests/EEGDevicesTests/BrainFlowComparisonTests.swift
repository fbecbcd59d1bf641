import Foundation
import Testing
import TestSupport

/// EEGKit against BrainFlow 5.23 (issue 12, part 4), on identical bytes: a Cyton stream
/// written by Tests/interop/cyton_stream.py from a seed (counter gaps, garbage, torn
/// packets, the accelerometer at 25 Hz) is played by the pseudo-terminal ``FakeCytonBoard``
/// to BrainFlow's CYTON_BOARD / CYTON_DAISY_BOARD (brainflow_cyton.py) and to `eeg stream
/// --port`, and by the emulated USB dongle (cyton_dongle.py --stream-file) to `eeg stream
/// --device cyton`. Tests/interop/compare_cyton.py then checks, packet by packet, every
/// EEG µV, the sample counter and BrainFlow's accelerometer rows, and sorts every
/// difference into a documented convention; any other difference fails the test.
/// Needs the interop venv (`make interop-deps`); each case takes a few seconds.
@Suite("EEGKit and BrainFlow 5.23 on identical Cyton bytes (tty and libusb)", .serialized)
struct BrainFlowComparisonTests {
    static let repository = Fixtures.root.deletingLastPathComponent()
    static let interop = repository.appendingPathComponent("Tests/interop").path
    static let python = repository.appendingPathComponent(".build-interop/venv/bin/python").path
    static let daisyBanner = "OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$"
    static let packets = 1500

    /// Whether BrainFlow can run here; says so when not (and fails under CI=true).
    static let brainFlowAvailable: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", "import brainflow.board_shim"]
        check.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: python), (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    /// True (after printing a visible skip, and recording an issue under CI=true) when
    /// `available` is false: the caller returns having checked nothing, and says so.
    static func skipUnlessAvailable(_ what: String, _ available: Bool) -> Bool {
        guard !available else { return false }
        print("◇ skipped: \(what)")
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(what), and CI must run these tests") }
        return true
    }

    /// A process with its output in files, killed after 120 s (a hang guard, not a timing assertion).
    struct Run {
        let process = Process()
        let out: URL, err: URL

        init(_ executable: String, _ arguments: [String], in directory: URL, name: String) throws {
            out = directory.appendingPathComponent("\(name).out")
            err = directory.appendingPathComponent("\(name).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            process.arguments = ["-s", "KILL", "120", executable] + arguments
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        /// Waits; the exit status and standard error.
        func finish() -> (status: Int32, stderr: String) {
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }
    }

    /// The generated stream: its bytes, its ground truth, and how many frames `eeg`
    /// must count (lost ones included) to reach its last whole frame.
    struct GeneratedStream {
        let directory: URL
        let bytes: [UInt8]
        let file: URL
        let truth: URL
        let frames: Int
    }

    struct Truth: Decodable {
        struct Packet: Decodable { let number: Int }
        let packets: [Packet]
    }

    /// - Parameter first: the first sample number (the firmware's is 0).
    static func generate(seed: Int, daisy: Bool, first: Int = 0) throws -> GeneratedStream {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-brainflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bytes = directory.appendingPathComponent("stream.bin"), truth = directory.appendingPathComponent("truth.json")
        let generator = try Run(python, ["\(interop)/cyton_stream.py", "--seed", "\(seed)", "--packets", "\(packets)", "--first", "\(first)",
                                         "--out", bytes.path, "--truth", truth.path] + (daisy ? ["--daisy"] : []), in: directory, name: "generate")
        let (status, stderr) = generator.finish()
        try #require(status == 0, "cyton_stream.py: \(stderr)")
        let numbers = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: truth)).packets.map(\.number)
        return GeneratedStream(directory: directory, bytes: Array(try Data(contentsOf: bytes)), file: bytes, truth: truth,
                      frames: framesSpanned(numbers, daisy: daisy))
    }

    /// Frames from the first packet to the last whole one, counting the lost ones: the
    /// unwrapped packet index + 1, or with a Daisy the pair number (board packet index / 2)
    /// of the last board packet whose Daisy half follows it, + 1.
    static func framesSpanned(_ numbers: [Int], daisy: Bool) -> Int {
        var indices: [Int] = []
        for number in numbers {
            guard let last = indices.last else { indices.append(0); continue }
            let delta = (number - numbers[indices.count - 1]) & 0xFF
            indices.append(last + (delta == 0 ? 256 : delta))
        }
        guard daisy else { return (indices.last ?? -1) + 1 }
        let lastPair = numbers.indices.last { i in
            numbers[i] % 2 == 1 && i + 1 < indices.count && indices[i + 1] == indices[i] + 1
        }
        return lastPair.map { indices[$0] / 2 + 1 } ?? 0
    }

    /// BrainFlow reads `stream` from a fake board on a pty; its JSON output. It collects
    /// the rows its documented reading gives (compare_cyton.py says how many), so it
    /// stops as soon as they are in, and on a loaded machine waits for them.
    static func startBrainFlow(_ stream: GeneratedStream, daisy: Bool, board: FakeCytonBoard) throws -> (Run, URL) {
        let count = try Run(python, ["\(interop)/compare_cyton.py", "--truth", stream.truth.path, "--stream", stream.file.path, "--brainflow-rows"], in: stream.directory, name: "rows")
        let (status, stderr) = count.finish()
        let rows = try #require(Int(try String(contentsOf: count.out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)), "\(status): \(stderr)")
        let out = stream.directory.appendingPathComponent("brainflow.json")
        let run = try Run(python, ["\(interop)/brainflow_cyton.py", "--port", board.slavePath, "--rows", "\(rows)",
                                   "--out", out.path] + (daisy ? ["--daisy"] : []), in: stream.directory, name: "brainflow")
        return (run, out)
    }

    /// compare_cyton.py's report on `eeg` (CSV output, standard error) against BrainFlow's rows.
    static func compare(_ stream: GeneratedStream, brainflow: URL, eeg: (csv: URL, log: URL)) throws -> [String: Any] {
        let run = try Run(python, ["\(interop)/compare_cyton.py", "--truth", stream.truth.path, "--stream", stream.file.path, "--brainflow", brainflow.path,
                                   "--eeg", eeg.csv.path, "--eeg-log", eeg.log.path], in: stream.directory, name: "compare")
        let (status, stderr) = run.finish()
        let text = try String(contentsOf: run.out, encoding: .utf8)
        let report = try #require((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                                  "compare_cyton.py wrote no report (status \(status)): \(stderr)")
        #expect(status == 0, "differences no convention explains: \(report["unexplained"] ?? stderr)")
        return report
    }

    /// What every comparison must show: BrainFlow's rows are what its source says it
    /// computes; every EEG value of every packet both tools have is equal (EEGKit's is
    /// BrainFlow's rounded to float32); the faults happened; the stated conventions only.
    static func checkReport(_ report: [String: Any], eeg: URL, daisy: Bool) throws {
        let rows = try #require(report["brainflow_rows"] as? Int)
        #expect(rows > (daisy ? 600 : 1_400), "BrainFlow read too little: \(rows) rows")
        #expect(report["brainflow_rows_as_documented"] as? [String: Int] == ["package": rows, "eeg": rows, "accel": rows])
        #expect((report["torn"] as? Int ?? 0) > 0 && (report["garbage_bursts"] as? Int ?? 0) > 0 && (report["counter_gaps"] as? Int ?? 0) > 0)
        #expect(report["accel_readings_with_x_zero_held_by_brainflow"] as? Int == 1)
        let explained = try #require(report["explained"] as? [String: Int])
        // The torn packets, and the one misaligned case: BrainFlow resynchronised inside a
        // packet and lost the packet it cut (with 8 channels also writing a row of nonsense).
        #expect(explained["after_torn"] ?? 0 > 0 && explained["misaligned_read"] ?? 0 > 0)
        if !daisy { #expect(explained["misaligned_row"] ?? 0 > 0) }
        let plain: Set<String> = ["after_torn", "misaligned_read", "misaligned_row",
                                  "accel_after_torn", "accel_misaligned_read", "accel_misaligned_row", "accel_x_zero"]
        let allowed = daisy ? plain.union(["pairing", "lost_pair_half", "daisy_half_dropped", "stale_daisy_half", "first_row_zero_daisy",
                                           "accel_averaged", "accel_pairing", "accel_lost_pair_half", "accel_daisy_half_dropped"]) : plain
        #expect(Set(explained.keys).isSubset(of: allowed), "\(explained)")
        if daisy { #expect(explained["pairing"] ?? 0 > 500 && explained["lost_pair_half"] ?? 0 > 0 && explained["stale_daisy_half"] ?? 0 > 0) }
        let outputs = try #require(report["eeg"] as? [String: [String: Any]])
        let output = try #require(outputs[eeg.path])
        let compared = try #require(output["values_compared"] as? Int)
        #expect(compared > 11_000, "\(eeg.lastPathComponent): only \(compared) values compared")
        #expect(output["values_exact"] as? Int == compared && output["values_equal_to_brainflow_as_float32"] as? Int == compared)
        #expect((output["counter_checked"] as? Int ?? 0) * 8 >= compared)
        #expect((output["reported_gaps"] as? Int ?? 0) > 0, "eeg reported no loss")
        // The accelerometer columns (accel_x_g, …), once eeg prints them: every frame's
        // held reading checked against the packets.
        if !(output["accel_columns"] as? [String] ?? []).isEmpty {
            #expect((output["accel_checked"] as? Int ?? 0) * 2 > compared / (daisy ? 16 : 8), "too few frames with the accelerometer")
        }
    }

    @Test("tty: every EEG µV and the counter equal BrainFlow's, or differ by a documented convention",
          arguments: [(daisy: false, seed: 101), (daisy: true, seed: 102)])
    func overTheTTY(daisy: Bool, seed: Int) throws {
        if Self.skipUnlessAvailable("BrainFlow is not installed in .build-interop/venv (make interop-deps)", Self.brainFlowAvailable) { return }
        let stream = try Self.generate(seed: seed, daisy: daisy)
        defer { try? FileManager.default.removeItem(at: stream.directory) }
        let banner = daisy ? Self.daisyBanner : FakeCytonBoard.standardBanner
        let brainFlowBoard = try FakeCytonBoard(packets: stream.bytes, banner: banner)
        let eegBoard = try FakeCytonBoard(packets: stream.bytes, banner: banner)
        let (brainFlow, brainFlowOut) = try Self.startBrainFlow(stream, daisy: daisy, board: brainFlowBoard)
        let eeg = try Run(ImpedanceCommandTests.executable, ["stream", "--device", "cyton", "--port", eegBoard.slavePath, "--emit", "samples",
                                                            "--format", "csv", "--samples", "\(stream.frames)"] + (daisy ? ["--daisy"] : []),
                          in: stream.directory, name: "eeg")
        let (eegStatus, eegErrors) = eeg.finish()
        let (brainFlowStatus, brainFlowErrors) = brainFlow.finish()
        try #require(eegStatus == 0, "eeg: \(eegErrors)")
        try #require(brainFlowStatus == 0, "BrainFlow: \(brainFlowErrors)")
        // BrainFlow's start-up, answered as the firmware does, and every byte read.
        #expect(String(decoding: brainFlowBoard.commands, as: UTF8.self) == "vdbs")
        #expect(brainFlowBoard.sentBytes == stream.bytes.count)
        let report = try Self.compare(stream, brainflow: brainFlowOut, eeg: (eeg.out, eeg.err))
        try Self.checkReport(report, eeg: eeg.out, daisy: daisy)
    }

    @Test("libusb: the emulated dongle sends the same bytes; eeg's output is the tty's, byte for byte, and compares with BrainFlow's the same way",
          arguments: [(daisy: false, seed: 201, first: 0), (daisy: true, seed: 202, first: 75)])
    func overLibUSB(daisy: Bool, seed: Int, first: Int) throws {
        if Self.skipUnlessAvailable("BrainFlow is not installed in .build-interop/venv (make interop-deps)", Self.brainFlowAvailable) { return }
        if Self.skipUnlessAvailable("umockdev (the emulated dongle) is not available", EmulatedDongle.available) { return }
        // With a Daisy, the stream starts with a board half (as when the first packet was
        // lost): BrainFlow's first row then has no Daisy half.
        let stream = try Self.generate(seed: seed, daisy: daisy, first: first)
        defer { try? FileManager.default.removeItem(at: stream.directory) }
        let banner = daisy ? Self.daisyBanner : FakeCytonBoard.standardBanner
        let brainFlowBoard = try FakeCytonBoard(packets: stream.bytes, banner: banner)
        let ttyBoard = try FakeCytonBoard(packets: stream.bytes, banner: banner)
        let (brainFlow, brainFlowOut) = try Self.startBrainFlow(stream, daisy: daisy, board: brainFlowBoard)
        let daisyFlag = daisy ? ["--daisy"] : []
        let tty = try Run(ImpedanceCommandTests.executable, ["stream", "--device", "cyton", "--port", ttyBoard.slavePath, "--emit", "samples",
                                                            "--format", "csv", "--samples", "\(stream.frames)"] + daisyFlag,
                          in: stream.directory, name: "tty")
        let result = stream.directory.appendingPathComponent("usb.json")
        let usb = try Run(try #require(EmulatedDongle.wrapper),
                          ["/usr/bin/python3", EmulatedDongle.script, "--eeg", ImpedanceCommandTests.executable, "--scenario", "stream",
                           "--stream-file", stream.file.path, "--samples", "\(stream.frames)", "--rate", "2000", "--timeout", "45", "--out", result.path]
                          + (daisy ? ["--daisy-banner", "--eeg-arg=--daisy"] : []), in: stream.directory, name: "usb")
        let (usbStatus, usbErrors) = usb.finish()
        let (ttyStatus, ttyErrors) = tty.finish()
        let (brainFlowStatus, brainFlowErrors) = brainFlow.finish()
        try #require(usbStatus == 0 && ttyStatus == 0, "dongle: \(usbErrors); tty: \(ttyErrors)")
        try #require(brainFlowStatus == 0, "BrainFlow: \(brainFlowErrors)")
        let dongle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: result)) as? [String: Any])
        try #require(dongle["status"] as? Int == 0, "eeg over libusb: \(dongle["stderr"] ?? "")")
        let usbCSV = stream.directory.appendingPathComponent("usb.csv"), usbLog = stream.directory.appendingPathComponent("usb.err")
        try Data((try #require(dongle["stdout"] as? String)).utf8).write(to: usbCSV)
        try Data((try #require(dongle["stderr"] as? String)).utf8).write(to: usbLog)
        #expect(try Data(contentsOf: usbCSV) == Data(contentsOf: tty.out), "libusb and tty gave different samples")
        let report = try Self.compare(stream, brainflow: brainFlowOut, eeg: (usbCSV, usbLog))
        try Self.checkReport(report, eeg: usbCSV, daisy: daisy)
        if daisy { #expect((report["explained"] as? [String: Int])?["first_row_zero_daisy"] == 1) }
    }
}
