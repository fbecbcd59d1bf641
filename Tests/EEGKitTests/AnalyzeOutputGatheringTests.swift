import Foundation
import Testing
import TestSupport

/// Into a regular file, analyze gathers its text into 64 KiB writes (one write(2) per
/// epoch cost ~900 system calls an hour of data); a pipe still gets each epoch as it comes.
/// The bytes must not change, and a failed write must still be reported.
@Suite("analyze into a regular file: gathered writes, same bytes, failures reported")
struct AnalyzeOutputGatheringTests {
    /// 10 min of 4-channel float32 at 250 Hz: 150 epochs, ~450 KiB of JSON lines (several
    /// gathered writes).
    static let input: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-gather-\(getpid()).f32").path
        var samples = [Float](repeating: 0, count: 250 * 600 * 4)
        for i in samples.indices {
            let t = Double(i / 4) / 250
            samples[i] = Float(15 * sin(2 * .pi * (8 + Double(i % 4)) * t) + 4 * sin(2 * .pi * 23 * t))
        }
        _ = FileManager.default.createFile(atPath: path, contents: samples.withUnsafeBytes { Data($0) })
        return path
    }()

    static let arguments = [input, "--rate", "250", "--channel-count", "4", "-j", "1"]

    @Test("--out FILE holds exactly what standard output (a pipe) gets", arguments: ["jsonl", "csv", "json"])
    func sameBytes(format: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-gather-\(getpid())-\(format).out").path
        defer { unlink(out) }
        let piped = try EEGProcess(["analyze"] + Self.arguments + ["--format", format], killAfter: 300)
        let filed = try EEGProcess(["analyze"] + Self.arguments + ["--format", format, "--out", out], killAfter: 300)
        #expect(piped.status == 0 && filed.status == 0, "\(piped.stderr)\(filed.stderr)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written == piped.stdout)
        #expect(format != "jsonl" || written.utf8.count > 3 << 16, "the output spans several gathered writes")
    }

    @Test("a write that fails into a regular file (EFBIG under a file-size limit) is exit 74, named, and the file holds a prefix")
    func failureReported() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-gather-\(getpid())-limit.jsonl").path
        defer { unlink(out) }
        // dash's ulimit -f counts 512-byte blocks: 200 blocks = 102,400 bytes.
        let run = try EEGProcessAnywhere("/bin/sh", ["-c", "ulimit -f 200 && exec \"$0\" \"$@\"", EEGProcess.executable.path, "analyze"]
                                         + Self.arguments + ["--format", "jsonl", "--out", out])
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains(out) && run.stderr.contains("error"), "\(run.stderr)")
        let full = try EEGProcess(["analyze"] + Self.arguments + ["--format", "jsonl"], killAfter: 300).stdout
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!written.isEmpty && written.utf8.count <= 102_400 && full.hasPrefix(written))
    }
}
