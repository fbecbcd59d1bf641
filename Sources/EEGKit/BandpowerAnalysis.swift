import Foundation

/// What `eeg bandpower` (and the library call behind it) computes.
public struct BandpowerOptions: Sendable {
    /// The input's frames: their labels (and so their width) and sample rate.
    public var layout: StreamLayout
    /// Channel labels to analyse, in this order (default: all), matched as
    /// ``AnalysisOptions/channels`` is (``ChannelSelection``). Applied by
    /// ``BandpowerAnalyzer/analyze(_:options:)``; ``layout`` describes the input's frames.
    public var channels: [String]?
    /// Welch segment length in samples (default 2 s).
    public var segmentLength: Int?
    /// Samples shared by consecutive segments (default half a segment).
    public var overlap: Int?
    public var window: WindowFunction = .hann
    public var bands: BandSet = .standard
    /// Seconds per epoch for per-epoch results; `nil` for the whole input only.
    public var epochSeconds: Double?

    public init(layout: StreamLayout) {
        self.layout = layout
    }

    /// Samples per second per channel (the layout's).
    public var sampleRate: Double { layout.sampleRate }
    /// Samples per frame (the layout's).
    public var channelCount: Int { layout.channelCount }
}

/// Band powers of every channel and the ratios of their channel means.
public struct SpectralSummary: Sendable, Equatable {
    public struct Channel: Sendable, Equatable {
        public let label: String
        /// µV², in band order.
        public let absolute: [Double]
        /// Fractions of the sum of the configured bands, in band order.
        public let relative: [Double]
    }

    public let channels: [Channel]
    public let ratios: BandRatios
}

/// One epoch's summary and where it starts.
public struct EpochSummary: Sendable, Equatable {
    /// Seconds from the start of the input.
    public let start: Double
    public let summary: SpectralSummary
}

/// The result of a band-power analysis.
public struct BandpowerReport: Sendable, Equatable {
    public let sampleRate: Double
    /// Frames (samples per channel) read.
    public let frames: Int
    public let bands: BandSet
    public let whole: SpectralSummary
    /// Per-epoch summaries, when epochs were asked for (a final partial epoch is left out).
    public let epochs: [EpochSummary]?
}

/// Streams frames into whole-input and per-epoch Welch band powers.
///
/// Memory is bounded by one Welch segment plus one epoch of frames, whatever the
/// input's length; the whole-input PSD equals `scipy.signal.welch` over all samples.
public final class BandpowerAnalyzer {
    public let options: BandpowerOptions
    public let welch: WelchParameters
    private let estimator: WelchEstimator
    /// The shared window analysis: epochs go through it whole, the whole-input spectrum
    /// through its integration step.
    private let windowAnalyzer: WindowAnalyzer
    private let labels: [String]
    private let channels: Int
    private let bins: Int

    private var sums: [Double]            // per channel periodogram sums
    private var segments = 0
    private var window: [Float] = []      // frames from `windowStart` on, interleaved
    private var windowStart = 0           // absolute frame of window[0]
    private var nextSegment = 0           // absolute frame where the next segment starts
    private var frames = 0

    private let epochFrames: Int?
    private var epochBuffer: [Float] = []
    private var epochs: [EpochSummary] = []

    /// The longest Welch segment, in samples (16 M: 64 MiB of window and buffers per
    /// channel): a longer one, from a typed number or a file's rate, is refused before
    /// anything is allocated for it.
    public static let maxSegmentLength = 1 << 24

    /// The most samples held at once over all channels: channels × (2 × segment + epoch)
    /// ≤ 2^27 (window and sums about a segment each, plus an epoch; ≈ 0.75 GiB at most).
    /// 2 s segments at 16 kHz × 256 channels (16 M) fit, with a 4 s epoch too (33 M).
    public static let maxHeldSamples = 1 << 27

