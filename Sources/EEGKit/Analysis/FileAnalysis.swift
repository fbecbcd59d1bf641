import Foundation

/// What `eeg analyze` computes, per file.
public struct AnalysisOptions: Sendable {
    public var epochSeconds = 4.0
    /// Welch segment length within an epoch.
    public var segmentSeconds = 2.0
    public var bands: BandSet = .standard
    /// Channel labels to analyse (default: all).
    public var channels: [String]?
    /// Zero-phase Butterworth band-pass (order 4), applied offline.
    public var bandPass: ClosedRange<Double>?
    /// Zero-phase notch at mains (Q 30).
    public var notchFrequency: Double?
    /// Frontal alpha asymmetry pair: (left, right) labels, e.g. ("F3", "F4").
    public var asymmetryPair: (left: String, right: String)?
    /// Seconds at the start that calibrate the scores, unless `calibration` is given.
    public var calibrationSeconds = 60.0
    public var calibration: Calibration?
    public var quality = SignalQualityThresholds()
    /// For raw float32 input.
    public var rawSampleRate: Double?
    public var rawChannelCount: Int?
    public var rawLabels: [String]?
    /// Keep each epoch's mean spectrum (for the report's spectrogram).
    public var keepSpectra = true
    /// Keep every epoch in the returned ``FileAnalysis`` (for a report or a caller that
    /// wants them). Off, epochs are only handed to `onEpoch` as they are computed and
    /// memory does not grow with the file: the summary keeps eight numbers per epoch.
    public var keepEpochs = true

    public init() {}
}

/// One channel in one epoch.
public struct ChannelEpoch: Sendable, Equatable {
    public let label: String
    /// µV², in band order.
    public let absolute: [Double]
    public let relative: [Double]
    public let quality: SignalQuality
}

/// One epoch's results. Rejected epochs (artifacts, flat or railed channels, lost
/// samples) are kept and marked, never dropped.
public struct EpochResult: Sendable {
    public let index: Int
    /// Seconds from the start of the file.
    public let start: Double
    public let channels: [ChannelEpoch]
    public let ratios: BandRatios
    public let asymmetry: Double?
    public var scores: Scores
    public let annotations: [Annotation]
    public let rejectionReasons: [String]
    public var rejected: Bool { !rejectionReasons.isEmpty }
    /// Mean PSD over the analysed channels, µV²/Hz, for bins 0…`spectrumBins` (the
    /// report's spectrogram).
    public let spectrum: [Double]
}

/// Means and medians over a file's good epochs.
public struct AnalysisSummary: Sendable {
    public let epochs: Int
    public let goodEpochs: Int
    public var percentGood: Double { epochs == 0 ? 0 : 100 * Double(goodEpochs) / Double(epochs) }
    /// Keys: engagement, theta_beta, relaxation, workload, attention, relaxation_score,
    /// workload_score, asymmetry.
    public let means: [(String, Double?)]
    public let medians: [(String, Double?)]
    /// Mean absolute band power per channel over good epochs, µV².
    public let bandPowers: [(label: String, values: [Double])]
    /// Mean attention score per minute of recording (nil when unavailable).
    public let attentionPerMinute: [Double?]
}

/// The analysis of one file.
public struct FileAnalysis: Sendable {
    public let path: String
    public let sampleRate: Double
    public let duration: Double
    public let labels: [String]
    public let bands: BandSet
    public let epochs: [EpochResult]
    public let summary: AnalysisSummary
    public let calibration: Calibration?
    /// The file's annotations, the first ``FileAnalyzer/keptAnnotations`` of them.
    public let annotations: [Annotation]
    /// Annotations in the file beyond those kept in ``annotations``.
    public var omittedAnnotations = 0
    /// EDF+D: where time jumps between records (never stitched: epochs across one are
    /// rejected, filters do not reach over one).
    public var gaps: [EDFReader.RecordGap] = []
    /// Frequency of each spectrum bin, Hz.
    public let spectrumFrequencies: [Double]
    /// Whole-file PSD per channel (mean of the good epochs' PSDs), µV²/Hz.
    public let channelSpectra: [[Double]]
}

/// What is known about a file before its epochs.
public struct FileInfo: Sendable {
    public let path: String
    public let sampleRate: Double
    public let duration: Double
    public let labels: [String]
    public let bands: BandSet
    /// Whole epochs the file holds.
    public let epochCount: Int
}

