import Foundation
import Testing
@testable import EEGKit

/// `eeg replay --raw FILE`: a file that cannot be opened is "no input" (66) with the
/// messages of every other input file (it was "not found", a device error, 69), and the
/// capture streams from disk: memory does not grow with its length (it was read whole).
@Suite("eeg replay --raw: opening and streaming the capture file")
struct RawCaptureReplayFileTests {
    private func replay(_ path: String) throws -> (status: Int32, stderr: String) {
        let run = try EEGProcess(["replay", "--raw", path, "--device-protocol", "cyton", "--speed", "max"])
        return (run.status, run.stderr)
    }

    @Test("a missing capture and a directory are exit 66 with the input-file messages")
    func openFailures() throws {
        let missing = try replay("/nonexistent/eegkit.raw")
        #expect(missing.status == 66)
        #expect(missing.stderr == "eeg replay: error: cannot open /nonexistent/eegkit.raw: no such file\n")
        let folder = FileManager.default.temporaryDirectory.path
        let directory = try replay(folder)
        #expect(directory.status == 66)
        #expect(directory.stderr == "eeg replay: error: \(folder) is a directory, not a file\n")
    }

    /// The peak resident memory (KiB) of replaying `path`, as GNU time measures it.
    private func peakMemory(replaying path: String) throws -> Int? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else { return nil }
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-rss-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: report) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", "-o", report, EEGProcess.executable.path,
                             "replay", "--raw", path, "--device-protocol", "cyton", "--speed", "max", "--emit", "samples"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        // Under AddressSanitizer (make test-asan) freed memory is held in a quarantine
        // that grows with everything the process ever freed: turned off here, so the
        // peak measures what the replay holds, as in a normal build.
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"]
            .compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Int(try String(contentsOfFile: report, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("a 24 MiB capture replays in about the memory of a 1 KiB one (the file is streamed, not loaded)")
    func boundedMemory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-rss-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Zero bytes: the decoder skips them quickly, so the test measures reading, not decoding.
        let small = folder + "/small.raw", large = folder + "/large.raw"
        try Data(count: 1024).write(to: URL(fileURLWithPath: small))
        let largeBytes = 24 << 20
        try Data(count: largeBytes).write(to: URL(fileURLWithPath: large))
        guard let smallPeak = try peakMemory(replaying: small), let largePeak = try peakMemory(replaying: large) else {
            Issue.record("/usr/bin/time (GNU time) is missing: peak memory of the raw replay was not measured")
            return
        }
        // Loading the file whole would add 24 MiB (24576 KiB); one 64 KiB chunk adds nothing visible.
        #expect(largePeak - smallPeak < 8 * 1024, "peak \(smallPeak) KiB for 1 KiB, \(largePeak) KiB for \(largeBytes) bytes")
    }
}
