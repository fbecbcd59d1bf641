import Foundation
import Testing
@testable import EEGDSP

/// The rules the window analysis decides once for live, analyze and bandpower — each of
/// which changed the numbers of one path when the three were unified.
@Suite("Window analysis rules")
struct WindowAnalyzerTests {
    static let rate = 250.0, frames = 1000

    func analyzer(channels: Int = 1) throws -> WindowAnalyzer {
        try WindowAnalyzer(welch: WelchParameters(sampleRate: Self.rate), bands: .standard, channelCount: channels, frameCount: Self.frames)
    }

    /// 10 µV alpha at 10 Hz plus `extra(i)`.
    func signal(_ extra: (Int) -> Double) -> [Float] {
        (0..<Self.frames).map { Float(10 * sin(2 * .pi * 10 * Double($0) / Self.rate) + extra($0)) }
    }

    @Test("without a filter, slow drift is not an artifact but a blink is (live used the mean and flagged drift)")
    func driftIsNotAnArtifact() throws {
        let window = try analyzer()
        // 400 µV of linear drift across the window: ±200 µV from the mean, ≤ 10 from the line.
        let drift = signal { 400 * Double($0) / Double(Self.frames) }
        drift.withUnsafeBufferPointer { window.analyze(raw: .interleaved($0.baseAddress!, channelCount: 1), filtered: nil) }
        #expect(window.qualityPerChannel[0].artifactFraction == 0)
        #expect(window.isUsable)
        // The rule the live path used to apply: around the mean, most of it counted.
        let aroundMean = drift.withUnsafeBufferPointer {
            SignalQuality.assess($0.baseAddress!, stride: 1, count: Self.frames, psd: nil, parameters: window.welch, thresholds: window.quality)
        }
        #expect(aroundMean.hasArtifacts && aroundMean.artifactFraction > 0.4)
        // A 50-sample, 180 µV blink on top of the drift is still found: 5 % of the window.
        let blink = signal { 400 * Double($0) / Double(Self.frames) + ((500..<550).contains($0) ? 180 : 0) }
        blink.withUnsafeBufferPointer { window.analyze(raw: .interleaved($0.baseAddress!, channelCount: 1), filtered: nil) }
        #expect(window.qualityPerChannel[0].hasArtifacts && abs(window.qualityPerChannel[0].artifactFraction - 0.05) < 0.011)
        #expect(!window.isUsable)
    }

    @Test("the line-noise ratio is the analysed spectrum's: a notch that removed the hum leaves none (analyze used the raw PSD)")
    func lineNoiseAfterTheFilter() throws {
        let window = try analyzer()
        let hummy = signal { 30 * sin(2 * .pi * 50 * Double($0) / Self.rate) }
        let clean = signal { _ in 0 }
        hummy.withUnsafeBufferPointer { raw in
            window.analyze(raw: .interleaved(raw.baseAddress!, channelCount: 1), filtered: nil)
        }
        #expect(window.qualityPerChannel[0].hasLineNoise)
        hummy.withUnsafeBufferPointer { raw in
            clean.withUnsafeBufferPointer { filtered in
                window.analyze(raw: .interleaved(raw.baseAddress!, channelCount: 1), filtered: .interleaved(filtered.baseAddress!, channelCount: 1))
            }
        }
        let q = window.qualityPerChannel[0]
        #expect(!q.hasLineNoise && (q.lineNoiseRatio ?? 1) < 0.01)
        // Flat and railed stay the raw samples' business; RMS is the filtered window's.
        #expect(abs(q.rms - 10 / 2.0.squareRoot()) < 0.1 && q.peakToPeak > 70)
    }

    @Test("interleaved and planar layouts of the same window give identical results")
    func layouts() throws {
        let window = try analyzer(channels: 2)
        let a = signal { 5 * sin(Double($0) / 3) }, b = signal { 40 * sin(2 * .pi * 6 * Double($0) / Self.rate) }
        let interleaved = zip(a, b).flatMap { [$0, $1] }, planar = a + b
        interleaved.withUnsafeBufferPointer { window.analyze(raw: .interleaved($0.baseAddress!, channelCount: 2), filtered: nil) }
        let first = (Array(window.bandPowers), Array(window.qualityPerChannel), window.ratios)
        planar.withUnsafeBufferPointer { window.analyze(raw: .planar($0.baseAddress!, frameCount: Self.frames), filtered: nil) }
        #expect(first.0 == Array(window.bandPowers) && first.1 == Array(window.qualityPerChannel) && first.2 == window.ratios)
    }

