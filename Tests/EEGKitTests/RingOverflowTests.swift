import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// A reader that stalls: the simulated headset at 3000× real time fills the ring while
/// nobody reads standard output. Every frame of the requested device time must come out
/// as a sample line or inside a gap line, and the recording must hold the whole
/// duration as samples plus annotated gaps. Each test first checks that frames really
/// were dropped (the stress happened).
@Suite("Ring overflow: every frame accounted for", .serialized)
struct RingOverflowTests {
    /// Runs `arguments` with standard output on a pipe nobody reads for `stall` seconds,
    /// then reads all of it.
    static func stalled(_ arguments: [String], stall: Double = 1.5) throws -> (status: Int32, stdout: String, stderr: String) {
        let pipe = Pipe()
        let run = try RunningEEG(arguments, stdout: pipe.fileHandleForWriting)
        try pipe.fileHandleForWriting.close()
        // The stall starts once output flows (start-up can be slow on a loaded machine).
        var data = pipe.fileHandleForReading.availableData
        Thread.sleep(forTimeInterval: stall)
        data += pipe.fileHandleForReading.readDataToEndOfFile()
        let ended = run.finish()
        return (ended.status, String(decoding: data, as: UTF8.self), run.stderr)
    }

    /// Sample lines and gap lines of JSON lines output: checks that each sample's index
    /// follows the previous one plus the gap before it, and returns the counts.
    static func account(_ stdout: String) throws -> (samples: Int, gapFrames: Int, gapLines: Int, lastIndex: Int64) {
        var samples = 0, gapFrames = 0, gapLines = 0
        var expected: Int64 = 0
        for line in stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let gap = object["gap"] as? Int, let before = object["before_sample"] as? Int {
                #expect(Int64(before) == expected + Int64(gap), "gap of \(gap) before \(before), after sample \(expected - 1)")
                gapFrames += gap
                gapLines += 1
                expected = Int64(before)
            } else {
                let index = try #require(object["sample"] as? Int)
                #expect(Int64(index) == expected, "sample \(index) where \(expected) was next")
                expected = Int64(index) + 1
                samples += 1
            }
        }
        return (samples, gapFrames, gapLines, expected - 1)
    }

    @Test("eeg stream --duration 60s with a stalled reader: sample lines + gap lines = 15,000 frames")
    func streamAccountsForEveryFrame() throws {
        let run = try Self.stalled(["stream", "--sim-speed", "3000", "--duration", "60s", "--emit", "samples"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the ring buffer was full"), "the stress happened: \(run.stderr)")
        let seen = try Self.account(run.stdout)
        #expect(seen.gapLines > 0 && seen.gapFrames > 0, "frames were dropped and reported")
        #expect(seen.samples + seen.gapFrames == 15_000, "\(seen.samples) samples + \(seen.gapFrames) in gaps")
        #expect(run.stderr.contains("stopped (limit): \(seen.samples) frames, \(seen.gapFrames) lost"), "\(run.stderr)")
    }

    /// `eeg stream` at 3000× with nobody reading standard output for `stall` seconds,
    /// then SIGTERM; everything it wrote is read after the stop was taken.
    static func stopWhileStalled(stall: Double) throws -> (ended: (reason: Process.TerminationReason, status: Int32), stdout: String, stderr: String) {
        let pipe = Pipe()
        let run = try RunningEEG(["stream", "--sim-speed", "3000", "--emit", "samples"], stdout: pipe.fileHandleForWriting)
        try pipe.fileHandleForWriting.close()
        var data = pipe.fileHandleForReading.availableData  // streaming has begun
        Thread.sleep(forTimeInterval: stall)
        run.signal(SIGTERM)
        run.wait(for: "the stop to be taken") { run.stderr.contains("eeg: stopping") }
        data += pipe.fileHandleForReading.readDataToEndOfFile()
        let ended = run.finish()
        return (ended, String(decoding: data, as: UTF8.self), run.stderr)
    }

    @Test("stopped while the reader stalls: what the ring held is written, the drops after it reported, all of it accounted")
    func stoppedWhileStalled() throws {
        // Under ThreadSanitizer on a loaded machine the simulated headset can be starved
        // for the whole first stall, and the ring never fills: then the stall is longer.
        var run = try Self.stopWhileStalled(stall: 1)
        for stall in [4.0, 10.0] where !run.stderr.contains("the ring buffer was full") {
            run = try Self.stopWhileStalled(stall: stall)
        }
        #expect(run.ended.reason == .exit && run.ended.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the ring buffer was full"), "the stress happened: \(run.stderr)")
        let seen = try Self.account(run.stdout)
        #expect(seen.gapFrames > 0)
        #expect(run.stderr.contains("stopped (stopRequested): \(seen.samples) frames, \(seen.gapFrames) lost"), "\(run.stderr)")
    }

    @Test("eeg record --duration 20s with a stalled reader: the file holds 20 s, samples plus annotated gaps")
    func recordingAccountsForEveryFrame() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Self.stalled(["record", "--out", path, "--sim-speed", "3000", "--duration", "20s", "--emit", "samples"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the ring buffer was full"), "the stress happened: \(run.stderr)")
        let seen = try Self.account(run.stdout)
        #expect(seen.samples + seen.gapFrames == 5000 && seen.gapFrames > 0)

        let reader = try EDFReader(path: path)
        #expect(reader.recordCount == 20 && reader.problems.isEmpty, "20 s asked, \(reader.recordCount) records")
        let gaps = try reader.allAnnotations().filter { $0.text.hasPrefix("EEGKit: ") && $0.text.contains("samples lost") }
        let annotatedFrames = gaps.reduce(0.0) { $0 + ($1.duration ?? 0) } * 250
        #expect(!gaps.isEmpty && gaps.allSatisfy { $0.text.contains("the ring buffer was full") })
        #expect(abs(annotatedFrames - Double(seen.gapFrames)) < 0.5, "annotated \(annotatedFrames) frames, lines say \(seen.gapFrames)")
        // Outside the annotated gaps the file holds exactly the samples the lines showed.
        let frames = try allFrames(reader)
        let expected = simulatedFrames(5000)
        var inGap = [Bool](repeating: false, count: 5000)
        for gap in gaps {
            let start = Int((gap.onset * 250).rounded()), count = Int(((gap.duration ?? 0) * 250).rounded())
            for i in start..<min(start + count, 5000) { inGap[i] = true }
        }
        #expect(inGap.filter { $0 }.count == seen.gapFrames)
        let mismatched = (0..<5000).filter { f in
            (0..<8).contains { c in inGap[f] ? frames[f * 8 + c] != 0 : abs(frames[f * 8 + c] - expected[f * 8 + c]) > 0.0112 }
        }
        #expect(mismatched.isEmpty, "frames \(mismatched.prefix(5)) differ from the headset's (or a gap is not zero)")
    }

    @Test("live metrics under ring overflow equal the replay's byte for byte, 'dropped' column included")
    func droppedColumnAgrees() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The drop must fall inside the analysed stream (not all past its last update):
        // 120 s of device time at 200× take 0.6 s, the reader stalls for the first 0.3 s.
        // Scheduling can still put every drop at the end; then the run is repeated.
        var attempt = 0
        var live: (status: Int32, stdout: String, stderr: String)
        var dropped: [Int]
        repeat {
            attempt += 1
            try? FileManager.default.removeItem(atPath: path)
            live = try Self.stalled(["record", "--out", path, "--sim-speed", "200", "--duration", "120s", "--emit", "metrics"], stall: 0.3)
            dropped = live.stdout.split(separator: "\n").compactMap { line -> Int? in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["dropped"] as? Int
            }
        } while !dropped.contains(where: { $0 > 0 }) && attempt < 4
        #expect(live.status == 0, "\(live.stderr)")
        #expect(live.stderr.contains("the ring buffer was full"), "the stress happened: \(live.stderr)")
        #expect(dropped.contains { $0 > 0 }, "an update after the drop reports it (\(attempt) attempts)")
        let replay = try EEGProcess(["replay", path, "--speed", "max"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout == live.stdout && !live.stdout.isEmpty)
        // Counted once: never more than the recording's annotated gaps.
        let lost = try EDFReader(path: path).allAnnotations().filter { $0.text.contains("samples lost") }
            .reduce(0.0) { $0 + ($1.duration ?? 0) * 250 }
        #expect(Double(dropped.last ?? -1) <= lost.rounded() && lost > 0)
    }
}
