import Foundation
import Testing
import TestSupport

/// The peers table (`make bench-peers`, Benchmarks/peers) can fail: its Python unit tests
/// check that the agreement check flags an answer off by 2e-4, a NaN or a missing epoch,
/// that EEGKit's CSV is read into the right epoch, channel and band, and — with scipy —
/// that this build's `eeg bandpower` agrees with scipy while a perturbed copy of its output
/// does not.
///
/// Runs with the peers' virtual environment (.build-peers/venv) when `make bench-peers` has
/// made it, otherwise with python3 if it has numpy (`make test` installs pyedflib, which
/// brings numpy; it does not install MNE or BrainFlow). Skips visibly without either.
@Suite("The peers table's agreement check")
struct PeersCheckTests {
    static let repository = Fixtures.root.deletingLastPathComponent()
    static let folder = repository.appendingPathComponent("Benchmarks/peers")

    /// The first of the venv's python and python3 that imports numpy, or nil.
    static func python() -> [String]? {
        let venv = repository.appendingPathComponent(".build-peers/venv/bin/python").path
        let candidates = (FileManager.default.isExecutableFile(atPath: venv) ? [[venv]] : []) + [["/usr/bin/env", "python3"]]
        return candidates.first { (try? run($0 + ["-c", "import numpy"]).status) == 0 }
    }

    static func run(_ command: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("flags a wrong answer, reads EEGKit's CSV right, and EEGKit agrees with scipy")
    func checkCanFail() throws {
        guard let python = Self.python() else {
            print("◇ SKIPPED the peers check: no python with numpy (run `make python-deps` or `make bench-peers`)")
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("python3 with numpy is missing, and CI must run the peers check") }
            return
        }
        let result = try Self.run(python + ["-B", "-m", "unittest", "-v", "test_peers"],
                                  environment: ["EEG": EEGProcess.executable.path])
        #expect(result.status == 0, "the peers unit tests failed:\n\(result.output)")
        let ran = result.output.split(separator: "\n").first { $0.hasPrefix("Ran ") }
        let count = ran.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(count >= 13, "ran fewer tests than written: \(ran ?? "no summary")")
        for line in result.output.split(separator: "\n") where line.contains("skipped") {
            print("◇ peers check (\(python.last ?? "python")): \(line)")
        }
    }
}