    public init(_ options: BandpowerOptions) throws(DSPError) {
        if let length = options.segmentLength, length > Self.maxSegmentLength {
            throw .invalidConfiguration("a Welch segment of \(length) samples is longer than the \(Self.maxSegmentLength) allowed; use a shorter --window-seconds or --nperseg")
        }
        welch = try WelchParameters(sampleRate: options.sampleRate, segmentLength: options.segmentLength,
                                    overlap: options.overlap, window: options.window)
        _ = try BandIntegrator(bands: options.bands, parameters: welch)
        guard options.channelCount >= 1 else { throw .invalidConfiguration("need at least one channel") }
        if let epoch = options.epochSeconds {
            // Seconds × a rate from a file or a flag: checked, never a trap.
            let frames = CheckedNumber.roundedInt(epoch * options.sampleRate, clampedTo: 0...Int(Int32.max))
            guard epoch > 0, frames >= welch.segmentLength else {
                throw .tooFewSamples(have: max(frames, 0), need: welch.segmentLength)
            }
            epochFrames = frames
        } else {
            epochFrames = nil
        }
        // The window, the per-channel sums (about one segment each) and an epoch are held
        // for every channel: refused before allocation above the documented bound.
        let held = options.channelCount.multipliedReportingOverflow(by: 2 * welch.segmentLength + (epochFrames ?? 0))
        guard !held.overflow, held.partialValue <= Self.maxHeldSamples else {
            throw .invalidConfiguration("\(options.channelCount) channels × (2 × a \(welch.segmentLength)-sample segment\(epochFrames.map { " + a \($0)-sample epoch" } ?? "")) "
                + "is more than the \(Self.maxHeldSamples) samples analysed at once; use a shorter --window-seconds/--nperseg or --epoch, or fewer channels")
        }
        self.options = options
        estimator = WelchEstimator(welch)
        channels = options.channelCount
        bins = welch.binCount
        labels = options.layout.labels
        // bandpower reports no quality: its windows skip those passes.
        windowAnalyzer = try WindowAnalyzer(welch: welch, bands: options.bands, channelCount: options.channelCount,
                                            frameCount: epochFrames ?? welch.segmentLength, judgesQuality: false)
        sums = [Double](repeating: 0, count: options.channelCount * welch.binCount)
    }

    /// Adds whole interleaved frames. Segments and epochs that lie inside `samples` are
    /// analysed where they are; only the frames a later segment or epoch still needs
    /// (less than one of each) are copied and carried to the next call.
    public func consume(_ samples: UnsafeBufferPointer<Float>) {
        let count = samples.count / channels
        precondition(count * channels == samples.count, "not a whole number of frames")
        let chunkStart = frames
        frames += count
        consumeSegments(samples, chunkStart: chunkStart)
        if let epochFrames { consumeEpochs(samples, epochFrames: epochFrames) }
    }

    /// The whole-input Welch: segments that began in the carried frames are completed
    /// with the head of this chunk, the rest are read in place.
    private func consumeSegments(_ samples: UnsafeBufferPointer<Float>, chunkStart: Int) {
        let segmentLength = welch.segmentLength, count = samples.count / channels
        if nextSegment < chunkStart {
            // Every segment starting in the carried frames ends within the next
            // segmentLength − 1 frames.
            let head = min(count, segmentLength - 1)
            window.append(contentsOf: UnsafeBufferPointer(rebasing: samples[0..<(head * channels)]))
            window.withUnsafeBufferPointer { w in
                accumulateSegments(from: w.baseAddress!, firstFrame: windowStart, end: min(chunkStart, chunkStart + head - segmentLength + 1))
            }
            if nextSegment < chunkStart {
                // The chunk was too short to finish them: carry all of it.
                window.append(contentsOf: UnsafeBufferPointer(rebasing: samples[(head * channels)...]))
                dropCarried(before: nextSegment)
                return
            }
        }
        accumulateSegments(from: samples.baseAddress!, firstFrame: chunkStart, end: frames - segmentLength + 1)
        // Carry the frames from the next segment's start on.
        window.removeAll(keepingCapacity: true)
        window.append(contentsOf: UnsafeBufferPointer(rebasing: samples[((nextSegment - chunkStart) * channels)...]))
        windowStart = nextSegment
    }

    /// Adds every segment starting before frame `end` (and at `nextSegment` or later) from
    /// frames held at `base`, whose first frame is `firstFrame`.
    private func accumulateSegments(from base: UnsafePointer<Float>, firstFrame: Int, end: Int) {
        sums.withUnsafeMutableBufferPointer { s in
            while nextSegment < end {
                let start = base + (nextSegment - firstFrame) * channels
                for c in 0..<channels {
                    estimator.accumulateSegment(start + c, stride: channels, into: s.baseAddress! + c * bins)
                }
                segments += 1
                nextSegment += welch.step
            }
        }
    }

    private func dropCarried(before frame: Int) {
        guard frame > windowStart else { return }
        window.removeFirst((frame - windowStart) * channels)
        windowStart = frame
    }

