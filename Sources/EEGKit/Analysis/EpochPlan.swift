import Foundation

/// How `eeg analyze` cuts one file: the channels, the epoch and Welch lengths at the
/// file's rate, the zero-phase filter and its margins, all checked before anything is
/// read or allocated for them.
struct EpochPlan {
    /// Indices of the analysed channels in the file's frames.
    let selected: [Int]
    let labels: [String]
    let rate: Double
    let epochFrames: Int
    let welch: WelchParameters
    let filter: SecondOrderSections?
    /// Frames either side of an epoch for the zero-phase filter to settle (0 without one).
    let margin: Int
    /// The asymmetry pair as indices into ``labels``.
    let pair: ChannelPair?
    /// Spectrum bins kept for the report (up to 60 Hz).
    let spectrumBins: Int
    /// Whole epochs in the file.
    let epochCount: Int

    init(path: String, source: FrameSourceFile, options: AnalysisOptions) throws {
        rate = source.sampleRate
        selected = try Self.channels(options.channels, in: source.labels, path: path)
        labels = selected.map { source.labels[$0] }
        // Option seconds × the file's rate: checked, so no value of either traps.
        epochFrames = CheckedNumber.roundedInt(options.epochSeconds * rate, clampedTo: 0...Int(Int32.max))
        let segmentFrames = CheckedNumber.roundedInt(options.segmentSeconds * rate, clampedTo: 0...Int(Int32.max))
        guard epochFrames >= 2, segmentFrames >= 2 else {
            throw AnalysisError(path: path, reason: "an epoch of \(options.epochSeconds) s with \(options.segmentSeconds) s Welch segments at \(rate) Hz holds too few samples to analyse")
        }
        welch = try WelchParameters(sampleRate: rate, segmentLength: segmentFrames)
        guard epochFrames >= welch.segmentLength else {
            throw AnalysisError(path: path, reason: "an epoch of \(options.epochSeconds) s is shorter than a \(options.segmentSeconds) s Welch segment")
        }
        _ = try BandIntegrator(bands: options.bands, parameters: welch)
        filter = try AnalysisFilter.design(bandPass: options.bandPass, notch: options.notchFrequency, sampleRate: rate)
        margin = filter == nil ? 0 : CheckedNumber.roundedInt(2 * rate, clampedTo: 0...Int(Int32.max))
        let labels = self.labels
        if let wanted = options.asymmetryPair { pair = try Self.pair(wanted, in: labels, path: path) } else { pair = nil }
        spectrumBins = (0..<welch.binCount).filter { [welch, rate] in welch.frequency(ofBin: $0) <= min(60, rate / 2) }.count
        epochCount = source.frameCount / epochFrames
        try checkMemory(path: path, options: options)
    }

    /// An epoch and its margins are held for every channel at once, and kept epochs grow
    /// with the file: both refused before anything is read when over the documented
    /// bounds (no overflow: each factor is at most 2^31 and there are at most 4096 channels).
    private func checkMemory(path: String, options: AnalysisOptions) throws {
        let heldSamples = (epochFrames + 2 * margin) * labels.count
        guard heldSamples <= FileAnalyzer.maxEpochSamples else {
            throw AnalysisError(path: path, reason: "an epoch of \(CSVText.number(options.epochSeconds)) s at \(CSVText.number(rate)) Hz over \(labels.count) channels holds \(heldSamples) samples; "
                + "at most \(FileAnalyzer.maxEpochSamples) are analysed at once — use a shorter --epoch or fewer --channels")
        }
        if options.keepEpochs, epochCount > FileAnalyzer.maxKeptEpochs {
            throw Self.tooManyForReport(path: path, epochCount: epochCount, epochSeconds: options.epochSeconds)
        }
    }

    /// A file with more epochs than a report keeps (also what `eeg merge --report` says).
    static func tooManyForReport(path: String, epochCount: Int, epochSeconds: Double) -> AnalysisError {
        AnalysisError(path: path, reason: "\(epochCount) epochs of \(CSVText.number(epochSeconds)) s are more than the \(FileAnalyzer.maxKeptEpochs) a report keeps per file — use a longer --epoch, or leave out --report")
    }

    private static func channels(_ wanted: [String]?, in all: [String], path: String) throws -> [Int] {
        var selected = Array(all.indices)
        if let wanted {
            switch ChannelSelection.indices(of: wanted, in: all) {
            case .success(let indices): selected = indices
            case .failure(let missing): throw AnalysisError(path: path, reason: missing.message(source: "the file"))
            }
        }
        guard !selected.isEmpty else {
            throw AnalysisError(path: path, reason: "no channel to analyse: the channel list is empty (the file has \(all.joined(separator: ", ")))")
        }
        return selected
    }

    private static func pair(_ pair: (left: String, right: String), in labels: [String], path: String) throws -> ChannelPair {
        guard case .success(let both) = ChannelSelection.indices(of: [pair.left, pair.right], in: labels) else {
            throw AnalysisError(path: path, reason: "the --pair channels \(pair.left):\(pair.right) are not both analysed here (channels: \(labels.joined(separator: ", ")))")
        }
        return ChannelPair(left: both[0], right: both[1])
    }
}
