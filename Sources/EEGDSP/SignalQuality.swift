/// Thresholds for ``SignalQuality``. Defaults suit scalp EEG in µV from a 24-bit board at
/// gain 24 (OpenBCI Cyton: ±187,500 µV full scale).
public struct SignalQualityThresholds: Sendable, Equatable {
    /// A channel whose peak-to-peak amplitude over the window is below this is flat
    /// (disconnected or shorted input). µV.
    public var flatPeakToPeak: Double = 1
    /// The ADC's full scale, µV; samples at or beyond `railedLevel` of it are railed.
    public var fullScale: Double = 187_500
    public var railedLevel: Double = 0.95
    /// Fraction of railed samples above which the channel is flagged railed.
    public var railedFractionLimit: Double = 0.01
    /// Mains frequency, Hz (50 in most of the world, 60 in the Americas).
    public var lineFrequency: Double = 50
    /// Line-noise ratio above which the channel is flagged noisy.
    public var lineNoiseLimit: Double = 0.5
    /// Deviation beyond which a sample is an artifact (blinks reach 100–200 µV at frontal
    /// sites), µV: from the filtered window's mean, or without a filter from the raw
    /// window's straight-line trend (``WindowAnalyzer``).
    public var artifactAmplitude: Double = 100
    /// Fraction of artifact samples above which the window is flagged.
    public var artifactFractionLimit: Double = 0.01

    public init() {}
}

/// How usable one channel's signal is over a window. Definitions:
///
/// - `peakToPeak`: max − min of the raw samples, µV; `isFlat` when below
///   ``SignalQualityThresholds/flatPeakToPeak``.
/// - `rms`: root mean square after removing the window's mean, µV.
/// - `railedFraction`: share of samples with |x| ≥ railedLevel × fullScale; `isRailed`
///   above ``SignalQualityThresholds/railedFractionLimit``.
/// - `lineNoiseRatio`: power within ±2 Hz of the mains frequency over broadband power
///   from 1 Hz to min(Nyquist, 2 × mains) Hz (which contains it), from the window's PSD;
///   `nil` when the mains band is above Nyquist. `hasLineNoise` above the limit.
/// - `artifactFraction`: share of samples deviating from the window's mean by more than
///   ``SignalQualityThresholds/artifactAmplitude``; `hasArtifacts` above the limit.
public struct SignalQuality: Sendable, Equatable {
    public var peakToPeak: Double = 0
    public var rms: Double = 0
    public var railedFraction: Double = 0
    public var lineNoiseRatio: Double?
    public var artifactFraction: Double = 0
    public var isFlat = false
    public var isRailed = false
    public var hasLineNoise = false
    public var hasArtifacts = false

    public init() {}

    /// Good when none of the flags is raised.
    public var isGood: Bool { !(isFlat || isRailed || hasLineNoise || hasArtifacts) }

    /// Assesses `count` samples spaced `stride` floats apart, with the window's PSD for the
    /// line-noise ratio. Does not allocate.
    public static func assess(
        _ start: UnsafePointer<Float>, stride: Int, count: Int,
        psd: UnsafeBufferPointer<Double>?, parameters: WelchParameters,
        thresholds: SignalQualityThresholds
    ) -> SignalQuality {
        var q = SignalQuality()
        guard count > 0 else { return q }
        var minimum = Double.infinity, maximum = -Double.infinity, sum = 0.0
        var railed = 0
        let railLevel = thresholds.railedLevel * thresholds.fullScale
        for i in 0..<count {
            let x = Double(start[i * stride])
            minimum = min(minimum, x)
            maximum = max(maximum, x)
            sum += x
            if abs(x) >= railLevel { railed += 1 }
        }
        let mean = sum / Double(count)
        var squares = 0.0
        var artifacts = 0
        for i in 0..<count {
            let d = Double(start[i * stride]) - mean
            squares += d * d
            if abs(d) > thresholds.artifactAmplitude { artifacts += 1 }
        }
        q.judge(peakToPeak: maximum - minimum, squares: squares, railed: railed, artifacts: artifacts, count: count, thresholds: thresholds)
        if let psd {
            q.lineNoiseRatio = lineNoiseRatio(psd, parameters: parameters, mains: thresholds.lineFrequency)
            q.hasLineNoise = (q.lineNoiseRatio ?? 0) > thresholds.lineNoiseLimit
        }
        return q
    }

    /// The quality of a window analysed without a filter, under ``WindowAnalyzer``'s
    /// rules: flat, railed, RMS (around the mean) and line noise from the raw samples and
    /// `psd`; artifacts from the samples minus their least-squares line, rounded to float
    /// (`detrended`, `count` floats of scratch). Equal, bit for bit, to ``assess(_:stride:count:psd:parameters:thresholds:)``
    /// of the raw samples with the artifacts of ``removeLinearTrend(_:stride:count:into:)``'s
    /// output, in two passes over the raw samples (and one over the detrended) instead of six.
    /// Does not allocate.
    public static func assessAroundTrend(
        _ start: UnsafePointer<Float>, stride: Int, count n: Int, psd: UnsafeBufferPointer<Double>,
        parameters: WelchParameters, thresholds: SignalQualityThresholds, detrended: UnsafeMutablePointer<Float>
    ) -> SignalQuality {
        // Contiguous samples (analyze's planar epochs) get their own copy of the passes,
        // with constant-stride loads.
        stride == 1
            ? aroundTrend(start, stride: 1, count: n, psd: psd, parameters: parameters, thresholds: thresholds, detrended: detrended)
            : aroundTrend(start, stride: stride, count: n, psd: psd, parameters: parameters, thresholds: thresholds, detrended: detrended)
    }

