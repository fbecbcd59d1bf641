import Foundation
import Testing
import TestSupport
@testable import EEGKit

@Suite("eeg analyze")
struct AnalyzeTests {
    static let recording = Fixtures.url("eeg/libgdf_mi128.edf").path

    @Test("per-epoch band powers of the real recording equal scipy's, epoch by epoch")
    func matchesScipyPerEpoch() throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128_windows.json", as: EpochReferences.self)
        let analysis = try FileAnalyzer(options: AnalysisOptions()).analyze(path: Self.recording)
        #expect(analysis.epochs.count == reference.epochs.count)
        let names = BandSet.standard.bands.map(\.name)
        var worst = 0.0
        for (mine, theirs) in zip(analysis.epochs, reference.epochs) {
            #expect(mine.start == theirs.start_s)
            for c in 0..<3 {
                let expected = names.map { theirs.band_powers[c][$0]! }
                worst = max(worst, worstRelativeError(mine.channels[c].absolute, expected).error)
            }
        }
        #expect(worst <= 1e-4, "worst relative error \(worst)")
        // Every annotation of the file lands in exactly the epochs it overlaps.
        #expect(analysis.annotations.count == 280)
        #expect(analysis.epochs.contains { !$0.annotations.isEmpty })
    }

    /// 60 s at 250 Hz, 2 channels: theta 6 Hz, alpha 10 Hz, beta 20 Hz sines whose
    /// amplitudes double after 32 s; one blink (150 µV over 0.3 s, 7.5 % of an epoch) in
    /// the epoch at 12 s.
    static func syntheticFile() throws -> String {
        let path = scratchPath("bdf")
        let channels = (1...2).map { EDFSignal(label: "F\($0 == 1 ? 3 : 4)", physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 250) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        var frames: [Float] = []
        for i in 0..<(60 * 250) {
            let t = Double(i) / 250
            let k = t < 32 ? 1.0 : 2.0
            for c in 0..<2 {
                let theta = 4 * k * sin(2 * .pi * 6 * t), alpha = Double(8 + 4 * c) * sin(2 * .pi * 10 * t), beta = 3 * k * sin(2 * .pi * 20 * t)
                var v = theta + alpha + beta
                let blink = i - (13 * 250)
                if c == 0, (0..<75).contains(blink) { v += 150 * 0.5 * (1 - cos(2 * .pi * Double(blink) / 75)) }
                frames.append(Float(v))
            }
        }
        try frames.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        return path
    }

    @Test("summary numbers, checked by hand on a synthetic file")
    func summaryByHand() throws {
        var options = AnalysisOptions()
        options.calibrationSeconds = 32
        options.asymmetryPair = ("F3", "F4")
        let a = try FileAnalyzer(options: options).analyze(path: try Self.syntheticFile())
        #expect(a.epochs.count == 15)
        // The spike: epoch 3 (12–16 s) rejected, kept, and named.
        #expect(a.epochs.filter(\.rejected).map(\.index) == [3])
        #expect(a.epochs[3].rejectionReasons.contains("F3 artifact"))
        #expect(a.summary.goodEpochs == 14)
        #expect(abs(a.summary.percentGood - 100 * 14 / 15) < 1e-9)
        // A sine of amplitude A has power A²/2, all inside its band (bins fall exactly
        // on 6, 10 and 20 Hz). Channel means: alpha (8² + 12²)/2/2 = 52.
        func engagement(_ k: Double) -> Double { (9 * k * k / 2) / (52 + 16 * k * k / 2) }
        let m = Dictionary(a.summary.means, uniquingKeysWith: { x, _ in x })
        let md = Dictionary(a.summary.medians, uniquingKeysWith: { x, _ in x })
        // Good epochs: 0,1,2,4,5,6,7 at k = 1 (7) and 8…14 at k = 2 (7).
        let expectedMean = (7 * engagement(1) + 7 * engagement(2)) / 14
        #expect(abs(m["engagement"]!! / expectedMean - 1) < 1e-3, "\(m["engagement"]!!) vs \(expectedMean)")
        #expect(abs(md["engagement"]!! / ((engagement(1) + engagement(2)) / 2) - 1) < 1e-3)
        // Asymmetry ln(α F4 / α F3) = ln(72 / 32).
        #expect(abs(m["asymmetry"]!! - log(72.0 / 32.0)) < 1e-3)
        // The first 32 s are identical epochs: no spread, so no baseline — the scores are
        // unavailable, not invented.
        #expect(a.calibration == nil)
        #expect(a.epochs.allSatisfy { $0.scores.attention == nil })
        #expect(a.summary.attentionPerMinute == [nil])

        // With a saved baseline at ln(engagement(1)), σ 0.1: 50 before, 100·Φ(Δ/0.1) after.
        options.calibration = Calibration(attention: Baseline(mean: log(engagement(1)), standardDeviation: 0.1, count: 10), relaxation: nil, workload: nil)
        let b = try FileAnalyzer(options: options).analyze(path: try Self.syntheticFile())
        let z = (log(engagement(2)) - log(engagement(1))) / 0.1
        let expectedAfter = 100 * 0.5 * erfc(-z / 2.0.squareRoot())
        for e in b.epochs where !e.rejected {
            let expected = e.start < 32 ? 50 : expectedAfter
            #expect(abs(e.scores.attention! - expected) < 0.5, "epoch at \(e.start) s: \(e.scores.attention!) vs \(expected)")
        }
        #expect(b.epochs.allSatisfy { $0.scores.relaxation == nil })
        #expect(a.summary.bandPowers[0].values[2] > 31.9 && a.summary.bandPowers[0].values[2] < 32.1)  // F3 alpha 8²/2
    }

    @Test("many files in parallel come out in the order given, identical to one job")
    func parallelDeterministic() throws {
        let files = [Self.recording, try Self.syntheticFile(), Self.recording]
        let one = try EEGProcess(["analyze"] + files + ["-j", "1", "--format", "jsonl"])
        let two = try EEGProcess(["analyze"] + files + ["-j", "2", "--format", "jsonl"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout == two.stdout)
        let summaries = one.stdout.split(separator: "\n").filter { $0.contains("\"summary\"") }
        #expect(summaries.count == 3)
        #expect(summaries[1].contains("eegkit-"))
        let json = try EEGProcess(["analyze"] + files + ["--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["files"] as? [Any])?.count == 3)
        #expect((object["combined"] as? [Any])?.count == 3)
    }

    @Test("--shard I/N: files of equal size go round-robin; the larger file goes first")
    func shards() throws {
        let files = ["a", "b", "c", "d", "e"]  // none exists: all of size 0
        #expect(try Shard(index: 1, count: 2).select(files) == ["a", "c", "e"])
        #expect(try Shard(index: 2, count: 2).select(files) == ["b", "d"])
        #expect(try Shard(index: 3, count: 3).select(files) == ["c"])
        let bad = try EEGProcess(["analyze", Self.recording, "--shard", "3/2"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--shard must be I/N with 1 ≤ I ≤ N ≤ 1000000, e.g. 1/4, got '3/2'"))
        let run = try EEGProcess(["analyze", "/no/such.edf", Self.recording, "--shard", "1/2", "--format", "csv"])
        #expect(run.status == 0)  // shard 1/2 holds only the recording, the larger file
        #expect(run.stdout.hasPrefix("file,epoch,start_s,status"))
    }

    @Test("bad files: one line each, the others still analysed, a documented exit code")
    func badFiles() throws {
        let notEDF = scratchPath("edf")
        try Data(repeating: 0x20, count: 300).write(to: URL(fileURLWithPath: notEDF))
        let run = try EEGProcess(["analyze", "/no/such.edf", Self.recording, notEDF, "--format", "csv"])
        #expect(run.status == 66)
        let errors = run.stderr.split(separator: "\n")
        #expect(errors.count == 2)
        #expect(errors[0].contains("eeg analyze: error: cannot open /no/such.edf: no such file"))
        #expect(errors[1].contains("header field 'version' at byte 0"))
        #expect(run.stdout.split(separator: "\n").count == 1 + 97)
        #expect(try EEGProcess(["analyze", FileManager.default.temporaryDirectory.path]).stderr.contains("is a directory"))
        let unknownChannel = try EEGProcess(["analyze", Self.recording, "--channels", "Fz"])
        #expect(unknownChannel.stderr.contains("no channel 'Fz'"))
        #expect(unknownChannel.status == 64)
        #expect(try EEGProcess(["analyze"]).status == 64)
    }
}
