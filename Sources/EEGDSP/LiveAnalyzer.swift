import EEGCore
import Foundation

/// A pair of channels for frontal alpha asymmetry, e.g. F3 (left) and F4 (right).
public struct ChannelPair: Sendable, Equatable {
    public let left: Int
    public let right: Int
    public init(left: Int, right: Int) {
        self.left = left
        self.right = right
    }
}

/// How a ``LiveAnalyzer`` works; the defaults are DESIGN.md's live settings.
public struct LiveAnalyzerConfiguration: Sendable {
    /// The stream analysed: its rate and width (and, through ``quality``, its full scale).
    public var layout: StreamLayout
    /// Samples per second per channel, from ``layout``.
    public var sampleRate: Double { layout.sampleRate }
    /// Samples per frame, from ``layout``.
    public var channelCount: Int { layout.channelCount }
    /// Seconds of signal each update analyses (default 4).
    public var windowSeconds: Double = 4
    /// Seconds between updates (default 0.25).
    public var hopSeconds: Double = 0.25
    /// Welch segment length in samples (default 2 s).
    public var segmentLength: Int?
    public var window: WindowFunction = .hann
    public var bands: BandSet = .standard
    /// Channels whose band powers are averaged for the ratios (default: all).
    public var metricChannels: [Int]?
    public var asymmetryPair: ChannelPair?
    /// Seconds of signal used for the score baseline when no saved calibration is given.
    public var calibrationSeconds: Double = 60
    public var calibration: Calibration?
    /// Time constant of the smoothing of ratios and scores, seconds (0: none).
    public var smoothingSeconds: Double = 2
    /// Causal Butterworth band-pass (order 4) applied before analysis; `nil` for none.
    public var bandPass: ClosedRange<Double>? = 1...45
    /// Causal notch (Q 30) at this mains frequency before analysis; `nil` for none.
    public var notchFrequency: Double?
    public var quality = SignalQualityThresholds()

    /// A configuration for streams of `layout`: its rate, width and full scale (for
    /// railed-signal detection); everything else at its default.
    public init(layout: StreamLayout) {
        self.layout = layout
        quality.fullScale = layout.fullScale
    }

    /// A stream of `channelCount` channels named `ch1…chN` at the default full scale
    /// (for tests and callers without a source's layout).
    public init(sampleRate: Double, channelCount: Int) {
        self.init(layout: StreamLayout(labels: StreamLayout.numberedLabels(channelCount), sampleRate: sampleRate,
                                       fullScale: SignalQualityThresholds().fullScale, source: "samples"))
    }
}

/// One update of a ``LiveAnalyzer``. The buffers belong to the analyzer and are valid only
/// during the callback that receives this value (copy what you keep).
public struct LiveAnalysis {
    /// Seconds of signal since the stream started, at the end of this window.
    public let time: Double
    /// Device sample index of the window's last frame.
    public let sampleIndex: Int64
    public let channelCount: Int
    public let bandCount: Int
    /// Absolute band powers, µV², `[channel × bandCount + band]`.
    public let bandPowers: UnsafeBufferPointer<Double>
    /// Band powers relative to the sum of the configured bands.
    public let relativePowers: UnsafeBufferPointer<Double>
    /// One entry per channel.
    public let quality: UnsafeBufferPointer<SignalQuality>
    /// Ratios of this window alone.
    public let ratios: BandRatios
    /// Ratios smoothed with the configured time constant.
    public let smoothedRatios: BandRatios
    /// ln α(right) − ln α(left) for the configured pair, this window.
    public let asymmetry: Double?
    /// Smoothed 0–100 scores; `nil` until calibrated.
    public let scores: Scores
    /// 0…1 while the baseline is being collected, then 1.
    public let calibrationProgress: Double
    /// Frames lost so far: the jumps in the device's sample index since the first frame
    /// analysed (a ring drop is one such jump; it is counted once). Frames lost before
    /// the first frame, or after the last, are the session's to report.
    public let droppedFrames: Int

    public func bandPower(channel: Int, band: Int) -> Double { bandPowers[channel * bandCount + band] }