    @inline(__always)
    private static func aroundTrend(
        _ start: UnsafePointer<Float>, stride: Int, count n: Int, psd: UnsafeBufferPointer<Double>,
        parameters: WelchParameters, thresholds: SignalQualityThresholds, detrended: UnsafeMutablePointer<Float>
    ) -> SignalQuality {
        var q = SignalQuality()
        guard n > 0 else { return q }
        // Pass 1: extremes, sum, railed count and the line's Σt·x, Σt² (the same sums, in
        // the same order, as `assess` and `Trend`).
        var minimum = Double.infinity, maximum = -Double.infinity, sum = 0.0, sxy = 0.0
        var railed = 0
        let railLevel = thresholds.railedLevel * thresholds.fullScale
        let centre = Double(n - 1) / 2
        var t = -centre  // i − centre, stepped exactly (halves and integers)
        for i in 0..<n {
            let x = Double(start[i &* stride])
            minimum = min(minimum, x)
            maximum = max(maximum, x)
            sum += x
            if abs(x) >= railLevel { railed &+= 1 }
            sxy += t * x
            t += 1
        }
        let sxx = trendSquares(count: n, centre: centre)
        let mean = sum / Double(n)
        let slope = sxx > 0 ? sxy / sxx : 0
        // Pass 2: squares around the mean, and the detrended samples with their sum.
        var squares = 0.0, detrendedSum = 0.0
        t = -centre
        for i in 0..<n {
            let x = Double(start[i &* stride])
            let d = x - mean
            squares += d * d
            let r = Float(x - (mean + slope * t))
            detrended[i] = r
            detrendedSum += Double(r)
            t += 1
        }
        // Pass 3: artifacts, around the detrended samples' own mean (as `assess` of them).
        let detrendedMean = detrendedSum / Double(n)
        var artifacts = 0
        for i in 0..<n where abs(Double(detrended[i]) - detrendedMean) > thresholds.artifactAmplitude { artifacts &+= 1 }
        q.judge(peakToPeak: maximum - minimum, squares: squares, railed: railed, artifacts: artifacts, count: n, thresholds: thresholds)
        q.lineNoiseRatio = lineNoiseRatio(psd, parameters: parameters, mains: thresholds.lineFrequency)
        q.hasLineNoise = (q.lineNoiseRatio ?? 0) > thresholds.lineNoiseLimit
        return q
    }

    /// The measures and verdicts both assessments derive from their sums over `count`
    /// samples: one place for the thresholds' rules.
    private mutating func judge(peakToPeak: Double, squares: Double, railed: Int, artifacts: Int, count: Int,
                                thresholds: SignalQualityThresholds) {
        self.peakToPeak = peakToPeak
        rms = (squares / Double(count)).squareRoot()
        railedFraction = Double(railed) / Double(count)
        artifactFraction = Double(artifacts) / Double(count)
        isFlat = peakToPeak < thresholds.flatPeakToPeak
        isRailed = railedFraction > thresholds.railedFractionLimit
        hasArtifacts = artifactFraction > thresholds.artifactFractionLimit
    }

    /// Σ(i − centre)² over `n` samples, as a running sum computes it. Up to 100,000
    /// samples every term and partial sum is a multiple of ¼ below 2^47, so the running
    /// sum is exact and equals n(n² − 1)/12, itself exact; beyond, the running sum.
    static func trendSquares(count n: Int, centre: Double) -> Double {
        if n <= 100_000 { return Double(n) * (Double(n) * Double(n) - 1) / 12 }
        var sxx = 0.0, t = -centre
        for _ in 0..<n { sxx += t * t; t += 1 }
        return sxx
    }

    static func lineNoiseRatio(_ psd: UnsafeBufferPointer<Double>, parameters: WelchParameters, mains: Double) -> Double? {
        let nyquist = parameters.sampleRate / 2
        guard mains + 2 <= nyquist else { return nil }
        let top = min(nyquist, 2 * mains)
        var line = 0.0, broad = 0.0
        // f = k · spacing, as ``WelchParameters/frequency(ofBin:)`` computes it; ascending,
        // so the scan can stop past both bands.
        let spacing = parameters.frequency(ofBin: 1), last = max(top, mains + 2)
        for k in 0..<psd.count {
            let f = Double(k) * spacing
            if f > last { break }
            if f >= 1 && f <= top { broad += psd[k] }
            if f >= mains - 2 && f <= mains + 2 { line += psd[k] }
        }
        return broad > 0 ? line / broad : nil
    }
}
