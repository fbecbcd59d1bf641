import Foundation
import Synchronization
import Testing
import TestSupport
@testable import EEGKit

/// The fault suite for recordings: a process killed at random moments, a full disk, a
/// file-size limit. Each recording is compared with what the device produced, and read
/// by EEGKit, `eeg info`/`eeg replay` and pyedflib.
@Suite("Fault suite: SIGKILL and full disks", .serialized)
struct FaultTests {
    /// The header of an 8-channel recording: 256 bytes × (1 + 8 channels + annotations).
    static let headerBytes = 256 * 10
    /// One 1 s record: 8 × 250 samples × 3 bytes + 384 bytes of annotations.
    static let recordBytes = 8 * 250 * 3 + 384

    struct KillResult: Sendable {
        let path: String
        let delay: Double
        let reached: Int64
        let info: String
        let infoStatus: Int32
        let repair: String
        let repairStatus: Int32
        let replayLines: Int
        let replayStatus: Int32
    }

    @Test("SIGKILL at 20 seeded random points: every file readable and repairable, at most the last second lost")
    func sigkillAtRandomPoints() throws {
        let seed = ProcessInfo.processInfo.environment["EEG_FAULT_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...999_999)
        print("FaultTests: SIGKILL seed \(seed) (EEG_FAULT_SEED=\(seed) repeats this run)")
        var random = SeededGenerator(seed: seed)
        // Runs 0–2 count from launch (start-up, file creation); the rest from the moment
        // the file exists, so a slow start on a loaded machine does not eat the window.
        let delays = (0..<20).map { _ in Double.random(in: 0...1.2, using: &random) }
        let results = Mutex<[KillResult]>([])
        // Five at a time: the processes mostly sleep between the device's blocks.
        DispatchQueue.concurrentPerform(iterations: 5) { lane in
            for i in stride(from: lane, to: delays.count, by: 5) {
                if let result = Self.killOne(after: delays[i], fromLaunch: i < 3) { results.withLock { $0.append(result) } }
            }
        }
        let killed = results.withLock { $0 }
        #expect(killed.count == 20, "every run reached its kill point")
        let all = killed.filter { $0.infoStatus != -1 }
        print("FaultTests: \(killed.count - all.count) of \(killed.count) runs were killed before the file existed")
        let expected = simulatedFrames(250)
        for r in all {
            let context = "seed \(seed), killed \(String(format: "%.3f", r.delay)) s in"
            #expect(r.infoStatus == 0, "\(context): eeg info on the killed file: \(r.info)")
            #expect(r.repairStatus == 0, "\(context): \(r.repair)")
            let reader = try EDFReader(path: r.path)
            #expect(reader.problems.isEmpty, "\(context): \(reader.problems)")
            #expect(reader.header.recordCount == reader.recordCount, "\(context): repaired header")
            // Every frame the output showed was in the file, but for the record being filled.
            let inFile = Int64(reader.frameCount)
            #expect(r.reached - inFile < 250, "\(context): \(r.reached) frames reached, \(inFile) in the file")
            if reader.recordCount > 0 {
                // A loaded machine can starve the recorder into ring drops: the replay
                // skips those annotated spans.
                let lost = try reader.allAnnotations().filter { $0.text.contains("samples lost") }
                    .reduce(0) { $0 + Int((($1.duration ?? 0) * 250).rounded()) }
                #expect(r.replayStatus == 0 && r.replayLines == 1 + reader.frameCount - lost, "\(context): replay gave \(r.replayLines) lines, \(lost) frames lost")
                let first = try allFrames(reader).prefix(8 * 250)
                #expect(lost > 0 || zip(first, expected).allSatisfy { abs($0 - $1) <= 0.0112 }, "\(context): the first second is the headset's")
            }
        }
        // pyedflib refuses files with no data record (killed before the first second was
        // written); EEGKit reads them, checked above.
        let withData = try all.filter { try EDFReader(path: $0.path).recordCount > 0 }
        guard let seen = try readWithPyedflib(withData.map(\.path)) else { return }
        for r in withData {
            let reader = try EDFReader(path: r.path)
            #expect(seen[r.path]?.samples.count == reader.frameCount, "pyedflib reads every frame of \(r.path)")
            if reader.recordCount > 0, let samples = seen[r.path]?.samples {
                #expect(zip(samples.prefix(250), (0..<250).map { expected[$0 * 8] }).allSatisfy { abs($0 - Double($1)) < 0.0112 })
            }
        }
        for r in all { try? FileManager.default.removeItem(atPath: r.path) }
    }

    /// Records at 20× real time (1.2 s: up to 24 s of device time) with every frame on
    /// standard output, kills the process `delay` seconds after launch or after the file
    /// appeared, and checks the file (if it exists yet) with the CLI.
    static func killOne(after delay: Double, fromLaunch: Bool) -> KillResult? {
        let path = scratchPath("bdf")
        guard let run = try? RunningEEG(["record", "--out", path, "--sim-speed", "20", "--emit", "samples", "--format", "csv"]) else {
            Issue.record("could not start eeg")
            return nil
        }
        if !fromLaunch {
            guard run.wait(for: "\(path) to appear", { FileManager.default.fileExists(atPath: path) }) else { return nil }
        }
        Thread.sleep(forTimeInterval: delay)
        run.signal(SIGKILL)
        let ended = run.finish()
        guard ended.reason == .uncaughtSignal else {
            Issue.record("eeg record ended by itself (\(ended.status)) before SIGKILL: \(run.stderr)")
            return nil
        }
        let reached = deviceFramesReached(csv: run.stdout)
        // Killed before the file got its name (it is named once its first whole record
        // is on disk): then less than that second may have been shown.
        guard FileManager.default.fileExists(atPath: path) else {
            #expect(reached < 250, "killed \(delay) s in: no file, but \(reached) frames were shown")
            return KillResult(path: path, delay: delay, reached: reached, info: "", infoStatus: -1, repair: "", repairStatus: -1,
                              replayLines: 0, replayStatus: -1)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(size >= headerBytes + recordBytes, "killed \(delay) s in: a file of \(size) bytes, less than its header and a record")
        guard let info = try? EEGProcess(["info", path]), let repair = try? EEGProcess(["repair", path]),
              let replay = try? EEGProcess(["replay", path, "--speed", "max", "--emit", "samples", "--format", "csv"]) else {
            Issue.record("could not run eeg info/repair/replay")
            return nil
        }
        return KillResult(path: path, delay: delay, reached: reached, info: info.stdout + info.stderr, infoStatus: info.status,
                          repair: repair.stdout + repair.stderr, repairStatus: repair.status,
                          replayLines: replay.stdout.split(separator: "\n").count, replayStatus: replay.status)
    }

    /// Records to `path` until writing fails, through `launcher` (e.g. a shell setting a
    /// file-size limit), and checks the outcome: exit 74, one line naming the failure,
    /// a file valid to its last whole record holding exactly the headset's samples.
    func recordUntilFull(path: String, launcher: [String] = [], expectedReason: String) throws {
        // With a file-size limit standard output goes nowhere: the limit would hit it too.
        let run = try RunningEEG(["record", "--out", path, "--sim-speed", "max", "--duration", "10m", "--emit", "samples", "--format", "csv"],
                                 stdout: launcher.isEmpty ? nil : FileHandle.nullDevice, launcher: launcher)
        let ended = run.finish(upTo: 60)
        #expect(ended.reason == .exit && ended.status == 74, "exit \(ended.status): \(run.stderr)")
        let errorLines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("eeg record: error: ") }
        #expect(errorLines.count == 1, "\(run.stderr)")
        let reader = try EDFReader(path: path)
        let records = reader.recordCount
        #expect(records > 2, "the disk took a few records before it filled")
        #expect(errorLines.first.map(String.init) == "eeg record: error: \(path): writing data record \(records + 1) failed: \(expectedReason); the file is closed, valid, with the \(records) records (\(records) s) written before")
        // Valid as it is: the header states the records that are there, nothing torn.
        #expect(reader.header.recordCount == records && reader.problems.isEmpty, "\(reader.problems)")
        #expect(try EEGProcess(["repair", path]).stdout.contains("nothing to repair"))
        // No data before the failure lost: every stored frame is the headset's.
        let stored = try allFrames(reader)
        let expected = simulatedFrames(records * 250)
        #expect(stored.count == expected.count && zip(stored, expected).allSatisfy { abs($0 - $1) <= 0.0112 })
        // The output shows frames only once they are stored, so it cannot show more.
        if launcher.isEmpty {
            // Everything the output showed is in the file, but the record being filled
            // when the disk filled up (its frames were shown, the record never written).
            let shown = deviceFramesReached(csv: run.stdout)
            #expect(shown > 0 && shown - Int64(records * 250) < 250, "\(shown) frames shown, \(records) records stored")
        }
        if let seen = try readWithPyedflib([path]) {
            #expect(seen[path]?.samples.count == records * 250, "pyedflib reads the file without repair")
        }
    }

    @Test("ENOSPC: a small tmpfs fills up; exit 74, a clean message, the file valid to its last whole record")
    func diskFull() throws {
        guard getuid() == 0 else {
            let message = "SKIPPED: mounting a small tmpfs needs root; the ENOSPC path is covered only by the EFBIG test here"
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record(Comment(rawValue: message)) } else { print(message) }
            return
        }
        let mountPoint = scratchPath("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mount = try EEGProcessAnywhere("/bin/mount", ["-t", "tmpfs", "-o", "size=160k", "tmpfs", mountPoint])
        guard mount.status == 0 else {
            Issue.record("could not mount a tmpfs as root: \(mount.stderr)")
            return
        }
        defer { _ = try? EEGProcessAnywhere("/bin/umount", [mountPoint]) }
        try recordUntilFull(path: mountPoint + "/full.bdf", expectedReason: "the disk is full (No space left on device, errno 28)")
    }

    @Test("EFBIG: a file-size limit (RLIMIT_FSIZE) stops the recording; exit 74, the file valid to its last whole record")
    func fileTooLarge() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // dash's ulimit -f counts 512-byte blocks: 120 blocks = 61,440 bytes, 9 records.
        try recordUntilFull(path: path, launcher: ["/bin/sh", "-c", "ulimit -f 120 && exec \"$0\" \"$@\""],
                            expectedReason: "the file is as large as this system allows (File too large, errno 27)")
    }

    @Test("a write error on standard output (here EFBIG on '> file') is exit 74, not taken for a closed pipe")
    func outputWriteError() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // One channel: the recording grows by 3 bytes a frame, the CSV lines by about 20,
        // so the limit hits standard output first.
        let run = try RunningEEG(["record", "--out", path, "--sim-channels", "1", "--sim-speed", "max", "--duration", "10m",
                                  "--emit", "samples", "--format", "csv"],
                                 launcher: ["/bin/sh", "-c", "ulimit -f 120 && exec \"$0\" \"$@\""])
        let ended = run.finish(upTo: 60)
        #expect(ended.reason == .exit && ended.status == 74, "exit \(ended.status): \(run.stderr)")
        #expect(run.stderr.contains("eeg record: error: standard output: writing failed: the file is as large as this system allows (File too large, errno 27)\n"))
        // The recording was closed on the way out: complete, with its count.
        let reader = try EDFReader(path: path)
        #expect(reader.recordCount > 0 && reader.header.recordCount == reader.recordCount && reader.problems.isEmpty)
    }
}

/// Runs any program to its end (for mount/umount).
struct EEGProcessAnywhere {
    let status: Int32
    let stderr: String
    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        status = process.terminationStatus
    }
}
