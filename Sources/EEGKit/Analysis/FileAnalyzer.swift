import Foundation

/// Analyses one file epoch by epoch, reading it a record at a time: memory holds one
/// epoch plus the filter margins on each side, whatever the file's length.
///
/// The numbers of each epoch come from the shared ``WindowAnalyzer`` (the same rules as
/// live and bandpower); what is offline's own is here: cutting epochs (``EpochCutter``),
/// the zero-phase filter, rejection reasons, holding the calibration epochs
/// (``CalibrationHold``) and the file summary (``SummaryAccumulator``).
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
        let plan = try EpochPlan(path: path, source: source, options: options)
        // The run lives only during this call, so `onEpoch` never outlives it.
        return try withoutActuallyEscaping(onEpoch) { onEpoch in
            let run = try FileRun(source: source, plan: plan, options: options, onEpoch: onEpoch)
            var layout = source.layout
            layout.labels = plan.labels
            onBegin(FileInfo(path: path, layout: layout, duration: Double(source.frameCount) / plan.rate,
                             bands: options.bands, epochCount: plan.epochCount, problems: source.problems))
            try run.readAll(progress: progress, cancelled: cancelled)
            return run.finish(path: path)
        }
    }
}

/// One file's analysis in progress: reads chunks, cuts and analyses epochs, delivers them.
private final class FileRun {
    let source: FrameSourceFile
    let plan: EpochPlan
    let options: AnalysisOptions
    let onEpoch: (EpochResult) -> Void
    let window: WindowAnalyzer
    var cutter: EpochCutter
    var hold: CalibrationHold
    var accumulator: SummaryAccumulator
    var epochs: [EpochResult] = []
    /// Whole-file PSD per channel: sums over the epochs where the channel was clean.
    var channelSpectra: [[Double]]
    var spectraCounts: [Int]

    init(source: FrameSourceFile, plan: EpochPlan, options: AnalysisOptions, onEpoch: @escaping (EpochResult) -> Void) throws {
        self.source = source
        self.plan = plan
        self.options = options
        self.onEpoch = onEpoch
        window = try WindowAnalyzer(welch: plan.welch, bands: options.bands, channelCount: plan.labels.count, frameCount: plan.epochFrames,
                                    asymmetryPair: plan.pair, quality: options.quality)
        cutter = EpochCutter(plan: plan)
        hold = CalibrationHold(options: options)
        accumulator = SummaryAccumulator(channels: plan.labels.count, bands: options.bands.bands.count)
        channelSpectra = Array(repeating: Array(repeating: 0, count: plan.spectrumBins), count: plan.labels.count)
        spectraCounts = Array(repeating: 0, count: plan.labels.count)
    }

    func readAll(progress: (Double) -> Void, cancelled: () -> Bool) throws {
        var ended = false
        while !ended, !cancelled() {
            ended = try cutter.read(source) == 0
            while cutter.nextEpochReady(frameCount: source.frameCount, ended: ended) {
                let k = cutter.next
                try cutter.cut(source)
                analyseEpoch(k)
            }
            progress(source.frameCount == 0 ? 1 : Double(cutter.available) / Double(source.frameCount))
        }
    }

    private func analyseEpoch(_ k: Int) {
        let frames = plan.epochFrames
        cutter.withEpoch { raw, filtered in window.analyze(raw: raw, filtered: filtered) }
        let start = source.time(ofFrame: k * frames), end = start + Double(frames) / plan.rate
        let channels = channelResults()
        let epoch = EpochResult(index: k, start: start, channels: channels, ratios: window.ratios, asymmetry: window.asymmetry,
                                scores: Scores(), annotations: annotations(from: start, to: end),
                                rejectionReasons: rejectionReasons(k, start: start, end: end),
                                spectrum: options.keepSpectra ? meanSpectrum() : [])
        hold.add(epoch, end: end, deliver: deliver)
    }

    /// Each channel's powers and quality; clean channels add to the whole-file spectra.
    private func channelResults() -> [ChannelEpoch] {
        let bands = window.bandCount
        return plan.labels.indices.map { c in
            let quality = window.qualityPerChannel[c]
            if quality.isClean {
                let psd = window.spectrum(channel: c)
                for i in 0..<plan.spectrumBins { channelSpectra[c][i] += psd[i] }
                spectraCounts[c] += 1
            }
            return ChannelEpoch(label: plan.labels[c], absolute: Array(window.bandPowers[(c * bands)..<((c + 1) * bands)]),
                                relative: Array(window.relativePowers[(c * bands)..<((c + 1) * bands)]), quality: quality)
        }
    }

    /// The mean PSD over the analysed channels, for the report's spectrogram.
    private func meanSpectrum() -> [Double] {
        var mean = [Double](repeating: 0, count: plan.spectrumBins)
        for c in plan.labels.indices {
            let psd = window.spectrum(channel: c)
            for i in 0..<plan.spectrumBins { mean[i] += psd[i] / Double(plan.labels.count) }
        }
        return mean
    }

    /// Why epoch `k` is rejected: flat, railed or artifact channels, an EDF+D gap inside
    /// it, or samples lost while recording. Empty when it is good.
    private func rejectionReasons(_ k: Int, start: Double, end: Double) -> [String] {
        var reasons: [String] = []
        for (c, q) in window.qualityPerChannel.enumerated() {
            if q.isFlat { reasons.append("\(plan.labels[c]) flat") }
            if q.isRailed { reasons.append("\(plan.labels[c]) railed") }
            if q.hasArtifacts { reasons.append("\(plan.labels[c]) artifact") }
        }
        let first = k * plan.epochFrames
        if !source.isContiguous(first, first + plan.epochFrames - 1) { reasons.append("gap in the recording (EDF+D)") }
        if source.lostSpans.overlaps(start, end) { reasons.append("samples lost") }
        if source.paddingSpans.overlaps(start, end) { reasons.append("end padding") }
        return reasons
    }

    private func annotations(from start: Double, to end: Double) -> [Annotation] {
        source.annotations.filter { a in
            let stop = a.onset + (a.duration ?? 0)
            return (a.onset >= start && a.onset < end) || (a.onset < start && stop > start)
        }
    }

    private func deliver(_ e: EpochResult) {
        accumulator.add(e)
        onEpoch(e)
        if options.keepEpochs { epochs.append(e) }
    }

    func finish(path: String) -> FileAnalysis {
        // A file shorter than the calibration period: its baseline is all there is.
        hold.settle(deliver: deliver)
        for c in channelSpectra.indices where spectraCounts[c] > 0 {
            for i in channelSpectra[c].indices { channelSpectra[c][i] /= Double(spectraCounts[c]) }
        }
        var analysis = FileAnalysis(path: path, sampleRate: plan.rate, duration: Double(source.frameCount) / plan.rate, labels: plan.labels,
                                    bands: options.bands, epochs: epochs, summary: accumulator.summary(labels: plan.labels),
                                    calibration: hold.calibration, annotations: source.annotations,
                                    spectrumFrequencies: (0..<plan.spectrumBins).map(plan.welch.frequency(ofBin:)), channelSpectra: channelSpectra)
        analysis.omittedAnnotations = source.omittedAnnotations
        analysis.gaps = source.gaps
        return analysis
    }
}
