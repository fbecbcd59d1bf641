import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// `--filter`, `--channels` and `--pair` in the live commands read as in `analyze` and
/// reach the live analyzer; without them the lines are what they were.
@Suite("Live commands take analyze's analysis flags")
struct LiveFlagTests {
    static let edf = Fixtures.url("eeg/libgdf_mi128.edf").path

    /// The library's metrics lines for the fixture replayed with `options`, as the CLI
    /// writes them (a line each).
    static func library(_ configure: (inout StreamOptions) -> Void) throws -> String {
        var options = StreamOptions()
        options.format = .csv
        configure(&options)
        var lines: [String] = []
        let device = try FileReplayDevice(path: edf, speed: .infinity)
        _ = try StreamSession(device: device, options: options).run(write: { lines.append($0) }, status: { _ in }, stopRequested: { false })
        return lines.map { $0 + "\n" }.joined()
    }

    static func replay(_ extra: [String]) throws -> EEGProcess {
        try EEGProcess(["replay", edf, "--speed", "max", "--emit", "metrics", "--format", "csv"] + extra)
    }

    @Test("replay --filter 2-30 gives the library's LiveAnalyzer lines with bandPass 2...30; the default stays 1-45")
    func filter() throws {
        let run = try Self.replay(["--filter", "2-30"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == (try Self.library { $0.bandPass = 2...30 }))
        let standard = try Self.replay([])
        #expect(standard.stdout == (try Self.library { _ in }) && standard.stdout != run.stdout)
        #expect(standard.stdout == (try Self.replay(["--filter", "1-45"])).stdout)
    }

    @Test("--filter off and none turn the live band-pass off", arguments: ["off", "none", "OFF"])
    func filterOff(word: String) throws {
        let run = try Self.replay(["--filter", word])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == (try Self.library { $0.bandPass = nil }))
    }

