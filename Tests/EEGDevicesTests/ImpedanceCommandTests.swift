import Foundation
import Glibc
import Testing
@testable import EEGDevices

/// `eeg impedance` run as a process against the pseudo-terminal board (`--port`): the
/// printed impedance equals the one the board's stream implies within 1 %, and Ctrl-C
/// still restores the settings.
@Suite("eeg impedance over a serial tty, run as a process", .serialized)
struct ImpedanceCommandTests {
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("eeg").path

    /// Starts eeg with its output in files (read after it ends).
    /// A hang guard: `timeout` kills a run that never ends (not a timing assertion);
    /// without it the process is eeg itself, to signal directly.
    func start(_ arguments: [String], guarded: Bool = true) throws -> (Process, URL, URL) {
        let directory = FileManager.default.temporaryDirectory
        let out = directory.appendingPathComponent("eegkit-\(UUID().uuidString).out")
        let err = directory.appendingPathComponent("eegkit-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: guarded ? "/usr/bin/timeout" : Self.executable)
        process.arguments = guarded ? ["-s", "KILL", "120", Self.executable] + arguments : arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    @Test("JSON lines: each channel's impedance within 1 % of the implied one, with its quality word")
    func jsonLines() throws {
        let ohms = [1_000.0, 9_000, 12_000, 30_000, 49_000, 60_000, 470_000, 2_000]
        let board = try FakeCytonBoard(packets: [], leadOffOhms: ohms)
        let (process, out, err) = try start(["impedance", "--device", "cyton", "--port", board.slavePath, "--seconds", "1s", "--format", "jsonl"])
        process.waitUntilExit()
        let stderr = try String(contentsOf: err, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 8, "\(lines)")
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["channel"] as? String == "ch\(i + 1)")
            let measured = try #require(object["impedance_ohms"] as? Double)
            #expect(abs(measured / ohms[i] - 1) < 0.01, "ch\(i + 1): \(measured) Ω, implied \(ohms[i]) Ω")
            #expect(object["quality"] as? String == (ohms[i] < 10_000 ? "good" : ohms[i] < 50_000 ? "fair" : "poor"))
        }
        #expect(stderr.hasSuffix("done; channel settings restored\n"))
    }

    @Test("Ctrl-C mid-check: exit 0, the channel's drive turned off and every setting sent again")
    func interrupted() throws {
        let board = try FakeCytonBoard(packets: [], leadOffOhms: Array(repeating: 5_000, count: 8))
        let (process, _, err) = try start(["impedance", "--device", "cyton", "--port", board.slavePath, "--seconds", "30s", "--gain", "8"], guarded: false)
        // Interrupt once channel 1's drive is on and streaming has begun.
        let deadline = ContinuousClock.now + .seconds(30)
        while !String(decoding: board.commands, as: UTF8.self).contains("z101Zb") && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGINT)
        let guardDeadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < guardDeadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let stderr = try String(contentsOf: err, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let settings = (1...8).map { "x\($0)040110X" }.joined()
        let expected = "sv" + settings + "z101Zbsz100Zs" + settings
        let end = ContinuousClock.now + .seconds(5)
        while board.commands.count < expected.utf8.count && ContinuousClock.now < end { Thread.sleep(forTimeInterval: 0.01) }
        #expect(String(decoding: board.commands, as: UTF8.self) == expected)
        #expect(stderr.contains("stopped; channel settings restored"))
    }
}