    /// The metrics as a user watches them: ratios and scores smoothed, the asymmetry of
    /// this window. Read by metric (``Metric``), so outputs walk the metric table.
    public var shownMetrics: MetricValues { MetricValues(ratios: smoothedRatios, asymmetry: asymmetry, scores: scores) }
}

/// Computes band powers, ratios, scores and signal quality over a sliding window, every
/// hop, from frames as they arrive (live from a ``FrameRing/Consumer``, or pushed by a
/// replay).
///
/// What is live's own is the cutting: a causal filter over the stream, mirrored
/// histories, a window every hop, smoothing and a baseline that cannot look back. Each
/// window's numbers come from the shared ``WindowAnalyzer``, as analyze's and
/// bandpower's do.
///
/// After `init` nothing here allocates, locks, logs or does I/O: histories, PSD and
/// result buffers are preallocated, and FFT plans come from the cache. One analyzer
/// belongs to one thread. A gap in the sample index (or a ring drop) restarts the window
/// so no PSD spans a discontinuity.
public final class LiveAnalyzer {
    public let configuration: LiveAnalyzerConfiguration
    public let welch: WelchParameters
    /// The window analysis every update runs (shared rules with analyze and bandpower).
    private let window: WindowAnalyzer
    private let filter: CausalFilter?

    private let channels: Int
    private let bandCount: Int
    private let windowFrames: Int
    // Mirrored histories: frame i is stored at slot i and slot i + windowFrames, so the
    // latest window is always contiguous at [position, position + windowFrames).
    private let rawHistory: UnsafeMutablePointer<Float>
    private let filteredHistory: UnsafeMutablePointer<Float>
    private let staging: UnsafeMutablePointer<Float>
    private let stagingFrames: Int

    private var position = 0          // next slot to write, 0..<windowFrames
    private var filled = 0            // contiguous frames in the window, ≤ windowFrames
    private var framesSinceStart = 0  // contiguous frames since the last (re)start
    private var hopsEmitted = 0
    private var firstSampleIndex: Int64?
    private var expectedSampleIndex: Int64 = 0
    private var lostFrames = 0
    private var calibrator: ScoreCalibrator
    /// One smoother per row of the metric table, `smoothers[metric.index]`.
    private var smoothers: [ExponentialSmoother]

    public init(_ configuration: LiveAnalyzerConfiguration) throws(DSPError) {
        let c = configuration
        welch = try WelchParameters(sampleRate: c.sampleRate, segmentLength: c.segmentLength, window: c.window)
        windowFrames = Int((c.windowSeconds * c.sampleRate).rounded())
        // Every check comes before the first allocation here: a throwing init leaks what
        // it allocated (the window analysis frees its own).
        window = try WindowAnalyzer(welch: welch, bands: c.bands, channelCount: c.channelCount, frameCount: windowFrames,
                                    metricChannels: c.metricChannels, asymmetryPair: c.asymmetryPair, quality: c.quality)
        guard c.hopSeconds > 0, c.hopSeconds.isFinite else { throw .invalidConfiguration("hop must be a positive number of seconds") }
        self.configuration = c
        channels = c.channelCount
        bandCount = c.bands.bands.count
        filter = try AnalysisFilter.design(bandPass: c.bandPass, notch: c.notchFrequency, sampleRate: c.sampleRate)
            .map { CausalFilter($0, channelCount: c.channelCount) }

        rawHistory = .allocate(capacity: 2 * windowFrames * channels)
        rawHistory.initialize(repeating: 0, count: 2 * windowFrames * channels)
        filteredHistory = .allocate(capacity: 2 * windowFrames * channels)
        filteredHistory.initialize(repeating: 0, count: 2 * windowFrames * channels)
        stagingFrames = 256
        staging = .allocate(capacity: stagingFrames * channels)
        staging.initialize(repeating: 0, count: stagingFrames * channels)
        calibrator = ScoreCalibrator(duration: c.calibrationSeconds, calibration: c.calibration)
        smoothers = Array(repeating: ExponentialSmoother(timeConstant: c.smoothingSeconds, interval: c.hopSeconds), count: Metric.all.count)
    }

