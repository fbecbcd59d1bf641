import EEGDevices
import Foundation
import Synchronization
import Testing
@testable import EEGKit

/// An `eeg` process the test steers: standard output and error go to files the test
/// reads while it runs (so a test never stalls it by accident), standard input is a pipe.
final class RunningEEG {
    let process = Process()
    let stdoutPath = scratchPath("out")
    let stderrPath = scratchPath("err")
    private let input = Pipe()

    /// - Parameters:
    ///   - stdout: where standard output goes; `nil` for a file the test can read.
    ///   - environment: added to the test's environment.
    init(_ arguments: [String], stdout: FileHandle? = nil, stderr: FileHandle? = nil, environment: [String: String] = [:],
         launcher: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        if launcher.isEmpty {
            process.executableURL = EEGProcess.executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [EEGProcess.executable.path] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = stdout ?? FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = stderr ?? FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = input
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { readWholeFile(stdoutPath) }
    var stderr: String { readWholeFile(stderrPath) }

    func send(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }
    func send(_ data: Data) { input.fileHandleForWriting.write(data) }
    func closeInput() { try? input.fileHandleForWriting.close() }
    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for `condition`, checking every 10 ms; records an issue (and returns false)
    /// if it has not happened within `limit` seconds — a guard against a hang, not a
    /// timing assertion.
    @discardableResult
    func wait(upTo limit: Double = 30, for what: String, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(limit)
        while !condition() {
            if Date() > deadline {
                Issue.record("waited \(limit) s for \(what); stderr: \(stderr)")
                return false
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// Waits for the process to end; kills it (and records an issue) if it is still
    /// running after `limit` seconds, so a hang fails the test instead of stalling it.
    func finish(upTo limit: Double = 20) -> (reason: Process.TerminationReason, status: Int32) {
        let done = DispatchSemaphore(value: 0)
        let process = self.process
        Thread { process.waitUntilExit(); done.signal() }.start()
        if done.wait(timeout: .now() + limit) == .timedOut {
            Issue.record("eeg \(process.arguments ?? []) did not end within \(limit) s; killed. stderr: \(stderr)")
            kill(pid, SIGKILL)
            done.wait()
        }
        closeInput()
        return (process.terminationReason, process.terminationStatus)
    }

    var hasExited: Bool { !process.isRunning }

    deinit {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
}

// SeededGenerator (SplitMix64) is shared with ArgumentTests.swift.

/// Runs `script` with `python3` and `arguments`; its standard output. nil (with a visible
/// skip, or an issue in CI) when a module it imports is missing.
func runPython(_ script: String, _ arguments: [String]) throws -> Data? {
    try runPython(arguments: ["-c", script] + arguments)
}

/// Runs `python3` with `arguments` (a script file and its arguments, or `-c` and a
/// script); its standard output, or nil as ``runPython(_:_:)`` says.
func runPython(arguments: [String]) throws -> Data? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        if errors.contains("No module named") && ProcessInfo.processInfo.environment["CI"] != "true" {
            print("SKIPPED: a Python module is missing; the files were not checked (make python-deps): \(errors.suffix(200))")
            return nil
        }
        Issue.record("python3 failed: \(errors.suffix(2000))")
        return nil
    }
    return data
}

/// What pyedflib sees in each file: samples of the first channel and the annotation
/// texts. `nil` when pyedflib is missing on a developer machine (an issue in CI).
func readWithPyedflib(_ paths: [String]) throws -> [String: (samples: [Double], annotations: [String])]? {
    let script = """
        import json, sys
        import pyedflib
        out = {}
        for path in sys.argv[1:]:
            with pyedflib.EdfReader(path) as f:
                out[path] = {"samples": f.readSignal(0).tolist(), "annotations": [str(t) for t in f.readAnnotations()[2]]}
        json.dump(out, sys.stdout)
        """
    guard let data = try runPython(script, paths) else { return nil }
    struct Seen: Decodable { let samples: [Double]; let annotations: [String] }
    let decoded = try JSONDecoder().decode([String: Seen].self, from: data)
    return decoded.mapValues { ($0.samples, $0.annotations) }
}

/// Frames of device time the output of `--emit samples --format csv` shows reached: one
/// past the sample index of its last whole line.
func deviceFramesReached(csv: String) -> Int64 {
    guard let end = csv.lastIndex(of: "\n") else { return 0 }
    let whole = csv[..<end]
    let lastLine = whole.split(separator: "\n").last.map(String.init) ?? ""
    guard let field = lastLine.split(separator: ",").first, let index = Int64(field) else { return 0 }
    return index + 1
}

/// The simulated headset's first `frames` frames (seed 1), as the file stores them.
func simulatedFrames(_ frames: Int, seed: UInt64 = 1) -> [Float] {
    var signal = SimulatedSignal(seed: seed)
    var expected = [Float](repeating: 0, count: 8 * frames)
    expected.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
    return expected
}

/// Every frame of a recording, interleaved.
func allFrames(_ reader: EDFReader) throws -> [Float] {
    var all: [Float] = []
    var buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
    for r in 0..<reader.recordCount {
        _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
        all += buffer
    }
    return all
}

/// A file's bytes as UTF-8 text, read with read(2). (Foundation's
/// `String(contentsOfFile:)` leaks a buffer when the file grows while it is read, which
/// LeakSanitizer reports in `make test-asan`; the tests poll growing files.)
func readWholeFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