    /// Epochs inside `samples` are analysed in place; one that straddles chunks is
    /// gathered in `epochBuffer` first.
    private func consumeEpochs(_ samples: UnsafeBufferPointer<Float>, epochFrames: Int) {
        let epochSamples = epochFrames * channels
        var offset = 0
        while offset < samples.count {
            if epochBuffer.isEmpty, samples.count - offset >= epochSamples {
                summarize(epoch: UnsafeBufferPointer(rebasing: samples[offset..<(offset + epochSamples)]), epochFrames: epochFrames)
                offset += epochSamples
                continue
            }
            let take = min(epochSamples - epochBuffer.count, samples.count - offset)
            epochBuffer.append(contentsOf: UnsafeBufferPointer(rebasing: samples[offset..<(offset + take)]))
            offset += take
            if epochBuffer.count == epochSamples {
                epochBuffer.withUnsafeBufferPointer { summarize(epoch: $0, epochFrames: epochFrames) }
                epochBuffer.removeAll(keepingCapacity: true)
            }
        }
    }

    private func summarize(epoch: UnsafeBufferPointer<Float>, epochFrames: Int) {
        let start = Double(epochs.count * epochFrames) / options.sampleRate
        windowAnalyzer.analyze(raw: .interleaved(epoch.baseAddress!, channelCount: channels), filtered: nil)
        epochs.append(EpochSummary(start: start, summary: currentSummary()))
    }

    /// The whole input's spectra (per channel, `bins` each) through the window analysis's
    /// integration step.
    private func summary(psd: [Double]) -> SpectralSummary {
        for c in 0..<channels {
            let spectrum = windowAnalyzer.spectrum(channel: c)
            for k in 0..<bins { spectrum[k] = psd[c * bins + k] }
        }
        windowAnalyzer.integrate()
        return currentSummary()
    }

    private func currentSummary() -> SpectralSummary {
        let bandCount = windowAnalyzer.bandCount
        let a = windowAnalyzer.bandPowers, r = windowAnalyzer.relativePowers
        let result = (0..<channels).map { c in
            SpectralSummary.Channel(label: labels[c], absolute: Array(a[(c * bandCount)..<((c + 1) * bandCount)]),
                                    relative: Array(r[(c * bandCount)..<((c + 1) * bandCount)]))
        }
        return SpectralSummary(channels: result, ratios: windowAnalyzer.ratios)
    }

    /// The report for everything consumed so far.
    /// - Throws: ``DSPError/tooFewSamples(have:need:)`` when the input is shorter than one
    ///   Welch segment.
    public func finish() throws(DSPError) -> BandpowerReport {
        guard segments > 0 else { throw .tooFewSamples(have: frames, need: welch.segmentLength) }
        var psd = sums
        psd.withUnsafeMutableBufferPointer { p in
            for c in 0..<channels {
                let channel = p.baseAddress! + c * bins
                estimator.finish(sum: channel, segments: segments, into: channel)
            }
        }
        return BandpowerReport(sampleRate: welch.sampleRate, frames: frames, bands: windowAnalyzer.bands,
                               whole: summary(psd: psd), epochs: epochFrames == nil ? nil : epochs)
    }

    /// Reads `reader` to the end and analyses it: every channel, or those
    /// `options.channels` names.
    /// - Throws: ``ChannelSelection/MissingChannel`` for a label the input lacks, and the
    ///   reader's and the analyzer's errors.
    public static func analyze(_ reader: inout some FrameReader, options: BandpowerOptions) throws -> BandpowerReport {
        var options = options
        let width = options.channelCount
        var selection: [Int]?
        if let wanted = options.channels {
            let labels = options.layout.labels
            let indices = try ChannelSelection.indices(of: wanted, in: labels).get()
            options.layout.labels = indices.map { labels[$0] }
            selection = indices
        }
        let analyzer = try BandpowerAnalyzer(options)
        var chunk: [Float] = []
        var selected: [Float] = []
        while true {
            let frames = try reader.nextChunk(into: &chunk)
            if frames == 0 { break }
            guard let selection else {
                chunk.withUnsafeBufferPointer { analyzer.consume($0) }
                continue
            }
            selected.removeAll(keepingCapacity: true)
            for f in 0..<frames { for c in selection { selected.append(chunk[f * width + c]) } }
            selected.withUnsafeBufferPointer { analyzer.consume($0) }
        }
        return try analyzer.finish()
    }
}
