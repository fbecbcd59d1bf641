import Foundation

/// One line of a shard file (`eeg analyze --format shard`, read by `eeg merge`): exactly
/// one of the optional parts is set. The first line is the ``ShardHeader``; then, for each
/// of the shard's files in the user's order, the events ``BatchAnalysis`` reported for it
/// (begin, epochs, end — or failed, possibly after a begin and epochs), each tagged with
/// the file's place in the whole list; the last line is the ``ShardTrailer``.
///
/// Numbers are written as JSONEncoder writes a Double (the shortest text that reads back
/// to the same bits, `-0` kept; NaN and ±∞ as the strings "nan", "inf", "-inf"), so the
/// merge hands the renderers exactly the values a single run hands them.
struct ShardLine: Codable {
    var header: ShardHeader?
    /// The file's place in the whole list (0-based), on every event line.
    var file: Int?
    var begin: FileInfoRecord?
    var epoch: EpochRecord?
    var end: FileAnalysisRecord?
    var failed: FailureRecord?
    var complete: ShardTrailer?

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// The first line of a shard file: which shard of which plan, analysed how.
public struct ShardHeader: Codable, Sendable, Equatable {
    /// "eegkit-shard 1": the format and its version.
    public var format: String
    public var shard: Int
    public var shards: Int
    /// Files in the whole list (every shard's).
    public var files: Int
    /// Checksum of the whole list and its sizes (``ShardPlan/fingerprint``): shards of
    /// the same run agree on it.
    public var plan: String
    /// Checksum of the analysis settings: shards analysed differently cannot be merged.
    public var settings: String
    /// `--epoch`, seconds (for the message of a file too long for a report, at merge).
    public var epochSeconds: Double
    /// The files this shard takes: their places in the whole list and their paths.
    public var assigned: [AssignedFile]
    /// Whether each epoch line carries the epoch's spectrum, which only the report draws
    /// (`--for-report`): false leaves them out, nil is a shard written before the choice
    /// existed, which always carried them.
    public var spectra: Bool?
    /// The output format the epochs are rendered in (`--render`, ``ShardTextBlock``), which
    /// the merge must write; nil: the epochs are records, for any format.
    public var render: String?

    /// "eegkit-shard 1": epochs as records (``EpochRecord``), merged into any format.
    public static let currentFormat = "eegkit-shard 1"
    /// "eegkit-shard 2": epochs rendered for one output format (``render``), as text
    /// blocks, with records too only for the report; an older eeg refuses it by its version.
    public static let renderedFormat = "eegkit-shard 2"

    public struct AssignedFile: Codable, Sendable, Equatable {
        public var index: Int
        public var path: String
    }

    /// "2/4".
    public var name: String { "\(shard)/\(shards)" }
}

/// The last line of a complete shard file: written only after every file's results, so a
/// shard cut short (a node lost, a task killed) has none. The checksum covers every byte
/// before this line.
public struct ShardTrailer: Codable, Sendable, Equatable {
    public var shard: Int
    public var shards: Int
    /// Files reported (analysed or failed).
    public var files: Int
    /// ``ShardChecksum`` of the bytes before this line, "fnv1a64:" and 16 hex digits.
    public var checksum: String
}

struct LayoutRecord: Codable {
    var labels: [String]
    var unit: String
    var sampleRate: Double
    var fullScale: Double
    var source: String
}

struct BandRecord: Codable {
    var name: String
    var low: Double
    var high: Double
}

struct AnnotationRecord: Codable {
    var onset: Double
    var duration: Double?
    var text: String
}

struct FileInfoRecord: Codable {
    var path: String
    var layout: LayoutRecord
    var duration: Double
    var bands: [BandRecord]
    var epochCount: Int
}

struct QualityRecord: Codable {
    var peakToPeak, rms, railedFraction: Double
    var lineNoiseRatio: Double?
    var artifactFraction: Double
    var isFlat, isRailed, hasLineNoise, hasArtifacts: Bool
}

struct ChannelRecord: Codable {
    var label: String
    var absolute: [Double]
    var relative: [Double]
    var quality: QualityRecord
}

struct EpochRecord: Codable {
    var index: Int
    var start: Double
    var channels: [ChannelRecord]
    var engagement, thetaBeta, relaxation, workload: Double?
    var asymmetry: Double?
    var attentionScore, relaxationScore, workloadScore: Double?
    var annotations: [AnnotationRecord]
    var reasons: [String]
    var spectrum: [Double]
}

struct NamedValue: Codable {
    var key: String
    var value: Double?
}

struct ChannelPowers: Codable {
    var label: String
    var values: [Double]
}

struct SummaryRecord: Codable {
    var epochs: Int
    var goodEpochs: Int
    var means: [NamedValue]
    var medians: [NamedValue]
    var bandPowers: [ChannelPowers]
    var attentionPerMinute: [Double?]
}

struct GapRecord: Codable {
    var record: Int
    var from: Double
    var to: Double
    var frames: Int
    var beforeSampleIndex: Int64
}

/// A file's end: everything of its ``FileAnalysis`` but the epochs (those came before,
/// one line each).
struct FileAnalysisRecord: Codable {
    var path: String
    var sampleRate: Double
    var duration: Double
    var labels: [String]
    var bands: [BandRecord]
    var summary: SummaryRecord
    var calibration: Calibration?
    var annotations: [AnnotationRecord]
    var omittedAnnotations: Int
    var gaps: [GapRecord]
    var spectrumFrequencies: [Double]
    var channelSpectra: [[Double]]
}

struct FailureRecord: Codable {
    var path: String
    var message: String
    /// ``FailureKind`` raw value (the exit code it leads to).
    var kind: Int32
}
