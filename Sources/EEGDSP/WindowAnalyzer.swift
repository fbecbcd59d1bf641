import Foundation

/// Where one window's samples are: sample `i` of channel `c` is at
/// `base[c × channelStride + i × frameStride]`. Interleaved frames (live, bandpower) and
/// one array per channel (analyze) are both such a layout.
public struct WindowSamples {
    public let base: UnsafePointer<Float>
    public let channelStride: Int
    public let frameStride: Int

    public init(base: UnsafePointer<Float>, channelStride: Int, frameStride: Int) {
        self.base = base
        self.channelStride = channelStride
        self.frameStride = frameStride
    }

    /// Frames of `channelCount` samples, one after another.
    public static func interleaved(_ base: UnsafePointer<Float>, channelCount: Int) -> WindowSamples {
        WindowSamples(base: base, channelStride: 1, frameStride: channelCount)
    }

    /// Each channel's `frameCount` samples contiguous, channel after channel.
    public static func planar(_ base: UnsafePointer<Float>, frameCount: Int) -> WindowSamples {
        WindowSamples(base: base, channelStride: frameCount, frameStride: 1)
    }

    func channel(_ c: Int) -> UnsafePointer<Float> { base + c * channelStride }
}

/// The one window analysis of EEGKit: a window of samples in, band powers, relative
/// powers, quality per channel, ratios and asymmetry out. Live (sliding windows, causal
/// filter), analyze (epochs, zero-phase filter) and bandpower (epochs, no filter) all
/// call it; they differ only in how they cut and filter windows.
///
/// Where the paths differ (the one place this is written down):
/// - live (``LiveAnalyzer``): 4 s windows sliding every 0.25 s; a causal filter run over
///   the stream (band-pass 1–45 Hz by default, optional notch); a gap in the sample index
///   restarts the window; ratios and scores smoothed (EMA); scores unavailable until the
///   calibration period ends (it cannot look back);
/// - analyze (`FileAnalyzer`): consecutive epochs; a zero-phase filter over each epoch
///   with 2 s margins that stop at an EDF+D gap (none by default); epochs across a gap
///   or lost samples rejected; calibration epochs held and scored once the baseline is
///   known; no smoothing;
/// - bandpower (`BandpowerAnalyzer`): consecutive epochs, never filtered, and the whole
///   input as one Welch average over all its segments (through ``integrate()``); no
///   scores.
/// With the same windows and no filter (or the same one) the three agree to float
/// precision (CrossPathTests).
///
/// Rules decided here once, for every path:
/// - band powers and the PSD come from the filtered window when there is a filter, the
///   raw one otherwise; so does the line-noise ratio (the hum that reaches the numbers);
/// - flat and railed are judged on the raw samples (a filter hides both);
/// - artifacts are judged on the filtered window, or without a filter on the raw window
///   minus its least-squares line (electrode drift is not an artifact); the RMS is the
///   filtered window's, or without a filter the raw window's around its mean;
/// - a window is usable (``isUsable``) when none of the metric channels is flat, railed or
///   has artifacts; only usable windows feed a score baseline.
///
/// Preallocated: after `init`, ``analyze(raw:filtered:)`` and ``integrate()`` do not
/// allocate, lock or do I/O. Results stay valid until the next call. One analyzer belongs
/// to one thread.
public final class WindowAnalyzer {
    public let welch: WelchParameters
    public let bands: BandSet
    public let channelCount: Int
    /// Samples per channel in every window.
    public let frameCount: Int
    public let bandCount: Int
    public let quality: SignalQualityThresholds
    public let asymmetryPair: ChannelPair?
    /// Whether ``analyze(raw:filtered:)`` judges signal quality (false: ``qualityPerChannel``
    /// stays at its defaults and ``isUsable`` is true, for callers that show no quality).
    public let judgesQuality: Bool
    private let estimator: WelchEstimator
    private let integrator: BandIntegrator
    private let ratioBands: RatioBands
    private let metricChannels: UnsafeMutablePointer<Int>
    private let metricChannelCount: Int
    private let spectra: UnsafeMutablePointer<Double>       // channels × bins
    private let powers: UnsafeMutablePointer<Double>        // channels × bands
    private let relative: UnsafeMutablePointer<Double>      // channels × bands
    private let qualities: UnsafeMutablePointer<SignalQuality>
    private let detrended: UnsafeMutablePointer<Float>      // one channel's window

