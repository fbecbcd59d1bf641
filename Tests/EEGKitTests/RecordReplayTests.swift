import EEGDevices
import Foundation
import Testing
import TestSupport
@testable import EEGKit

func scratchPath(_ ext: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).\(ext)").path
}

@Suite("eeg record / replay / info / repair, run as processes", .serialized)
struct RecordReplayTests {
    @Test("replaying a recording reproduces the live session's metrics lines byte for byte", arguments: ["bdf", "edf"])
    func replayEqualsLive(ext: String) throws {
        let path = scratchPath(ext)
        // 37.3 s: not a whole number of records, and past the 4 s first window.
        let live = try EEGProcess(["record", "--out", path, "--samples", "9325", "--sim-speed", "max", "--emit", "metrics", "--seed", "5"])
        #expect(live.status == 0, "\(live.stderr)")
        let replay = try EEGProcess(["replay", path, "--speed", "max"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let lines = live.stdout.split(separator: "\n")
        #expect(lines.count == 134)  // updates at 4.0, 4.25, …, 37.25 s
        #expect(replay.stdout == live.stdout)
        // The same for CSV output.
        let csvPath = scratchPath(ext)
        let liveCSV = try EEGProcess(["record", "--out", csvPath, "--samples", "2000", "--sim-speed", "max", "--emit", "metrics", "--format", "csv"])
        let replayCSV = try EEGProcess(["replay", csvPath, "--speed", "max", "--format", "csv"])
        #expect(liveCSV.stdout == replayCSV.stdout && !liveCSV.stdout.isEmpty)
    }

    @Test("the file holds every sample the device produced (BDF: to its 0.022 µV step)")
    func samplesAreKept() throws {
        let path = scratchPath("bdf")
        #expect(try EEGProcess(["record", "--out", path, "--samples", "1000", "--sim-speed", "max", "--seed", "9"]).status == 0)
        let reader = try EDFReader(path: path)
        var signal = SimulatedSignal(seed: 9)
        var expected = [Float](repeating: 0, count: 8 * 1000)
        expected.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
        var frames = [Float](repeating: 0, count: 8 * 250)
        var worst: Float = 0
        for r in 0..<4 {
            _ = try frames.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
            for i in frames.indices { worst = max(worst, abs(frames[i] - expected[r * 2000 + i])) }
        }
        #expect(worst <= 0.0112)  // half a step of 375000 µV / 16777214
        #expect(reader.channelLabels == ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"])
    }

    @Test("--from/--to replay a window; samples come out with their sample numbers")
    func window() throws {
        let path = scratchPath("bdf")
        #expect(try EEGProcess(["record", "--out", path, "--samples", "2500", "--sim-speed", "max"]).status == 0)
        let run = try EEGProcess(["replay", path, "--speed", "max", "--from", "2", "--to", "3.5", "--emit", "samples", "--format", "csv"])
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1 + 375)
        #expect(lines[1].hasPrefix("500,"))
        #expect(lines.last!.hasPrefix("874,"))
    }

    @Test("markers typed on standard input become annotations")
    func markers() throws {
        let path = scratchPath("bdf")
        let run = try EEGProcess(["record", "--out", path, "--duration", "1s", "--markers-from-stdin"], stdin: Data("eyes closed\n\nstimulus A\n".utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let texts = try EDFReader(path: path).allAnnotations().map(\.text)
        #expect(texts.contains("Marker: eyes closed"))
        #expect(texts.contains("Marker: marker"))
        #expect(texts.contains("Marker: stimulus A"))
        #expect(texts.first?.hasPrefix("Recording starts") == true)
        #expect(texts.contains("Recording ends"))
    }

    @Test("refuses to overwrite without --force, and leaves the file alone")
    func noOverwrite() throws {
        let path = scratchPath("bdf")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        let run = try EEGProcess(["record", "--out", path, "--samples", "10", "--sim-speed", "max"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("already exists; use --force"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        #expect(try EEGProcess(["record", "--out", path, "--samples", "10", "--sim-speed", "max", "--force"]).status == 0)
        #expect(try EEGProcess(["record", "--out", "/tmp/x.txt", "--samples", "10"]).stderr.contains("--out must end in .bdf"))
    }

    @Test("killed with SIGKILL mid-recording: at most the last second is lost, repair makes it whole")
    func crash() throws {
        let path = scratchPath("bdf")
        let process = Process()
        process.executableURL = EEGProcess.executable
        // Every frame goes to a file as a CSV line too, so the device time reached is known
        // (wall-clock time is not: a loaded machine starts the process late).
        let output = scratchPath("csv")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.arguments = ["record", "--out", path, "--emit", "samples", "--format", "csv"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
        // Killed once 3.4 s of device time have been shown (at most 60 s of waiting), so a
        // slow start on a loaded machine still kills it mid-recording, a few records in.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, deviceFramesReached(csv: readWholeFile(output)) < 850 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let reached = deviceFramesReached(csv: readWholeFile(output))
        #expect(process.terminationReason == .uncaughtSignal)

        let info = try EEGProcess(["info", path, "--json"])
        #expect(info.status == 0)
        #expect(info.stdout.contains("\"record_count_in_header\": -1"))
        #expect(info.stdout.contains("not closed"))
        let repair = try EEGProcess(["repair", path])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("wrote the record count"))
        let reader = try EDFReader(path: path)
        #expect(reader.header.recordCount == reader.recordCount)
        #expect(reader.problems.isEmpty)
        // All the device time the output showed but the record being filled (< 1 s) is in the file.
        #expect(reached > 0 && reached - Int64(reader.frameCount) < 250, "\(reader.recordCount) records, \(reached) frames reached")
        // And they are the simulated headset's samples.
        var signal = SimulatedSignal(seed: 1)
        var expected = [Float](repeating: 0, count: 8 * 250)
        expected.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
        var first = [Float](repeating: 0, count: 8 * 250)
        _ = try first.withUnsafeMutableBufferPointer { try reader.readRecord(0, into: $0) }
        #expect(zip(first, expected).allSatisfy { abs($0 - $1) <= 0.0112 })
        #expect(try EEGProcess(["repair", path]).stdout.contains("nothing to repair"))
        // The repaired file opens in pyedflib with the same samples.
        if let tools = try InteropTests.readWithOtherTools(path), let pyedflib = tools["pyedflib"] {
            #expect(pyedflib.samples[0].count == reader.frameCount)
            #expect(zip(pyedflib.samples[0].prefix(250), (0..<250).map { first[$0 * 8] }).allSatisfy { abs($0 - Double($1)) < 1e-3 })
        }
    }

    @Test("repair drops a torn last record, atomically, and says so")
    func tornRecord() throws {
        let path = scratchPath("edf")
        #expect(try EEGProcess(["record", "--out", path, "--samples", "750", "--sim-speed", "max"]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(236..<244, with: Data("-1      ".utf8))
        bytes.append(Data(repeating: 7, count: 1000))  // half a record
        try bytes.write(to: URL(fileURLWithPath: path))
        let run = try EEGProcess(["repair", path])
        #expect(run.stdout.contains("wrote the record count 3 (was -1); dropped a torn last record (1000 bytes)"), "\(run.stdout)")
        let reader = try EDFReader(path: path)
        #expect(reader.recordCount == 3 && reader.header.recordCount == 3)
        let directoryListing = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        #expect(!directoryListing.contains { $0.contains(".repair-") })
    }

    @Test("info, replay and bandpower on bad files: one line naming the problem, documented exit codes")
    func badFiles() throws {
        let notEDF = scratchPath("edf")
        try Data(repeating: 0x41, count: 600).write(to: URL(fileURLWithPath: notEDF))
        let info = try EEGProcess(["info", notEDF])
        #expect(info.status == 65)
        #expect(info.stderr.contains("header field 'version' at byte 0"))
        #expect(try EEGProcess(["replay", "/no/such.bdf"]).status == 66)
        #expect(try EEGProcess(["info", FileManager.default.temporaryDirectory.path]).status == 66)
        #expect(try EEGProcess(["replay", notEDF, "--from", "5", "--to", "2"]).stderr.contains("--to must be after --from"))
    }

    @Test("bandpower reads the MNE-written EDF and gives the scipy reference")
    func bandpowerOnEDF() throws {
        let run = try EEGProcess(["bandpower", "--input", Fixtures.url("eeg/libgdf_mi128.edf").path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let channels = try #require(object["channels"] as? [[String: Any]])
        let reference = try Fixtures.json("eeg/libgdf_mi128.json", as: RecordingReference.self)
        for (c, name) in reference.channel_names.enumerated() {
            #expect(channels[c]["label"] as? String == name)
            let powers = try #require(channels[c]["band_power"] as? [String: Double])
            for (band, value) in reference.band_powers_uv2[name]! {
                #expect(abs(powers[band]! / value - 1) <= 1e-4, "\(name) \(band)")
            }
        }
    }
}

@Suite("Recorder")
struct RecorderTests {
    @Test("a jump in the sample index is written as an annotated gap, not stitched")
    func gapsFromIndices() throws {
        let path = scratchPath("bdf")
        let device = try SimulatedHeadset(channelCount: 2, sampleRate: 100)
        let recorder = try Recorder(options: RecordingOptions(path: path), device: device)
        var samples = [Float](repeating: 5, count: 2 * 100)
        let first: [Int64] = Array(0..<60) + Array(90..<130)  // 30 frames lost before 90
        var drops = [UInt32](repeating: 0, count: 100)
        drops[60] = 30  // …because the ring was full
        try samples.withUnsafeMutableBufferPointer { s in
            try first.withUnsafeBufferPointer { i in try drops.withUnsafeBufferPointer { try recorder.store(s, indices: i, droppedBefore: $0) } }
        }
        try recorder.close()
        #expect(recorder.gapFrames == 30)
        let reader = try EDFReader(path: path)
        let gap = try #require(try reader.allAnnotations().first { $0.text.contains("samples lost") })
        #expect(gap.onset == 0.6 && gap.duration == 0.3)
        #expect(gap.text.contains("ring buffer was full"))
        var frames = [Float](repeating: 0, count: 200)
        _ = try frames.withUnsafeMutableBufferPointer { try reader.readRecord(0, into: $0) }
        #expect(frames[2 * 59] != 0 && frames[2 * 60] == 0 && frames[2 * 89] == 0 && frames[2 * 90] != 0)
        #expect(reader.frameCount == 200)  // 130 frames of timeline, padded to 2 records
    }
}
