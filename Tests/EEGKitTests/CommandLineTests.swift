import Foundation
import Testing
import TestSupport
import EEGKit

/// Runs the built `eeg` executable (it sits beside the test bundle) as a user would.
struct EEGProcess {
    static let executable: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("eeg")
    }()

    let status: Int32
    let stdout: String
    let stderr: String

    /// `killAfter`: a hang guard for commands that must end at once (a usage error); the
    /// command is killed after that many seconds (status 137), so a regression that makes
    /// it run fails the test instead of hanging it. Not a timing assertion.
    init(_ arguments: [String], stdin: Data? = nil, killAfter seconds: Int? = nil, workingDirectory: String? = nil,
         environment: [String: String] = [:]) throws {
        let process = Process()
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let seconds {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            process.arguments = ["-s", "KILL", "\(seconds)", Self.executable.path] + arguments
        } else {
            process.executableURL = Self.executable
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

@Suite("eeg bandpower, run as a process")
struct BandpowerCommandTests {
    let recording = Fixtures.url("eeg/libgdf_mi128.f32").path

    @Test("reads standard input and prints the scipy numbers as JSON when piped")
    func stdinToJSON() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: recording))
        let run = try EEGProcess(["bandpower", "--rate", "128", "--channel-count", "3", "--labels", "C3,Cz,C4"], stdin: data)
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let channels = try #require(object["channels"] as? [[String: Any]])
        let reference = try Fixtures.json("eeg/libgdf_mi128.json", as: RecordingReference.self)
        let alpha = try #require((channels[1]["band_power"] as? [String: Double])?["alpha"])
        #expect(abs(alpha / reference.band_powers_uv2["eeg:Cz"]!["alpha"]! - 1) < 1e-4)
        #expect(object["samples"] as? Int == 49664)
    }

    @Test("CSV in, CSV out, with the header's labels")
    func csvRoundTrip() throws {
        var text = "sample,Fp1,Fp2\n"
        for i in 0..<2000 {
            let t = Double(i) / 250
            text += "\(i),\(10 * sin(2 * .pi * 10 * t)),\(5 * sin(2 * .pi * 20 * t))\n"
        }
        let run = try EEGProcess(["bandpower", "--input-format", "csv", "--rate", "250", "--format", "csv", "--epoch", "4s"], stdin: Data(text.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines[0] == "scope,start_s,channel,delta,theta,alpha,beta,gamma,delta_relative,theta_relative,alpha_relative,beta_relative,gamma_relative,engagement,theta_beta,relaxation,workload")
        #expect(lines[1].hasPrefix("whole,,Fp1,"))
        #expect(lines[2].hasPrefix("whole,,Fp2,"))
        #expect(lines[3].hasPrefix("epoch,0.0,Fp1,"))
        #expect(lines[5].hasPrefix("epoch,4.0,Fp1,"))
        #expect(lines.count == 7)
        // A 10 Hz sine of amplitude 10 carries 50 µV² of power, nearly all of it alpha.
        let alpha = try #require(Double(lines[1].split(separator: ",", omittingEmptySubsequences: false)[5]))
        #expect(abs(alpha - 50) < 1)
    }

    @Test("bad input and bad flags: one line naming the problem, and a documented exit code",
          arguments: [
            (["--input", "/no/such/file", "--rate", "250", "--channel-count", "2"], Int32(66), "cannot open /no/such/file: no such file"),
            (["--rate", "250", "--channel-count", "3"], 65, "not a whole number of 3-channel float32 frames"),
            (["--rate", "250", "--channel-count", "2"], 65, "need at least 500 samples per channel for one window, got 8"),
            (["--rate", "250", "--channel-count", "2", "--bands", "gamma:30-200"], 64, "above the Nyquist frequency 125.0 Hz"),
            (["--rate", "250", "--channel-count", "2", "--bands", "alpha:13-8"], 64, "the high edge must be above the low edge"),
            (["--rate", "250", "--channel-count", "2", "--bands", "alpha"], 64, "--bands must be name:LOW-HIGH,… in Hz"),
            (["--channel-count", "2"], 64, "--rate is required"),
            (["--rate", "250"], 64, "--channel-count is required for raw float32 input"),
            (["--rate", "250", "--channel-count", "2", "--nperseg", "100", "--window-seconds", "2"], 64, "not both"),
            (["--rate", "250", "--channel-count", "2", "--labels", "a,b,c"], 64, "--labels has 3 labels but --channel-count is 2"),
          ] as [([String], Int32, String)])
    func errors(arguments: [String], status: Int32, message: String) throws {
        let sixteen = Data(repeating: 0, count: 64)  // 16 floats of 0
        let run = try EEGProcess(["bandpower"] + arguments, stdin: sixteen)
        #expect(run.status == status, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("NaN in the input is reported with its position")
    func nanInput() throws {
        var samples = [Float](repeating: 1, count: 2 * 600)
        samples[2 * 321 + 1] = .nan
        let data = samples.withUnsafeBytes { Data($0) }
        let run = try EEGProcess(["bandpower", "--rate", "250", "--channel-count", "2"], stdin: data)
        #expect(run.status == 65)
        #expect(run.stderr == "eeg bandpower: error: standard input: frame 321, channel 2 is NaN or infinite\n")
    }

    @Test("every command's help has examples")
    func help() throws {
        for command in [["--help"], ["bandpower", "--help"], ["bench", "--help"]] {
            let run = try EEGProcess(command)
            #expect(run.status == 0)
            #expect(run.stdout.contains("Examples:"), "\(command)")
        }
        #expect(try EEGProcess(["--version"]).stdout.hasPrefix("eeg \(EEGKitVersion.number)\nFFTW "))
    }
}

@Suite("Help and completions")
struct HelpTests {
    static let commands = ["stream", "record", "replay", "analyze", "info", "repair", "import-sd", "devices", "impedance", "bandpower", "bench", "udev-rules", "version"]

    @Test("every command's help has examples and says what it does", arguments: commands)
    func help(command: String) throws {
        let run = try EEGProcess([command, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("OVERVIEW: "))
        #expect(run.stdout.contains("Examples:"), "\(command) --help has no examples")
        #expect(run.stdout.contains("eeg \(command)"), "the examples use the command")
    }

    @Test("a duration's default reads as the user would type it, not as a Swift value")
    func durationDefaults() throws {
        let help = try EEGProcess(["analyze", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("Epoch length, e.g. 4s. (default: 4)"), "\(help)")
        #expect(!help.contains("DurationArgument"))
    }

    @Test("the top-level help lists every command")
    func top() throws {
        let run = try EEGProcess(["--help"])
        for command in Self.commands { #expect(run.stdout.contains("  \(command) "), "\(command) missing from eeg --help") }
    }

    @Test("shell completion scripts are generated", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let run = try EEGProcess(["--generate-completion-script", shell])
        #expect(run.status == 0)
        #expect(run.stdout.contains("analyze") && run.stdout.contains("record"))
    }

    @Test("usage errors are one line: what is wrong and where to look, exit 64",
          arguments: [["stream", "--sim-channels", "0"], ["stream", "--bogus"], ["frobnicate"], ["analyze", "x.edf", "--shard", "3/2"],
                      ["bandpower", "--channel-count", "2"], ["record", "--out", "x.txt"], ["replay"]])
    func usageErrors(arguments: [String]) throws {
        let run = try EEGProcess(arguments)
        #expect(run.status == 64)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("error: ") && run.stderr.contains("--help')"))
        #expect(run.stdout.isEmpty)
    }
}