    /// Ratios of the band powers averaged over the metric channels, from the last window.
    public private(set) var ratios = BandRatios()
    /// ln α(right) − ln α(left) for ``asymmetryPair``, from the last window.
    public private(set) var asymmetry: Double?

    /// - Parameters:
    ///   - frameCount: samples per channel in a window (at least one Welch segment).
    ///   - metricChannels: channels whose band powers are averaged for the ratios, and
    ///     whose quality decides ``isUsable`` (default: all).
    ///   - judgesQuality: false skips the quality passes over each window (bandpower
    ///     reports none); band powers, spectra and ratios are the same either way.
    /// - Throws: ``DSPError`` for a window shorter than a segment, bands the spectrum
    ///   cannot resolve, or a channel that does not exist.
    public init(welch: WelchParameters, bands: BandSet, channelCount: Int, frameCount: Int,
                metricChannels: [Int]? = nil, asymmetryPair: ChannelPair? = nil,
                quality: SignalQualityThresholds = SignalQualityThresholds(), judgesQuality: Bool = true) throws(DSPError) {
        // Every check comes before the first allocation: a throwing init leaks what it allocated.
        guard channelCount >= 1 else { throw .invalidConfiguration("the analyzer needs at least one channel") }
        let stream = 0..<channelCount
        let selected = metricChannels ?? Array(stream)
        for channel in selected where !stream.contains(channel) {
            throw .invalidConfiguration("metric channel \(channel + 1) does not exist (the stream has \(channelCount))")
        }
        if let pair = asymmetryPair, !stream.contains(pair.left) || !stream.contains(pair.right) {
            throw .invalidConfiguration("asymmetry pair refers to a channel the stream does not have")
        }
        guard frameCount >= welch.segmentLength else { throw .tooFewSamples(have: frameCount, need: welch.segmentLength) }
        integrator = try BandIntegrator(bands: bands, parameters: welch)
        self.welch = welch
        estimator = WelchEstimator(welch)
        self.bands = bands
        bandCount = bands.bands.count
        ratioBands = RatioBands(bands)
        self.channelCount = channelCount
        self.frameCount = frameCount
        self.quality = quality
        self.judgesQuality = judgesQuality
        self.asymmetryPair = asymmetryPair
        metricChannelCount = selected.count
        self.metricChannels = .allocate(capacity: max(selected.count, 1))
        self.metricChannels.initialize(from: selected, count: selected.count)
        spectra = Self.zeroed(channelCount * welch.binCount)
        powers = Self.zeroed(channelCount * bandCount)
        relative = Self.zeroed(channelCount * bandCount)
        qualities = .allocate(capacity: channelCount)
        qualities.initialize(repeating: SignalQuality(), count: channelCount)
        detrended = .allocate(capacity: frameCount)
        detrended.initialize(repeating: 0, count: frameCount)
    }