    deinit {
        rawHistory.deallocate()
        filteredHistory.deallocate()
        staging.deallocate()
    }

    /// Frames of signal one update analyses.
    public var windowFrameCount: Int { windowFrames }

    /// Frames still to come before the next update is emitted (at least 1), counting
    /// from the last frame analysed: a live consumer can sleep until that many have
    /// arrived. A gap only makes the update later (the window restarts).
    public var framesUntilNextUpdate: Int { max(1, nextUpdateAt() - framesSinceStart) }

    /// Reads everything the consumer has and analyses it, calling `onUpdate` for every
    /// completed hop. Returns the number of frames read.
    @discardableResult
    public func drain(_ consumer: FrameRing.Consumer, onUpdate: (LiveAnalysis) -> Void) -> Int {
        precondition(consumer.channelCount == channels, "ring has \(consumer.channelCount) channels, analyzer expects \(channels)")
        var total = 0
        while true {
            let read = consumer.read(upTo: consumer.capacity) { frames in analyze(frames, onUpdate: onUpdate) }
            if read == 0 { return total }
            total += read
        }
    }

    /// Analyses frames read from a ring in place (for callers that read with their own
    /// limits), honouring the ring's drop counts.
    public func analyze(_ frames: FrameRing.ReadableFrames, onUpdate: (LiveAnalysis) -> Void) {
        precondition(frames.channelCount == channels, "frames have \(frames.channelCount) channels, analyzer expects \(channels)")
        ingest(frames.first.samples, frames.first.sampleIndices, frames.first.droppedBefore, onUpdate)
        ingest(frames.second.samples, frames.second.sampleIndices, frames.second.droppedBefore, onUpdate)
    }

    /// Analyses frames with their device sample indices and ring drop counts (from a
    /// ring, or a copy of ring frames such as a recorder's stored values). Gaps in the
    /// indices restart the window, as in ``drain(_:onUpdate:)``.
    public func analyze(
        samples: UnsafeBufferPointer<Float>, sampleIndices: UnsafeBufferPointer<Int64>,
        droppedBefore: UnsafeBufferPointer<UInt32>, onUpdate: (LiveAnalysis) -> Void
    ) {
        precondition(samples.count == sampleIndices.count * channels && droppedBefore.count == sampleIndices.count, "mismatched buffers")
        ingest(samples, sampleIndices, droppedBefore, onUpdate)
    }

    /// Analyses frames handed over directly (replay, tests): `samples` holds whole
    /// interleaved frames whose sample indices start at `firstSampleIndex` and increase by
    /// one.
    public func process(_ samples: UnsafeBufferPointer<Float>, firstSampleIndex: Int64, onUpdate: (LiveAnalysis) -> Void) {
        let frames = samples.count / channels
        precondition(frames * channels == samples.count, "not a whole number of frames")
        var offset = 0
        while offset < frames {
            let count = min(stagingFrames, frames - offset)
            let chunk = UnsafeBufferPointer(rebasing: samples[(offset * channels)..<((offset + count) * channels)])
            ingestContiguous(chunk, firstIndex: firstSampleIndex + Int64(offset), onUpdate)
            offset += count
        }
    }

    private func ingest(
        _ samples: UnsafeBufferPointer<Float>, _ indices: UnsafeBufferPointer<Int64>,
        _ dropped: UnsafeBufferPointer<UInt32>, _ onUpdate: (LiveAnalysis) -> Void
    ) {
        var start = 0
        while start < indices.count {
            // Split at gaps so each piece has consecutive indices.
            var end = start + 1
            while end < indices.count, dropped[end] == 0, indices[end] == indices[end - 1] + 1 { end += 1 }
            // Ring drops are not added here: a drop makes the sample index jump, and the
            // jump is what ingestContiguous counts (once), exactly as a replay of the
            // recording, which sees only the jump, does.
            let piece = UnsafeBufferPointer(rebasing: samples[(start * channels)..<(end * channels)])
            var offset = 0
            while offset < end - start {
                let count = min(stagingFrames, end - start - offset)
                let chunk = UnsafeBufferPointer(rebasing: piece[(offset * channels)..<((offset + count) * channels)])
                ingestContiguous(chunk, firstIndex: indices[start] + Int64(offset), onUpdate)
                offset += count
            }
            start = end
        }
    }

