import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// One vocabulary across commands: `--channels` selects channels by label in `analyze`
/// and `bandpower`, `--channel-count` is a raw float32 frame's width in both, and the old
/// `bandpower --channels N` keeps working for one release with a note on standard error.
@Suite("Flags mean the same in every command")
struct FlagVocabularyTests {
    static let raw = Fixtures.url("eeg/libgdf_mi128.f32").path
    static let edf = Fixtures.url("eeg/libgdf_mi128.edf").path

    @Test("bandpower --channels N (the old count) still works, gives the same output and says it is deprecated")
    func deprecatedCount() throws {
        let new = try EEGProcess(["bandpower", "--input", Self.raw, "--rate", "128", "--channel-count", "3", "--format", "json"])
        let old = try EEGProcess(["bandpower", "--input", Self.raw, "--rate", "128", "--channels", "3", "--format", "json"])
        #expect(new.status == 0 && old.status == 0, "\(old.stderr)")
        #expect(new.stderr.isEmpty)
        #expect(!new.stdout.isEmpty && old.stdout == new.stdout)
        #expect(old.stderr == "eeg bandpower: warning: --channels 3 as a channel count is deprecated; use --channel-count 3 (--channels now selects channels by label, as in analyze)\n")
    }

    @Test("bandpower --channels selects by label, in the order given, with analyze's matching rule")
    func selectByLabel() throws {
        let all = try EEGProcess(["bandpower", "--input", Self.edf, "--format", "csv"])
        let two = try EEGProcess(["bandpower", "--input", Self.edf, "--channels", "C4,C3", "--format", "csv"])
        #expect(all.status == 0 && two.status == 0, "\(two.stderr)")
        func rows(_ csv: String) -> [String: String] {
            // channel label → the row's numbers (band powers, relative powers; not the ratios)
            Dictionary(uniqueKeysWithValues: csv.split(separator: "\n").dropFirst().map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return (cells[2], cells[3..<13].joined(separator: ","))
            })
        }
        let labels = two.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[2] }
        #expect(labels == ["eeg:C4", "eeg:C3"])
        let a = rows(all.stdout), b = rows(two.stdout)
        #expect(b["eeg:C4"] == a["eeg:C4"] && b["eeg:C3"] == a["eeg:C3"] && b["eeg:C4"] != nil)
    }

    @Test("a label the input lacks is a usage error naming it and the labels there are", arguments: ["bandpower", "analyze"])
    func missingLabel(command: String) throws {
        let arguments = command == "bandpower" ? ["bandpower", "--input", Self.edf, "--channels", "Oz"] : ["analyze", Self.edf, "--channels", "Oz", "--format", "json"]
        let run = try EEGProcess(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("no channel 'Oz' (the ") && run.stderr.contains("has eeg:C3, eeg:Cz, eeg:C4)"), "\(run.stderr)")
    }

    @Test("bandpower --out writes the results to a file, as analyze --out does")
    func out() throws {
        let path = scratchPath("json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let toFile = try EEGProcess(["bandpower", "--input", Self.edf, "--out", path])
        let toStdout = try EEGProcess(["bandpower", "--input", Self.edf, "--format", "json"])
        #expect(toFile.status == 0 && toFile.stdout.isEmpty, "\(toFile.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == toStdout.stdout)
    }

    @Test("--calibration-seconds is a duration in analyze as in stream: 20, 20s and 20000ms are read alike")
    func calibrationDuration() throws {
        let runs = try ["20", "20s", "20000ms"].map { try EEGProcess(["analyze", Self.edf, "--calibration-seconds", $0, "--format", "json"]) }
        let standard = try EEGProcess(["analyze", Self.edf, "--format", "json"])
        for run in runs { #expect(run.status == 0, "\(run.stderr)") }
        #expect(runs[0].stdout == runs[1].stdout && !runs[0].stdout.isEmpty)
        #expect(runs[2].stdout == runs[0].stdout)
        // A 20 s baseline is not the default minute's: the scores differ.
        #expect(standard.status == 0 && standard.stdout != runs[0].stdout)
    }

    @Test("--bands reads the same in stream as in analyze and bandpower: the metric lines carry those bands")
    func liveBands() throws {
        let run = try EEGProcess(["stream", "--sim-speed", "max", "--sim-channels", "2", "--duration", "5s", "--emit", "metrics", "--format", "csv",
                                  "--bands", "theta:4-8,alpha:8-13,beta:13-30"], killAfter: 60)
        #expect(run.status == 0, "\(run.stderr)")
        let header = run.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.hasSuffix(",Fp1_theta,Fp1_alpha,Fp1_beta,Fp1_rms,Fp1_quality,Fp2_theta,Fp2_alpha,Fp2_beta,Fp2_rms,Fp2_quality"), "\(header)")
        let bad = try EEGProcess(["stream", "--bands", "alpha:13-8"])
        #expect(bad.status == 64 && bad.stderr.contains("--bands"), "\(bad.stderr)")
    }

    @Test("the library reads alike: BandpowerOptions.channels selects by label as AnalysisOptions.channels does")
    func libraryOptions() throws {
        func run(_ channels: [String]?) throws -> BandpowerReport {
            var reader = RawFloat32Reader(input: try InputFile(path: Self.raw, name: "raw"), channelCount: 3)
            var options = BandpowerOptions(layout: .test(rate: 128, labels: ["C3", "Cz", "C4"]))
            options.channels = channels
            return try BandpowerAnalyzer.analyze(&reader, options: options)
        }
        let all = try run(nil), c4 = try run(["c4"])
        #expect(c4.whole.channels.map(\.label) == ["C4"])
        #expect(c4.whole.channels[0].absolute == all.whole.channels[2].absolute)
        #expect(throws: ChannelSelection.MissingChannel(label: "Oz", available: ["C3", "Cz", "C4"])) { try run(["Oz"]) }
    }
}
