import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// SIGTERM in every phase of `eeg record` — opening, calibrating, streaming, closing —
/// and the cases where a clean stop cannot finish (output nobody reads): the program
/// always ends, and the file is always valid (closed, or valid to its last whole record
/// and repairable).
@Suite("SIGTERM in every phase", .serialized)
struct SignalTests {
    enum Phase: String, CaseIterable, Sendable { case opening, calibrating, streaming, closing }

    /// Metrics lines seen so far on `run`'s output.
    static func metrics(_ run: RunningEEG) -> [[String: Any]] {
        run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The file is whole: closed by the program (or, after a forced exit, made whole by
    /// `eeg repair`), readable by EEGKit, with no problems.
    static func expectValid(_ path: String, repairAllowed: Bool, _ context: String) throws -> EDFReader? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var reader = try EDFReader(path: path)
        if reader.header.recordCount != reader.recordCount {
            #expect(repairAllowed, "\(context): the file was left unclosed after a clean stop")
            let repair = try EEGProcess(["repair", path])
            #expect(repair.status == 0, "\(context): \(repair.stderr)")
            reader = try EDFReader(path: path)
        }
        #expect(reader.header.recordCount == reader.recordCount && reader.problems.isEmpty, "\(context): \(reader.problems)")
        return reader
    }

    @Test("one SIGTERM stops cleanly in every phase: exit 0, the file closed with everything shown", arguments: Phase.allCases)
    func sigterm(phase: Phase) throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try RunningEEG(["record", "--out", path, "--sim-speed", "10", "--emit", "metrics", "--calibration-seconds", "8"])
        switch phase {
        case .opening:
            break  // at once: the device may not be open yet
        case .calibrating:
            run.wait(for: "a metrics line while calibrating") { Self.metrics(run).contains { ($0["calibration"] as? Double ?? 1) < 1 } }
        case .streaming:
            run.wait(for: "an attention score") { Self.metrics(run).contains { $0["attention"] is Double } }
        case .closing:
            run.wait(for: "the first metrics line") { !Self.metrics(run).isEmpty }
        }
        run.signal(SIGTERM)
        if phase == .closing {
            // A second SIGTERM while the first stop closes the file ends the program at
            // once (143) or finds it already done (0); either way the file is valid.
            run.wait(for: "the stop to start closing") { run.stderr.contains("eeg: stopping (") || run.hasExited }
            run.signal(SIGTERM)
        }
        let ended = run.finish()
        let context = "SIGTERM while \(phase.rawValue)"
        if phase == .opening {
            // Before the handler is installed the signal's default action ends the
            // program; after, the stop is clean.
            #expect((ended.reason == .exit && ended.status == 0) || (ended.reason == .uncaughtSignal && ended.status == SIGTERM), "\(context): \(ended)")
        } else if phase == .closing {
            #expect(ended.reason == .exit && [0, 143].contains(ended.status), "\(context): \(ended) \(run.stderr)")
        } else {
            #expect(ended.reason == .exit && ended.status == 0, "\(context): \(ended) \(run.stderr)")
        }
        guard let reader = try Self.expectValid(path, repairAllowed: phase != .calibrating && phase != .streaming, context) else {
            #expect(phase == .opening, "\(context): no file")
            return
        }
        // Every frame analysed before a clean stop is in the file; a stop made at once by
        // the second signal keeps every whole record, so at most the last second (one
        // record of frames, not yet written) may be missing.
        if let last = Self.metrics(run).last, let sample = last["sample"] as? Int {
            let stoppedAtOnce = ended.reason == .exit && ended.status == 143
            let allowed = stoppedAtOnce ? reader.framesPerRecord : 0
            #expect(reader.frameCount + allowed > sample, "\(context): the file ends at frame \(reader.frameCount), before sample \(sample)")
        }
        if ended.status == 0 && ended.reason == .exit {
            #expect(try reader.allAnnotations().contains { $0.text == "Recording ends" }, "\(context)")
        }
    }

    /// Records with samples to a pipe nobody reads, so the program blocks on output.
    func blockedRecording(_ path: String, environment: [String: String] = [:]) throws -> (RunningEEG, Pipe) {
        let pipe = Pipe()
        let run = try RunningEEG(["record", "--out", path, "--sim-speed", "4", "--emit", "samples"],
                                 stdout: pipe.fileHandleForWriting, environment: environment)
        run.wait(for: "a first whole record") {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) >= 256 * 10 + 6384
        }
        // 170 kB/s of lines fill the 64 kB pipe within half a second; then every write
        // blocks. (Not a timing assertion: the test checks the outcome either way.)
        Thread.sleep(forTimeInterval: 1)
        return (run, pipe)
    }

    @Test("output blocked: a second SIGTERM ends the program at once (143), the file valid to its last whole record")
    func secondSignal() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (run, pipe) = try blockedRecording(path)
        run.signal(SIGTERM)
        // Signals sent together merge into one: wait until the first was taken.
        run.wait(for: "the first SIGTERM to be taken") { run.stderr.contains("eeg: stopping (SIGTERM again stops at once)") }
        run.signal(SIGTERM)
        let ended = run.finish()
        _ = pipe
        #expect(ended.reason == .exit && ended.status == 143, "\(ended): \(run.stderr)")
        #expect(run.stderr.contains("eeg: stopped at once by a second SIGTERM; a recording is valid up to its last whole second: 'eeg repair FILE' finishes it"))
        let reader = try #require(try Self.expectValid(path, repairAllowed: true, "second SIGTERM"))
        #expect(reader.recordCount >= 1)
    }

    @Test("output blocked: one SIGTERM still ends the program after EEG_STOP_TIMEOUT")
    func stopTimeout() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (run, pipe) = try blockedRecording(path, environment: ["EEG_STOP_TIMEOUT": "0.5"])
        run.signal(SIGTERM)
        let ended = run.finish()
        _ = pipe
        #expect(ended.reason == .exit && ended.status == 143, "\(ended): \(run.stderr)")
        #expect(run.stderr.contains("stopped at once by SIGTERM, and the clean stop took more than 0.5 s (EEG_STOP_TIMEOUT)"))
        _ = try #require(try Self.expectValid(path, repairAllowed: true, "stop timeout"))
    }

    @Test("standard error blocked (the watchdog cannot even say 'stopping'): one SIGTERM still ends the program")
    func everythingBlocked() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let out = Pipe(), err = Pipe()
        // A status line per marker fills standard error.
        let run = try RunningEEG(["record", "--out", path, "--sim-speed", "4", "--markers-from-stdin"],
                                 stdout: out.fileHandleForWriting, stderr: err.fileHandleForWriting, environment: ["EEG_STOP_TIMEOUT": "0.5"])
        run.wait(for: "a first whole record") {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) >= 256 * 10 + 6384
        }
        // 1,024 queued markers × a 300-byte status line each: far more than the pipe holds.
        run.send(String(repeating: String(repeating: "m", count: 300) + "\n", count: 2000))
        Thread.sleep(forTimeInterval: 1)
        run.signal(SIGTERM)
        let ended = run.finish()
        _ = (out, err)
        #expect(ended.reason == .exit && ended.status == 143, "\(ended)")
        _ = try #require(try Self.expectValid(path, repairAllowed: true, "everything blocked"))
    }
}