    @Test("only usable windows join a score baseline (live used every window)")
    func baselineFromUsableWindows() throws {
        var calibrator = ScoreCalibrator(duration: 10)
        let usable = [0.5, 0.6, 0.55, 0.65, 0.7]
        for (i, e) in usable.enumerated() {
            _ = calibrator.update(BandRatios(engagement: e), at: Double(i) + 1, usable: true)
            // A window with a blink between each: an extreme index that must not count.
            _ = calibrator.update(BandRatios(engagement: 50), at: Double(i) + 1.5, usable: false)
        }
        _ = calibrator.update(BandRatios(engagement: 0.6), at: 11)
        let baseline = try #require(calibrator.calibration?.attention)
        let logs = usable.map(log)
        let mean = logs.reduce(0, +) / 5
        #expect(baseline.count == 5)
        #expect(abs(baseline.mean - mean) < 1e-12)
        #expect(abs(baseline.standardDeviation - (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()) < 1e-12)
    }
    /// The same rule through the live analyzer itself: windows holding ±500 µV spikes
    /// during calibration must not join the baseline. The expected μ, σ are computed here
    /// from the engagement the analyzer reports for each artifact-free window, and checked
    /// through the first score after calibration (smoothing off, so the score is exact).
    @Test("live: only artifact-free calibration windows form the attention baseline")
    func liveBaselineFromUsableWindows() throws {
        let rate = 100.0, seconds = 30
        var configuration = LiveAnalyzerConfiguration(sampleRate: rate, channelCount: 1)
        configuration.calibrationSeconds = 20
        configuration.smoothingSeconds = 0
        let analyzer = try LiveAnalyzer(configuration)
        let spikes = Set([600, 1300].flatMap { start in start..<(start + 8) })  // 8 of 400 samples: 2 % > 1 %
        let signal: [Float] = (0..<(seconds * Int(rate))).map { i in
            let t = Double(i) / rate
            if spikes.contains(i) { return i % 2 == 0 ? 500 : -500 }
            let beta = (3 + 2 * sin(2 * .pi * t / 7)) * sin(2 * .pi * 20 * t)
            return Float(10 * sin(2 * .pi * 10 * t) + 6 * sin(2 * .pi * 6 * t + 1) + beta)
        }
        var updates: [(time: Double, engagement: Double, usable: Bool, attention: Double?)] = []
        signal.withUnsafeBufferPointer { s in
            analyzer.process(s, firstSampleIndex: 0) { u in
                let last = Int(u.sampleIndex), first = last - analyzer.windowFrameCount + 1
                let clean = !spikes.contains { (first...last).contains($0) }
                updates.append((u.time, u.ratios.engagement ?? .nan, clean, u.scores.attention))
            }
        }
        let calibrating = updates.filter { $0.time <= 20 }
        let usable = calibrating.filter(\.usable)
        try #require(calibrating.count - usable.count >= 8 && usable.count >= 20, "spikes made some calibration windows unusable")
        func baseline(_ windows: [(time: Double, engagement: Double, usable: Bool, attention: Double?)]) -> (mean: Double, sd: Double) {
            let logs = windows.map { log($0.engagement) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            return (mean, (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logs.count - 1)).squareRoot())
        }
        func score(_ engagement: Double, _ b: (mean: Double, sd: Double)) -> Double {
            100 * 0.5 * erfc(-((log(engagement) - b.mean) / b.sd) / 2.0.squareRoot())
        }
        let scored = try #require(updates.first { $0.time > 20 })
        let attention = try #require(scored.attention, "scored after calibration")
        let expected = score(scored.engagement, baseline(usable)), everyWindow = score(scored.engagement, baseline(calibrating))
        try #require(abs(expected - everyWindow) > 1e-3, "the spikes change the all-windows baseline")
        #expect(abs(attention - expected) < 1e-9, "attention \(attention); from usable windows \(expected), from every window \(everyWindow)")
        #expect(updates.filter { $0.time <= 20 }.allSatisfy { $0.attention == nil })
    }
}