/// Running means, medians (from the good epochs' values only) and per-minute attention.
struct SummaryAccumulator {
    static let names = ["engagement", "theta_beta", "relaxation", "workload", "attention", "relaxation_score", "workload_score", "asymmetry"]
    var epochs = 0
    var good = 0
    var values = [[Double]](repeating: [], count: 8)
    var bandSums: [[Double]]
    var minuteSums: [Double] = []
    var minuteCounts: [Int] = []
    var lastMinute = -1

    init(channels: Int, bands: Int) { bandSums = Array(repeating: Array(repeating: 0, count: bands), count: channels) }

    /// Attention-by-minute covers at most this many minutes (about 69 days): an EDF+D
    /// file's timeline may be long while holding little signal.
    static let maxMinutes = 100_000

    mutating func add(_ e: EpochResult) {
        epochs += 1
        let minute = CheckedNumber.roundedInt((e.start / 60).rounded(.down), clampedTo: 0...Self.maxMinutes)
        if minute < Self.maxMinutes {
            lastMinute = max(lastMinute, minute)
            while minuteSums.count <= minute { minuteSums.append(0); minuteCounts.append(0) }
        }
        guard !e.rejected else { return }
        good += 1
        let metrics: [Double?] = [e.ratios.engagement, e.ratios.thetaBeta, e.ratios.relaxation, e.ratios.workload,
                                  e.scores.attention, e.scores.relaxation, e.scores.workload, e.asymmetry]
        for (i, v) in metrics.enumerated() { if let v { values[i].append(v) } }
        for (c, channel) in e.channels.enumerated() { for b in channel.absolute.indices { bandSums[c][b] += channel.absolute[b] } }
        if let a = e.scores.attention, minute < Self.maxMinutes {
            minuteSums[minute] += a
            minuteCounts[minute] += 1
        }
    }

    func summary(labels: [String]) -> AnalysisSummary {
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        func median(_ v: [Double]) -> Double? {
            guard !v.isEmpty else { return nil }
            let s = v.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return AnalysisSummary(
            epochs: epochs, goodEpochs: good,
            means: zip(Self.names, values).map { ($0, mean($1)) }, medians: zip(Self.names, values).map { ($0, median($1)) },
            bandPowers: labels.indices.map { c in (label: labels[c], values: bandSums[c].map { good > 0 ? $0 / Double(good) : 0 }) },
            attentionPerMinute: (0..<(lastMinute + 1)).map { minuteCounts[$0] > 0 ? minuteSums[$0] / Double(minuteCounts[$0]) : nil })
    }
}

/// Analyses one file epoch by epoch, reading it a record at a time: memory holds one
/// epoch plus the filter margins on each side, whatever the file's length.
public final class FileAnalyzer {
    public let options: AnalysisOptions
    /// The most samples an epoch may hold over all analysed channels, filter margins
    /// included (rate × channels × (epoch + 4 s with a filter)): 2^26, 256 MiB of float32.
    /// A 1 h epoch fits at 256 Hz × 64 channels (59 M); at 16 kHz × 256 channels a 4 s
    /// epoch fits, a 1 h one (14.7 G samples) is refused before anything is allocated.
    public static let maxEpochSamples = 1 << 26
    /// The most epochs kept per file when ``AnalysisOptions/keepEpochs`` is set (for an
    /// HTML report): 100,000 — 111 hours of 4 s epochs, each about 1 KB with its spectrum,
    /// and at most that many points per line in the report's plots.
    public static let maxKeptEpochs = 100_000
    /// Annotations kept per file (the rest are counted in
    /// ``FileAnalysis/omittedAnnotations``): a file of millions of tiny annotations
    /// must not take memory or time in proportion.
    public static let keptAnnotations = 10_000

    public init(options: AnalysisOptions) { self.options = options }