    @Test("bad analysis values are usage errors naming the flag, in every live command", arguments: [
        (["--filter", "30-2"], "--filter must be LOW-HIGH in Hz"),
        (["--filter", "low"], "--filter must be LOW-HIGH in Hz"),
        (["--pair", "C3"], "--pair must be LEFT:RIGHT channel labels"),
        (["--channels", " , "], "--channels names no channel (got ' , ')"),
    ])
    func badValues(arguments: [String], message: String) throws {
        for command in [["stream"], ["record", "--out", "/tmp/never-made.bdf"], ["replay", Self.edf]] {
            let run = try EEGProcess(command + arguments, killAfter: 60)
            #expect(run.status == 64, "\(command): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(command): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-made.bdf"))
    }

    @Test("a --channels or --pair label the stream lacks is exit 64 naming the flag and the stream's labels")
    func missingLabels() throws {
        let channels = try Self.replay(["--channels", "C3,Oz"])
        #expect(channels.status == 64 && channels.stdout.isEmpty)
        #expect(channels.stderr == "eeg replay: error: --channels: no channel 'Oz' (the stream has eeg:C3, eeg:Cz, eeg:C4)\n")
        let pair = try EEGProcess(["stream", "--sim-channels", "2", "--duration", "1s", "--pair", "F3:F4"], killAfter: 60)
        #expect(pair.status == 64, "\(pair.stderr)")
        // Found before the device starts or a file is made: record leaves nothing behind.
        let path = scratchPath("bdf")
        let record = try EEGProcess(["record", "--out", path, "--duration", "1s", "--speed", "max", "--channels", "Oz"], killAfter: 60)
        // Refused before the command announces it is streaming or recording: the error is
        // all it says.
        #expect(record.status == 64 && record.stderr == "eeg record: error: --channels: no channel 'Oz' (the stream has Fp1, Fp2, C3, C4, P7, P8, O1, O2)\n", "\(record.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(pair.stderr == "eeg stream: error: --pair: no channel 'F3' (the stream has Fp1, Fp2)\n", "\(pair.stderr)")
    }

    @Test("a band-pass above the stream's Nyquist frequency is refused before streaming starts")
    func filterAboveNyquist() throws {
        let expected = "invalid filter: cutoff 200.0 Hz must lie strictly between 0 and the Nyquist frequency 125.0 Hz\n"
        let stream = try EEGProcess(["stream", "--duration", "1s", "--filter", "1-200"], killAfter: 60)
        #expect(stream.status == 64 && stream.stdout.isEmpty)
        #expect(stream.stderr == "eeg stream: error: " + expected, "\(stream.stderr)")
        let path = scratchPath("bdf")
        let record = try EEGProcess(["record", "--out", path, "--duration", "1s", "--speed", "max", "--emit", "metrics", "--filter", "1-200"], killAfter: 60)
        #expect(record.status == 64 && record.stderr == "eeg record: error: " + expected, "\(record.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("--channels picks the channels the ratios come from, matched as in analyze; every channel's powers are still shown")
    func metricChannels() throws {
        let all = try Self.replay([])
        let c3 = try Self.replay(["--channels", "C3"])
        let qualified = try Self.replay(["--channels", "eeg:c3"])
        #expect(c3.status == 0 && qualified.status == 0, "\(c3.stderr)")
        #expect(c3.stdout == qualified.stdout && c3.stdout != all.stdout)
        #expect(c3.stdout == (try Self.library { $0.metricChannels = ["C3"] }))
        // Same header, and the per-channel columns (after time, sample, 7 metrics,
        // calibration, dropped) are the same numbers.
        func channelCells(_ csv: String) -> [String] {
            csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst(11).joined(separator: ",") }
        }
        #expect(channelCells(c3.stdout) == channelCells(all.stdout) && !channelCells(all.stdout).isEmpty)
        // The engagement column differs: it is C3's alone.
        let both = try Self.replay(["--channels", "C4,C3"]).stdout
        #expect(both == (try Self.replay(["--channels", "C3,C4"])).stdout && both != c3.stdout)
    }

    @Test("--pair adds the asymmetry, ln α(right) − ln α(left) of the same line's band powers")
    func pair() throws {
        let run = try EEGProcess(["replay", Self.edf, "--speed", "max", "--emit", "metrics", "--pair", "C3:C4"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        try #require(lines.count > 100)
        for line in lines.prefix(50) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let channels = try #require(object["channels"] as? [[String: Any]])
            func alpha(_ label: String) throws -> Double {
                let channel = try #require(channels.first { $0["label"] as? String == label })
                return try #require((channel["band_power"] as? [String: Double])?["alpha"])
            }
            let asymmetry = try #require(object["asymmetry"] as? Double)
            let expected = log(try alpha("eeg:C4")) - log(try alpha("eeg:C3"))
            // Six significant digits in the line.
            #expect(abs(asymmetry - expected) <= 1e-4 * max(1, abs(expected)), "\(asymmetry) vs \(expected)")
        }
        let header = try Self.replay(["--pair", "C3:C4"]).stdout.split(separator: "\n").first ?? ""
        #expect(header.hasPrefix("time_s,sample,engagement,theta_beta,relaxation,workload,asymmetry,attention,"), "\(header)")
        #expect(!(try Self.replay([])).stdout.contains("asymmetry"))
    }

    @Test("analyze reads the same flags from the same group: --filter off is its default, 2-30 filters")
    func analyzeShares() throws {
        func run(_ extra: [String]) throws -> EEGProcess { try EEGProcess(["analyze", Self.edf, "--format", "csv"] + extra) }
        let standard = try run([]), off = try run(["--filter", "off"]), band = try run(["--filter", "2-30"])
        #expect(standard.status == 0 && off.status == 0 && band.status == 0, "\(band.stderr)")
        #expect(off.stdout == standard.stdout && band.stdout != standard.stdout && !standard.stdout.isEmpty)
        let bad = try run(["--filter", "30-2"])
        #expect(bad.status == 64 && bad.stderr.contains("--filter must be LOW-HIGH in Hz"), "\(bad.stderr)")
    }
}
