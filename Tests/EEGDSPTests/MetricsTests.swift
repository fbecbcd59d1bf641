import Foundation
import Testing
@testable import EEGDSP

@Suite("Ratios, scores, smoothing")
struct MetricsTests {
    @Test("ratios from hand-computed band powers")
    func ratios() {
        let r = BandRatios(theta: 4, alpha: 6, beta: 5)
        #expect(r.engagement == 0.5)      // 5 / (6 + 4)
        #expect(r.thetaBeta == 0.8)       // 4 / 5
        #expect(r.relaxation == 1.2)      // 6 / 5
        #expect(r.workload == 4.0 / 6.0)  // 4 / 6
        let missing = BandRatios(theta: nil, alpha: 6, beta: 0)
        #expect(missing == BandRatios())  // no theta; beta 0 is no denominator
    }

    @Test("ratios average band powers over the selected channels first")
    func averagedFirst() {
        // channel-major [theta, alpha, beta] for 3 channels
        let powers: [Double] = [2, 4, 3, 6, 8, 9, 100, 100, 100]
        let bands = RatioBands(try! BandSet([FrequencyBand("theta", 4, 8), FrequencyBand("alpha", 8, 13), FrequencyBand("beta", 13, 30)]))
        let selected = [0, 1]
        let r = powers.withUnsafeBufferPointer { p in selected.withUnsafeBufferPointer { bands.ratios(powers: p, bandCount: 3, channels: $0) } }
        // means: theta 4, alpha 6, beta 6 → engagement 6/10 (not the mean of 3/6 and 9/14)
        #expect(r.engagement == 0.6)
        #expect(r.workload == 4.0 / 6.0)
    }

    @Test("frontal alpha asymmetry is ln right − ln left")
    func asymmetry() {
        #expect(abs(frontalAlphaAsymmetry(left: 2, right: 2 * M_E)! - 1) < 1e-15)
        #expect(frontalAlphaAsymmetry(left: 0, right: 3) == nil)
    }

    @Test("a score is 100·Φ(z) of ln(index) against the baseline")
    func score() {
        let baseline = Baseline(mean: log(0.5), standardDeviation: 0.2, count: 10)
        #expect(abs(baseline.score(0.5)! - 50) < 1e-12)
        // z = 1 → Φ(1) = 0.8413447460685429
        #expect(abs(baseline.score(0.5 * exp(0.2))! - 84.13447460685429) < 1e-9)
        #expect(abs(baseline.score(0.5 * exp(-0.4))! - 2.2750131948179195) < 1e-9)  // Φ(−2)
        #expect(baseline.score(0) == nil)
        #expect(baseline.score(nil) == nil)
    }

    @Test("the baseline is the mean and sample SD of ln values")
    func baseline() {
        var acc = BaselineAccumulator()
        #expect(acc.baseline == nil)
        for v in [1.0, M_E, M_E * M_E] { acc.add(v) }   // ln: 0, 1, 2
        acc.add(-1)                                  // ignored
        acc.add(nil)                                 // ignored
        let b = acc.baseline!
        #expect(b.count == 3)
        #expect(abs(b.mean - 1) < 1e-15)
        #expect(abs(b.standardDeviation - 1) < 1e-15)  // sample SD of 0, 1, 2
    }

    @Test("scores are unavailable until the calibration period ends, then computed")
    func calibration() throws {
        var calibrator = ScoreCalibrator(duration: 1)
        let low = BandRatios(theta: 2, alpha: 2, beta: 1)   // engagement 0.25
        let high = BandRatios(theta: 1, alpha: 1, beta: 1)  // engagement 0.5
        #expect(calibrator.update(low, at: 0.25) == Scores())
        #expect(calibrator.update(high, at: 0.5) == Scores())
        #expect(calibrator.progress(at: 0.5) == 0.5)
        #expect(calibrator.update(low, at: 1.0) == Scores())
        let after = calibrator.update(high, at: 1.25)
        // baseline of ln 0.25, ln 0.5, ln 0.25: mean m, sd s; score of 0.5
        let values = [log(0.25), log(0.5), log(0.25)]
        let m = values.reduce(0, +) / 3
        let s = (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 2).squareRoot()
        let expected = 100 * 0.5 * erfc(-((log(0.5) - m) / s) / 2.0.squareRoot())
        #expect(abs(try #require(after.attention) - expected) < 1e-9)
        #expect(after.relaxation != nil)
        // θ/α was 1 throughout: no spread, so workload alone stays unavailable.
        #expect(after.workload == nil)
        #expect(calibrator.calibration?.workload == nil)
    }