    /// - Parameters:
    ///   - progress: called with the fraction done (0…1) after each chunk read.
    ///   - cancelled: checked between chunks; when it returns true the analysis stops
    ///     with the epochs so far.
    ///   - onBegin: called once, before the first epoch.
    ///   - onEpoch: called for every epoch, in order, with its scores. Epochs of the
    ///     calibration period are held until the baseline is known (at most a minute).
    public func analyze(path: String, onBegin: (FileInfo) -> Void = { _ in }, onEpoch: (EpochResult) -> Void = { _ in },
                        progress: (Double) -> Void = { _ in }, cancelled: () -> Bool = { false }) throws -> FileAnalysis {
        let source = try FrameSourceFile(path: path, options: options)
        let rate = source.sampleRate
        let allLabels = source.labels
        let selected: [Int]
        if let wanted = options.channels {
            selected = try wanted.map { label in
                guard let i = allLabels.firstIndex(where: { $0.caseInsensitiveCompare(label) == .orderedSame || $0.hasSuffix(":" + label) }) else {
                    throw AnalysisError(path: path, reason: "no channel '\(label)' (the file has \(allLabels.joined(separator: ", ")))")
                }
                return i
            }
        } else {
            selected = Array(allLabels.indices)
        }
        guard !selected.isEmpty else {
            throw AnalysisError(path: path, reason: "no channel to analyse: the channel list is empty (the file has \(allLabels.joined(separator: ", ")))")
        }
        let labels = selected.map { allLabels[$0] }
        // Option seconds × the file's rate: checked, so no value of either traps.
        let epochFrames = CheckedNumber.roundedInt(options.epochSeconds * rate, clampedTo: 0...Int(Int32.max))
        let segmentFrames = CheckedNumber.roundedInt(options.segmentSeconds * rate, clampedTo: 0...Int(Int32.max))
        guard epochFrames >= 2, segmentFrames >= 2 else {
            throw AnalysisError(path: path, reason: "an epoch of \(options.epochSeconds) s with \(options.segmentSeconds) s Welch segments at \(rate) Hz holds too few samples to analyse")
        }
        let welch = try WelchParameters(sampleRate: rate, segmentLength: segmentFrames)
        guard epochFrames >= welch.segmentLength else {
            throw AnalysisError(path: path, reason: "an epoch of \(options.epochSeconds) s is shorter than a \(options.segmentSeconds) s Welch segment")
        }
        let integrator = try BandIntegrator(bands: options.bands, parameters: welch)
        var sections: [[Double]] = []
        if let band = options.bandPass {
            sections += try Butterworth.design(.bandpass, order: 4, cutoff: [band.lowerBound, band.upperBound], sampleRate: rate).sections
        }
        if let mains = options.notchFrequency { sections += try Butterworth.notch(frequency: mains, sampleRate: rate).sections }
        let filter = sections.isEmpty ? nil : try SecondOrderSections(sections)
        // Enough signal either side of an epoch for the zero-phase filter to settle.
        let margin = filter == nil ? 0 : CheckedNumber.roundedInt(2 * rate, clampedTo: 0...Int(Int32.max))
        // An epoch and its margins are held for every channel at once: refused before
        // anything is read when that is more than the documented bound (no overflow:
        // each factor is at most 2^31 and there are at most 4096 channels).
        let heldSamples = (epochFrames + 2 * margin) * labels.count
        guard heldSamples <= Self.maxEpochSamples else {
            throw AnalysisError(path: path, reason: "an epoch of \(CSVText.number(options.epochSeconds)) s at \(CSVText.number(rate)) Hz over \(labels.count) channels holds \(heldSamples) samples; "
                + "at most \(Self.maxEpochSamples) are analysed at once — use a shorter --epoch or fewer --channels")
        }
        var pairIndices: (Int, Int)?
        if let pair = options.asymmetryPair {
            guard let l = labels.firstIndex(where: { $0.caseInsensitiveCompare(pair.left) == .orderedSame || $0.hasSuffix(":" + pair.left) }),
                  let r = labels.firstIndex(where: { $0.caseInsensitiveCompare(pair.right) == .orderedSame || $0.hasSuffix(":" + pair.right) }) else {
                throw AnalysisError(path: path, reason: "the --pair channels \(pair.left):\(pair.right) are not both analysed here (channels: \(labels.joined(separator: ", ")))")
            }
            pairIndices = (l, r)
        }
        let ratioBands = RatioBands(options.bands)
        let estimator = WelchEstimator(welch)
        let bandCount = options.bands.bands.count
        let spectrumBins = (0..<welch.binCount).filter { welch.frequency(ofBin: $0) <= min(60, rate / 2) }.count
        let annotations = source.annotations
        let lostSpans = source.lostSpans

        var epochs: [EpochResult] = []
        var waiting: [EpochResult] = []  // epochs held until the calibration is known
        var accumulator = SummaryAccumulator(channels: labels.count, bands: bandCount)
        var channelSpectra = [[Double]](repeating: [Double](repeating: 0, count: spectrumBins), count: labels.count)
        var spectraCounts = [Int](repeating: 0, count: labels.count)
        var calibrator = options.calibration.map { ScoreCalibrator(duration: 0, calibration: $0) }
        var calibration = options.calibration
        var calibrationSettled = options.calibration != nil
        var baseline = (BaselineAccumulator(), BaselineAccumulator(), BaselineAccumulator())
        // Kept epochs (for a report) grow with the file: bounded before anything is read.
        if options.keepEpochs, source.frameCount / epochFrames > Self.maxKeptEpochs {
            throw AnalysisError(path: path, reason: "\(source.frameCount / epochFrames) epochs of \(CSVText.number(options.epochSeconds)) s are more than the \(Self.maxKeptEpochs) a report keeps per file — use a longer --epoch, or leave out --report")
        }
        onBegin(FileInfo(path: path, sampleRate: rate, duration: Double(source.frameCount) / rate, labels: labels, bands: options.bands,
                         epochCount: source.frameCount / epochFrames))

        func deliver(_ epoch: EpochResult) {
            var e = epoch
            if calibrator != nil { e.scores = calibrator!.update(e.ratios, at: 1) }
            accumulator.add(e)
            onEpoch(e)
            if options.keepEpochs { epochs.append(e) }
        }
        /// Fixes the baseline from the calibration period and releases the held epochs.
        func settleCalibration() {
            guard !calibrationSettled else { return }
            calibrationSettled = true
            let c = Calibration(attention: baseline.0.baseline, relaxation: baseline.1.baseline, workload: baseline.2.baseline)
            if c.attention != nil || c.relaxation != nil || c.workload != nil {
                calibration = c
                calibrator = ScoreCalibrator(duration: 0, calibration: c)
            }
            for e in waiting { deliver(e) }
            waiting.removeAll()
        }

        // Per selected channel: the frames from `bufferStart` on.
        var buffer = [[Float]](repeating: [], count: labels.count)
        var bufferStart = 0
        var next = 0  // next epoch index
        var psd = [Double](repeating: 0, count: welch.binCount)
        var rawPSD = [Double](repeating: 0, count: welch.binCount)
        var powers = [Double](repeating: 0, count: bandCount)
        var relative = [Double](repeating: 0, count: bandCount)
        var chunk: [Float] = []
        var ended = false

        func analyseEpoch(_ k: Int) throws {
            let start = k * epochFrames
            // Filter margins stop at an EDF+D gap: nothing is filtered across one.
            var from = max(0, start - margin)
            var to = min(source.frameCount, start + epochFrames + margin)
            if !source.isContiguous(from, start) { from = start }
            if !source.isContiguous(start + epochFrames - 1, to - 1) { to = start + epochFrames }
            var channelResults: [ChannelEpoch] = []
            var epochPowers = [Double](repeating: 0, count: labels.count * bandCount)
            var meanSpectrum = [Double](repeating: 0, count: spectrumBins)
            var reasons: [String] = []
            for c in 0..<labels.count {
                let raw = Array(buffer[c][(from - bufferStart)..<(to - bufferStart)])
                let offset = start - from
                var signal = Array(raw[offset..<(offset + epochFrames)])
                if let filter, raw.count > 3 * (2 * filter.sections.count + 1) {
                    signal = Array(try zeroPhaseFilter(filter, raw)[offset..<(offset + epochFrames)])
                }
                let rawEpoch = Array(raw[offset..<(offset + epochFrames)])
                try signal.withUnsafeBufferPointer { s in try psd.withUnsafeMutableBufferPointer { _ = try estimator.psd(samples: s, into: $0) } }
                if filter != nil {
                    try rawEpoch.withUnsafeBufferPointer { s in try rawPSD.withUnsafeMutableBufferPointer { _ = try estimator.psd(samples: s, into: $0) } }
                } else {
                    rawPSD = psd
                }
                psd.withUnsafeBufferPointer { p in powers.withUnsafeMutableBufferPointer { integrator.absolutePowers(psd: p, into: $0) } }
                powers.withUnsafeBufferPointer { a in relative.withUnsafeMutableBufferPointer { BandIntegrator.relativePowers(a, into: $0) } }
                var quality = rawEpoch.withUnsafeBufferPointer { r in
                    rawPSD.withUnsafeBufferPointer { SignalQuality.assess(r.baseAddress!, stride: 1, count: epochFrames, psd: $0, parameters: welch, thresholds: options.quality) }
                }
                if filter != nil {
                    let filtered = signal.withUnsafeBufferPointer { SignalQuality.assess($0.baseAddress!, stride: 1, count: epochFrames, psd: nil, parameters: welch, thresholds: options.quality) }
                    quality.artifactFraction = filtered.artifactFraction
                    quality.hasArtifacts = filtered.hasArtifacts
                    quality.rms = filtered.rms
                } else {
                    // Without a filter, judge artifacts around the epoch's trend, not its mean.
                    var detrended = rawEpoch.map(Double.init)
                    detrend(&detrended, .linear)
                    let f = detrended.map(Float.init).withUnsafeBufferPointer {
                        SignalQuality.assess($0.baseAddress!, stride: 1, count: epochFrames, psd: nil, parameters: welch, thresholds: options.quality)
                    }
                    quality.artifactFraction = f.artifactFraction
                    quality.hasArtifacts = f.hasArtifacts
                }
                if quality.isFlat { reasons.append("\(labels[c]) flat") }
                if quality.isRailed { reasons.append("\(labels[c]) railed") }
                if quality.hasArtifacts { reasons.append("\(labels[c]) artifact") }
                for b in 0..<bandCount { epochPowers[c * bandCount + b] = powers[b] }
                for i in 0..<spectrumBins { meanSpectrum[i] += psd[i] / Double(labels.count) }
                channelResults.append(ChannelEpoch(label: labels[c], absolute: powers, relative: relative, quality: quality))
                if !(quality.isFlat || quality.isRailed || quality.hasArtifacts) {
                    for i in 0..<spectrumBins { channelSpectra[c][i] += psd[i] }
                    spectraCounts[c] += 1
                }
            }
            let startSeconds = source.time(ofFrame: start), endSeconds = startSeconds + Double(epochFrames) / rate
            if !source.isContiguous(start, start + epochFrames - 1) { reasons.append("gap in the recording (EDF+D)") }
            if lostSpans.overlaps(startSeconds, endSeconds) { reasons.append("samples lost") }
            let all = Array(0..<labels.count)
            let ratios = epochPowers.withUnsafeBufferPointer { p in all.withUnsafeBufferPointer { ratioBands.ratios(powers: p, bandCount: bandCount, channels: $0) } }
            var asymmetry: Double?
            if let (l, r) = pairIndices, let alpha = ratioBands.alpha {
                asymmetry = frontalAlphaAsymmetry(left: epochPowers[l * bandCount + alpha], right: epochPowers[r * bandCount + alpha])
            }
            let inEpoch = annotations.filter { a in
                let end = a.onset + (a.duration ?? 0)
                return (a.onset >= startSeconds && a.onset < endSeconds) || (a.onset < startSeconds && end > startSeconds)
            }
            let inCalibration = endSeconds <= options.calibrationSeconds
            if !calibrationSettled, inCalibration, reasons.isEmpty {
                baseline.0.add(ratios.engagement)
                baseline.1.add(ratios.relaxation)
                baseline.2.add(ratios.workload)
            }
            let epoch = EpochResult(index: k, start: startSeconds, channels: channelResults, ratios: ratios, asymmetry: asymmetry,
                                    scores: Scores(), annotations: inEpoch, rejectionReasons: reasons, spectrum: options.keepSpectra ? meanSpectrum : [])
            if !calibrationSettled && inCalibration {
                waiting.append(epoch)
            } else {
                settleCalibration()
                deliver(epoch)
            }
        }

        while !ended {
            if cancelled() { break }
            let n = try source.next(into: &chunk)
            if n == 0 { ended = true } else {
                for (c, index) in selected.enumerated() {
                    for f in 0..<n { buffer[c].append(chunk[f * source.channelCount + index]) }
                }
            }
            let available = bufferStart + buffer[0].count
            while (next + 1) * epochFrames <= source.frameCount,
                  (next + 1) * epochFrames + margin <= available || (ended && (next + 1) * epochFrames <= available) {
                try analyseEpoch(next)
                next += 1
                let keepFrom = max(0, next * epochFrames - margin)
                if keepFrom > bufferStart {
                    for c in buffer.indices { buffer[c].removeFirst(keepFrom - bufferStart) }
                    bufferStart = keepFrom
                }
            }
            progress(source.frameCount == 0 ? 1 : Double(available) / Double(source.frameCount))
        }

        // A file shorter than the calibration period: its baseline is all there is.
        settleCalibration()
        for c in channelSpectra.indices where spectraCounts[c] > 0 {
            for i in channelSpectra[c].indices { channelSpectra[c][i] /= Double(spectraCounts[c]) }
        }
        var analysis = FileAnalysis(path: path, sampleRate: rate, duration: Double(source.frameCount) / rate, labels: labels, bands: options.bands,
                                    epochs: epochs, summary: accumulator.summary(labels: labels), calibration: calibration,
                                    annotations: annotations, spectrumFrequencies: (0..<spectrumBins).map(welch.frequency(ofBin:)),
                                    channelSpectra: channelSpectra)
        analysis.omittedAnnotations = source.omittedAnnotations
        analysis.gaps = source.gaps
        return analysis
    }
}