    private static func zeroed<T: BinaryFloatingPoint>(_ count: Int) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: count)
        p.initialize(repeating: 0, count: count)
        return p
    }

    deinit {
        metricChannels.deallocate()
        spectra.deallocate()
        powers.deallocate()
        relative.deallocate()
        qualities.deallocate()
        detrended.deallocate()
    }

    /// Analyses one window: ``frameCount`` samples per channel of `raw`, and of `filtered`
    /// when the caller filtered the window (`nil`: no filter). Fills every result.
    public func analyze(raw: WindowSamples, filtered: WindowSamples?) {
        let analysed = filtered ?? raw
        for c in 0..<channelCount {
            let psd = spectra + c * welch.binCount
            estimator.psd(analysed.channel(c), stride: analysed.frameStride, frames: frameCount, into: psd)
            guard judgesQuality else { continue }
            qualities[c] = judge(raw: raw, filtered: filtered, channel: c, psd: UnsafeBufferPointer(start: psd, count: welch.binCount))
        }
        integrate()
    }

    /// Band powers, relative powers, ratios and asymmetry from the spectra as they stand
    /// (after ``analyze(raw:filtered:)``, or after a caller wrote averaged spectra through
    /// ``spectrum(channel:)``, as bandpower's whole-input Welch does).
    public func integrate() {
        for c in 0..<channelCount {
            let out = UnsafeMutableBufferPointer(start: powers + c * bandCount, count: bandCount)
            integrator.absolutePowers(psd: UnsafeBufferPointer(start: spectra + c * welch.binCount, count: welch.binCount), into: out)
            BandIntegrator.relativePowers(UnsafeBufferPointer(out), into: UnsafeMutableBufferPointer(start: relative + c * bandCount, count: bandCount))
        }
        ratios = ratioBands.ratios(powers: bandPowers, bandCount: bandCount,
                                   channels: UnsafeBufferPointer(start: metricChannels, count: metricChannelCount))
        asymmetry = nil
        if let pair = asymmetryPair, let alpha = ratioBands.alpha {
            asymmetry = frontalAlphaAsymmetry(left: powers[pair.left * bandCount + alpha], right: powers[pair.right * bandCount + alpha])
        }
    }

    /// One channel's quality under the rules in the type's documentation.
    private func judge(raw: WindowSamples, filtered: WindowSamples?, channel c: Int, psd: UnsafeBufferPointer<Double>) -> SignalQuality {
        guard let filtered else {
            return SignalQuality.assessAroundTrend(raw.channel(c), stride: raw.frameStride, count: frameCount, psd: psd,
                                                   parameters: welch, thresholds: quality, detrended: detrended)
        }
        var q = SignalQuality.assess(raw.channel(c), stride: raw.frameStride, count: frameCount, psd: psd,
                                     parameters: welch, thresholds: quality)
        let artifacts = SignalQuality.assess(filtered.channel(c), stride: filtered.frameStride, count: frameCount, psd: nil,
                                             parameters: welch, thresholds: quality)
        q.rms = artifacts.rms
        q.artifactFraction = artifacts.artifactFraction
        q.hasArtifacts = artifacts.hasArtifacts
        return q
    }

    /// Absolute band powers of the last window, µV², `[channel × bandCount + band]`.
    public var bandPowers: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: powers, count: channelCount * bandCount) }
    /// Band powers relative to the sum of the configured bands, laid out as ``bandPowers``.
    public var relativePowers: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: relative, count: channelCount * bandCount) }
    /// Quality of each channel in the last window.
    public var qualityPerChannel: UnsafeBufferPointer<SignalQuality> { UnsafeBufferPointer(start: qualities, count: channelCount) }

    /// One channel's PSD of the last window, µV²/Hz, ``WelchParameters/binCount`` values;
    /// writable so a caller with its own spectrum (a whole-input Welch) can integrate it.
    public func spectrum(channel c: Int) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(start: spectra + c * welch.binCount, count: welch.binCount)
    }

    /// Whether no metric channel is flat, railed or has artifacts in the last window: the
    /// windows a score baseline is built from.
    public var isUsable: Bool {
        for i in 0..<metricChannelCount where !qualities[metricChannels[i]].isClean { return false }
        return true
    }
}

extension SignalQuality {
    /// Neither flat, railed nor with artifacts: what rejects an epoch and keeps a window
    /// out of a baseline (line noise alone does not).
    public var isClean: Bool { !(isFlat || isRailed || hasArtifacts) }
}
