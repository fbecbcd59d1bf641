import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Renamed flags and values: the new spelling works, the old one still does the same for
/// one release and says so in one line on standard error.
@Suite("Old flag spellings keep working, with a note")
struct FlagSpellingTests {
    static let raw = Fixtures.url("eeg/libgdf_mi128.f32").path
    static let edf = Fixtures.url("eeg/libgdf_mi128.edf").path

    /// The first line of `bench` (what it measured; the second is a timing).
    static func benchWorkload(_ run: EEGProcess) -> String { String(run.stdout.split(separator: "\n").first ?? "") }

    @Test("bench --channel-count and --duration; --channels N and --minutes M still work and say so")
    func bench() throws {
        let new = try EEGProcess(["bench", "--channel-count", "2", "--duration", "6s"])
        let old = try EEGProcess(["bench", "--channels", "2", "--minutes", "0.1"])
        #expect(new.status == 0 && old.status == 0, "\(old.stderr)")
        #expect(Self.benchWorkload(new) == "band powers of 2 ch x 6 s at 250.0 Hz, 4 s epochs, one core")
        #expect(Self.benchWorkload(old) == Self.benchWorkload(new))
        #expect(new.stderr.isEmpty)
        #expect(old.stderr == """
            eeg bench: warning: --channels 2 is deprecated; use --channel-count 2 (--channels selects channels by label in other commands)
            eeg bench: warning: --minutes 0.1 is deprecated; use --duration 0.1m

            """)
        let sum = try EEGProcess(["bench", "--channel-count", "1", "--duration", "1m30s"])
        #expect(Self.benchWorkload(sum) == "band powers of 1 ch x 90 s at 250.0 Hz, 4 s epochs, one core", "\(sum.stderr)")
    }

    @Test("--input-format f32 names float32 frames; raw, its old name, still works with a note", arguments: ["bandpower", "replay"])
    func f32(command: String) throws {
        let arguments = command == "bandpower"
            ? ["bandpower", "--input", Self.raw, "--rate", "128", "--channel-count", "3", "--format", "json", "--input-format"]
            : ["replay", Self.raw, "--rate", "128", "--channel-count", "3", "--speed", "max", "--emit", "metrics", "--input-format"]
        let new = try EEGProcess(arguments + ["f32"]), old = try EEGProcess(arguments + ["raw"])
        #expect(new.status == 0 && old.status == 0, "\(old.stderr)")
        #expect(!new.stdout.isEmpty && old.stdout == new.stdout)
        #expect(new.stderr.isEmpty, "\(new.stderr)")
        #expect(old.stderr == "eeg \(command): warning: --input-format raw is deprecated; use --input-format f32 (raw means a Cyton byte capture, as in 'eeg replay --raw')\n")
        let bad = try EEGProcess(Array(arguments.dropLast()) + ["--input-format", "float"], killAfter: 60)
        #expect(bad.status == 64 && bad.stderr.contains("--input-format"), "\(bad.stderr)")
    }

    @Test("replay --from and --to are durations: 90, 90s, 1.5m and 1m30s are the same place")
    func replayPositions() throws {
        func run(_ from: String) throws -> EEGProcess {
            try EEGProcess(["replay", Self.edf, "--from", from, "--to", "2m", "--speed", "max", "--emit", "samples", "--format", "csv"])
        }
        let runs = try ["90", "90s", "1.5m", "1m30s"].map(run)
        for r in runs { #expect(r.status == 0, "\(r.stderr)") }
        #expect(Set(runs.map(\.stdout)).count == 1)
        // 30 s at 128 Hz, from sample 90 × 128.
        let lines = runs[0].stdout.split(separator: "\n")
        #expect(lines.count == 1 + 30 * 128)
        #expect(lines.dropFirst().first?.hasPrefix("\(90 * 128),") == true, "\(lines.dropFirst().first ?? "")")
    }
}

/// The flags of every command, from its `--help`: a name shared by two commands takes the
/// same kind of value in both, `--channels` always takes labels, every time is a duration.
@Suite("One vocabulary across commands")
struct FlagVocabularyWalkTests {
    /// `--flag` → value name (`labels`, `duration`; "" for a switch), per command.
    static func options(of command: String) throws -> [String: String] {
        let help = try EEGProcess([command, "--help"], killAfter: 60)
        #expect(help.status == 0, "\(command): \(help.stderr)")
        var options: [String: String] = [:]
        let pattern = /^  (?:-[a-zA-Z], )?(--[a-z0-9-]+)(?: <([^>]+)>)?/
        for line in help.stdout.split(separator: "\n") {
            guard let match = String(line).firstMatch(of: pattern) else { continue }
            options[String(match.1)] = match.2.map(String.init) ?? ""
        }
        return options
    }

    static let times: Set<String> = ["--duration", "--from", "--to", "--epoch", "--calibration-seconds", "--window-seconds"]

    @Test("every command's flags: the same name takes the same kind of value everywhere")
    func walk() throws {
        var seen: [String: [(command: String, value: String)]] = [:]
        for command in HelpTests.commands {
            for (flag, value) in try Self.options(of: command) { seen[flag, default: []].append((command, value)) }
        }
        // The walk found the commands' flags (a broken parse would find none).
        #expect(seen["--channels"]?.count == 6 && seen["--filter"]?.count == 4 && seen["--duration"]?.count == 3, "\(seen.keys.sorted())")
        for (flag, uses) in seen {
            let kinds = Set(uses.map(\.value))
            #expect(kinds.count == 1, "\(flag) takes different values: \(uses.map { "\($0.command) <\($0.value)>" })")
        }
        for use in seen["--channels"] ?? [] { #expect(use.value == "labels", "\(use.command) --channels <\(use.value)>") }
        for use in seen["--channel-count"] ?? [] { #expect(use.value == "channel-count", "\(use.command)") }
        for flag in Self.times { for use in seen[flag] ?? [] { #expect(use.value == "duration", "\(use.command) \(flag) <\(use.value)>") } }
        // No time is counted in bare seconds or minutes any more.
        for (flag, uses) in seen { for use in uses { #expect(!["seconds", "minutes"].contains(use.value), "\(use.command) \(flag)") } }
        #expect(seen["--minutes"] == nil, "the old bench spelling is accepted but not advertised")
    }

    @Test("--filter, --channels and --pair take the same values in the live commands as in analyze")
    func sharedValuesParse() throws {
        for command in ["stream", "record", "replay", "analyze"] {
            let options = try Self.options(of: command)
            #expect(options["--filter"] == "low-high" && options["--channels"] == "labels" && options["--pair"] == "left:right", "\(command): \(options)")
            #expect(options["--notch"] == "hz" && options["--bands"] == "bands" && options["--calibration-seconds"] == "duration", "\(command)")
        }
    }
}

/// `--out` reads alike: a results file (`analyze`, `bandpower`) replaces an existing one
/// like the shell's `>`; a recording (`record`) refuses one without `--force`.
@Suite("--out: results replace, recordings ask for --force")
struct OutFileTests {
    static let edf = Fixtures.url("eeg/libgdf_mi128.edf").path

    @Test("analyze and bandpower --out replace an existing, longer file entirely", arguments: ["analyze", "bandpower"])
    func resultsReplace(command: String) throws {
        let path = scratchPath("out")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try String(repeating: "old results\n", count: 100_000).write(toFile: path, atomically: false, encoding: .utf8)
        let arguments = command == "analyze" ? ["analyze", Self.edf, "--format", "csv"] : ["bandpower", "--input", Self.edf, "--format", "csv"]
        let toFile = try EEGProcess(arguments + ["--out", path])
        let toStdout = try EEGProcess(arguments)
        #expect(toFile.status == 0 && toFile.stdout.isEmpty, "\(toFile.stderr)")
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!toStdout.stdout.isEmpty && written == toStdout.stdout)
    }

    @Test("record --out refuses an existing file without --force and leaves it as it was")
    func recordingRefuses() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "a recording".write(toFile: path, atomically: false, encoding: .utf8)
        let run = try EEGProcess(["record", "--out", path, "--duration", "1s", "--speed", "max"], killAfter: 60)
        #expect(run.status == 64 && run.stderr.contains("already exists; use --force to overwrite it"), "\(run.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a recording")
    }
}

/// `analyze` reads float32 with the flags replay and bandpower use (``FileSourceOptions``).
@Suite("analyze takes the file-source flags of replay and bandpower")
struct AnalyzeFileSourceTests {
    static let raw = Fixtures.url("eeg/libgdf_mi128.f32").path

    @Test("--labels names float32 channels; --input-format f32 reads any name; raw still works with a note")
    func labelsAndFormat() throws {
        let path = scratchPath("dat")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.copyItem(atPath: Self.raw, toPath: path)
        let base = ["analyze", "--rate", "128", "--channel-count", "3", "--format", "csv", "--channels", "C4"]
        let named = try EEGProcess(base + [Self.raw, "--labels", "C3,Cz,C4"])
        #expect(named.status == 0, "\(named.stderr)")
        let rows = named.stdout.split(separator: "\n")
        #expect(rows.count > 10 && rows[0].hasPrefix("file,epoch,") && rows[0].contains("C4_"), "\(rows.first ?? "")")
        // The same bytes under another name, read as f32 because --input-format says so.
        let f32 = try EEGProcess(base + [path, "--labels", "C3,Cz,C4", "--input-format", "f32"])
        let old = try EEGProcess(base + [path, "--labels", "C3,Cz,C4", "--input-format", "raw"])
        func withoutFile(_ csv: String) -> [String] { csv.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 1).last.map(String.init) ?? "" } }
        #expect(f32.status == 0 && withoutFile(f32.stdout) == withoutFile(named.stdout), "\(f32.stderr)")
        #expect(old.stdout == f32.stdout && old.stderr == "eeg analyze: warning: --input-format raw is deprecated; use --input-format f32 (raw means a Cyton byte capture, as in 'eeg replay --raw')\n")
    }

    @Test("file-source values that do not fit are usage errors naming the flag", arguments: [
        (["--rate", "128", "--channel-count", "3", "--labels", "a,b"], "--labels has 2 labels but --channel-count is 3"),
        (["--labels", "a,b,c"], "--labels names the channels of float32 input"),
        (["--input-format", "csv", "--rate", "128"], "--input-format csv is for replay and bandpower"),
        (["--input-format", "f32", "--rate", "128"], "float32 input needs both --rate and --channel-count"),
        (["--input-format", "edf", "--rate", "128", "--channel-count", "3"], "an EDF/BDF file states its own rate"),
    ])
    func badValues(arguments: [String], message: String) throws {
        let run = try EEGProcess(["analyze", Self.raw] + arguments, killAfter: 60)
        #expect(run.status == 64 && run.stderr.contains(message), "\(run.stderr)")
    }
}
