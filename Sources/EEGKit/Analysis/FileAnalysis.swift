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
    /// The files' format (`--input-format`): `.edf` or `.f32` (CSV is not analysed);
    /// nil: float32 when the name does not end .edf/.bdf and a rate is given, else EDF/BDF.
    public var inputFormat: FrameSourceFormat?
    /// XDF: the stream to analyse, by name (nil: the first numeric one with a rate).
    public var stream: String?
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
    /// Every metric of the table for this epoch (ratios, asymmetry, scores).
    public var metrics: MetricValues { MetricValues(ratios: ratios, asymmetry: asymmetry, scores: scores) }
    /// Mean PSD over the analysed channels, µV²/Hz, for bins 0…`spectrumBins` (the
    /// report's spectrogram).
    public let spectrum: [Double]
}

/// Means and medians over a file's good epochs.
public struct AnalysisSummary: Sendable {
    public let epochs: Int
    public let goodEpochs: Int
    public var percentGood: Double { epochs == 0 ? 0 : 100 * Double(goodEpochs) / Double(epochs) }
    /// One entry per row of the metric table (``Metric/all``), keyed and ordered as it.
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
    /// The analysed channels (the selection, in order), the file's rate and full scale.
    public let layout: StreamLayout
    /// Seconds of signal the file stores.
    public let duration: Double
    public let bands: BandSet
    /// Whole epochs the file holds.
    public let epochCount: Int
    /// What was wrong with the file but did not stop its analysis (``FrameSource/problems``).
    public var problems: [String] = []
    /// Samples per second per channel, from ``layout``.
    public var sampleRate: Double { layout.sampleRate }
    /// The analysed channels' labels, from ``layout``.
    public var labels: [String] { layout.labels }
}