    private func ingestContiguous(_ chunk: UnsafeBufferPointer<Float>, firstIndex: Int64, _ onUpdate: (LiveAnalysis) -> Void) {
        let frames = chunk.count / channels
        if firstSampleIndex == nil {
            firstSampleIndex = firstIndex
        } else if firstIndex != expectedSampleIndex {
            // A discontinuity: count what is missing, restart the window.
            let missing = firstIndex - expectedSampleIndex
            if missing > 0 { lostFrames += Int(missing) }
            filled = 0
            framesSinceStart = 0
            hopsEmitted = 0
        }
        expectedSampleIndex = firstIndex + Int64(frames)

        // Filter a copy of the chunk; the raw samples are kept for flat/railed checks.
        staging.update(from: chunk.baseAddress!, count: chunk.count)
        filter?.process(UnsafeMutableBufferPointer(start: staging, count: chunk.count))

        var i = 0
        while i < frames {
            // Copy frames up to the next update boundary, then emit.
            let untilUpdate = nextUpdateAt() - framesSinceStart
            let count = min(frames - i, max(untilUpdate, 1))
            for f in i..<(i + count) {
                let source = chunk.baseAddress! + f * channels
                let filtered = staging + f * channels
                let a = position * channels, b = (position + windowFrames) * channels
                (rawHistory + a).update(from: source, count: channels)
                (rawHistory + b).update(from: source, count: channels)
                (filteredHistory + a).update(from: filtered, count: channels)
                (filteredHistory + b).update(from: filtered, count: channels)
                position += 1
                if position == windowFrames { position = 0 }
            }
            filled = min(filled + count, windowFrames)
            framesSinceStart += count
            i += count
            if framesSinceStart == nextUpdateAt() && filled == windowFrames {
                emit(lastIndex: firstIndex + Int64(i - 1), onUpdate)
                hopsEmitted += 1
            }
        }
    }

    /// Frames since (re)start at which update number `hopsEmitted` is due: the first
    /// when the window is full, then every hop (rounded per update so non-integer hops,
    /// e.g. 62.5 frames, do not drift).
    private func nextUpdateAt() -> Int {
        windowFrames + Int((Double(hopsEmitted) * configuration.hopSeconds * configuration.sampleRate).rounded())
    }

    private func emit(lastIndex: Int64, _ onUpdate: (LiveAnalysis) -> Void) {
        let raw = rawHistory + position * channels
        let filtered = filteredHistory + position * channels
        window.analyze(raw: .interleaved(raw, channelCount: channels),
                       filtered: filter == nil ? nil : .interleaved(filtered, channelCount: channels))
        let ratios = window.ratios
        let time = Double(lastIndex - (firstSampleIndex ?? 0) + 1) / configuration.sampleRate
        let rawScores = calibrator.update(ratios, at: time, usable: window.isUsable)
        let shown = smooth(MetricValues(ratios: ratios, asymmetry: window.asymmetry, scores: rawScores))
        onUpdate(LiveAnalysis(
            time: time, sampleIndex: lastIndex, channelCount: channels, bandCount: bandCount,
            bandPowers: window.bandPowers, relativePowers: window.relativePowers, quality: window.qualityPerChannel,
            ratios: ratios, smoothedRatios: shown.ratios, asymmetry: window.asymmetry, scores: shown.scores,
            calibrationProgress: calibrator.progress(at: time), droppedFrames: lostFrames))
    }

    /// Smooths every metric of the table with its own smoother. A ratio missing from one
    /// window keeps its smoothed value; a score that is unavailable stays unavailable
    /// (never a held number). The asymmetry is shown per window, unsmoothed.
    private func smooth(_ values: MetricValues) -> MetricValues {
        var shown = values
        for metric in Metric.all where metric.requirement != .channelPair {
            let smoothed = smoothers[metric.index].update(values[metric])
            shown[metric] = metric.requirement == .calibration && values[metric] == nil ? nil : smoothed
        }
        return shown
    }
}