/// The one-pass-fewer quality of an unfiltered window against its definition: the raw
/// window's `assess` with the artifacts of `assess` over `removeLinearTrend`'s output.
@Suite("Quality around the trend")
struct QualityAroundTrendTests {
    static let rate = 250.0, frames = 1000, stride = 3

    static func signals() -> [[Float]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func noise() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state % 10_000) / 5_000 - 1
        }
        let base = (0..<frames).map { 20 * sin(2 * .pi * 10 * Double($0) / rate) + 5 * noise() }
        return [
            base.map { Float($0 + 3000) },                                          // DC offset
            base.indices.map { Float(base[$0] + 0.4 * Double($0)) },                // drift
            base.indices.map { Float(base[$0] + ((400..<460).contains($0) ? 250 : 0)) },  // a blink
            base.indices.map { Float($0 % 10 == 0 ? 180_000 : base[$0]) },          // railed
            [Float](repeating: -12.5, count: frames),                               // flat
            base.indices.map { Float(base[$0] + 50 * sin(2 * .pi * 50 * Double($0) / rate)) },  // mains hum
        ]
    }

    @Test("equal, field by field and bit for bit, to the definition (strided samples)")
    func equalsDefinition() throws {
        let welch = try WelchParameters(sampleRate: Self.rate)
        let thresholds = SignalQualityThresholds()
        let estimator = WelchEstimator(welch)
        for signal in Self.signals() {
            var strided = [Float](repeating: .nan, count: Self.frames * Self.stride)
            for i in 0..<Self.frames { strided[i * Self.stride] = signal[i] }
            var psd = [Double](repeating: 0, count: welch.binCount)
            var detrended = [Float](repeating: 0, count: Self.frames), scratch = detrended
            let (fast, definition) = strided.withUnsafeBufferPointer { s in
                psd.withUnsafeMutableBufferPointer { p in
                    estimator.psd(s.baseAddress!, stride: Self.stride, frames: Self.frames, into: p.baseAddress!)
                    let fast = detrended.withUnsafeMutableBufferPointer { d in
                        SignalQuality.assessAroundTrend(s.baseAddress!, stride: Self.stride, count: Self.frames, psd: UnsafeBufferPointer(p),
                                                        parameters: welch, thresholds: thresholds, detrended: d.baseAddress!)
                    }
                    var q = SignalQuality.assess(s.baseAddress!, stride: Self.stride, count: Self.frames, psd: UnsafeBufferPointer(p),
                                                 parameters: welch, thresholds: thresholds)
                    let artifacts = scratch.withUnsafeMutableBufferPointer { d in
                        removeLinearTrend(s.baseAddress!, stride: Self.stride, count: Self.frames, into: d.baseAddress!)
                        return SignalQuality.assess(d.baseAddress!, stride: 1, count: Self.frames, psd: nil, parameters: welch, thresholds: thresholds)
                    }
                    q.artifactFraction = artifacts.artifactFraction
                    q.hasArtifacts = artifacts.hasArtifacts
                    return (fast, q)
                }
            }
            #expect(fast == definition)
        }
        // The cases above do raise every flag the fast path decides.
        let flags = Self.signals().map { signal in
            signal.withUnsafeBufferPointer { s in
                var d = [Float](repeating: 0, count: Self.frames)
                return d.withUnsafeMutableBufferPointer {
                    SignalQuality.assessAroundTrend(s.baseAddress!, stride: 1, count: Self.frames, psd: UnsafeBufferPointer(start: nil, count: 0),
                                                    parameters: try! WelchParameters(sampleRate: Self.rate), thresholds: SignalQualityThresholds(), detrended: $0.baseAddress!)
                }
            }
        }
        #expect(flags.contains(where: \.hasArtifacts) && flags.contains(where: \.isRailed) && flags.contains(where: \.isFlat))
        #expect(!flags[1].hasArtifacts, "drift alone is not an artifact")
    }
}