    @Test("a saved calibration scores at once, and survives a JSON round trip")
    func savedCalibration() throws {
        let saved = Calibration(attention: Baseline(mean: 0, standardDeviation: 1, count: 5),
                                relaxation: Baseline(mean: 0, standardDeviation: 1, count: 5),
                                workload: Baseline(mean: 0, standardDeviation: 1, count: 5))
        let decoded = try JSONDecoder().decode(Calibration.self, from: JSONEncoder().encode(saved))
        #expect(decoded == saved)
        var calibrator = ScoreCalibrator(duration: 60, calibration: decoded)
        let scores = calibrator.update(BandRatios(theta: 1, alpha: 1, beta: 2), at: 0.25)
        #expect(abs(scores.attention! - 50) < 1e-12)  // engagement 1 → ln 1 = mean
        #expect(calibrator.progress(at: 0) == 1)
    }

    @Test("the smoother's time constant is in seconds")
    func smoothing() {
        var ema = ExponentialSmoother(timeConstant: 2, interval: 0.25)
        #expect(ema.update(10) == 10)
        let w = 1 - exp(-0.125)
        #expect(abs(ema.update(20)! - (10 + w * 10)) < 1e-12)
        #expect(abs(ema.update(nil)! - (10 + w * 10)) < 1e-12)  // missing keeps the value
        // After τ seconds of a step the response has covered 1 − 1/e of it.
        var step = ExponentialSmoother(timeConstant: 2, interval: 0.25)
        step.update(0)
        for _ in 0..<8 { step.update(1) }
        #expect(abs(step.value! - (1 - exp(-1))) < 1e-12)
    }
}

@Suite("Signal quality")
struct SignalQualityTests {
    let parameters = try! WelchParameters(sampleRate: 250)

    func assess(_ x: [Float], psd: [Double]? = nil, thresholds: SignalQualityThresholds = .init()) -> SignalQuality {
        x.withUnsafeBufferPointer { s in
            if let psd {
                return psd.withUnsafeBufferPointer { SignalQuality.assess(s.baseAddress!, stride: 1, count: s.count, psd: $0, parameters: parameters, thresholds: thresholds) }
            }
            return SignalQuality.assess(s.baseAddress!, stride: 1, count: s.count, psd: nil, parameters: parameters, thresholds: thresholds)
        }
    }

    @Test("a flat channel is flagged flat, a live one is not")
    func flat() {
        #expect(assess([Float](repeating: 3, count: 1000)).isFlat)
        let live = (0..<1000).map { Float(sin(Double($0) / 10) * 20) }
        let q = assess(live)
        #expect(!q.isFlat)
        #expect(abs(q.peakToPeak - 40) < 0.01)
        #expect(abs(q.rms - 20 / 2.0.squareRoot()) < 0.2)
    }

    @Test("railed samples are counted against the full scale")
    func railed() {
        var x = [Float](repeating: 0, count: 1000)
        for i in 0..<20 { x[i] = 187_000 }  // 2 % at > 95 % of 187,500 µV
        x[500] = 10
        let q = assess(x)
        #expect(q.railedFraction == 0.02)
        #expect(q.isRailed)
    }

    @Test("blink-sized excursions count as artifacts")
    func artifacts() {
        var x = (0..<1000).map { Float(sin(Double($0) / 5) * 10) }
        for i in 100..<150 { x[i] += 180 }  // a 50-sample blink
        let q = assess(x)
        #expect(q.artifactFraction == 0.05)
        #expect(q.hasArtifacts)
        #expect(!assess((0..<1000).map { Float(sin(Double($0) / 5) * 10) }).hasArtifacts)
    }

    @Test("line-noise ratio: power at mains ±2 Hz over 1–100 Hz")
    func lineNoise() throws {
        // A pure 50 Hz tone plus a weaker 10 Hz one: ratio = P50 / (P50 + P10) ≈ 0.8.
        let x = (0..<5000).map { i -> Float in
            let t = Double(i) / 250
            return Float(2 * sin(2 * .pi * 50 * t) + 1 * sin(2 * .pi * 10 * t))
        }
        let welch = WelchEstimator(parameters)
        var psd = [Double](repeating: 0, count: parameters.binCount)
        try x.withUnsafeBufferPointer { s in try psd.withUnsafeMutableBufferPointer { try welch.psd(samples: s, into: $0) } }
        let q = assess(x, psd: psd)
        #expect(abs(q.lineNoiseRatio! - 0.8) < 0.01)
        #expect(q.hasLineNoise)
    }
}
