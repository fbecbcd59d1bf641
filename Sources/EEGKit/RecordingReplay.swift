import EEGCore

/// A recording to play through the live pipeline (what `eeg replay FILE` and its
/// `--input-format`, `--rate`, `--channel-count`, `--labels`, `--speed`, `--from` and
/// `--to` parse into). ``open()`` builds the device, so the CLI never constructs one.
public struct RecordingReplay: Sendable, Equatable {
    public var path: String
    /// The file's format; nil: by extension (``resolvedFormat``).
    public var format: FrameSourceFormat?
    /// Hz, for CSV and float32 (EDF/BDF state their own).
    public var sampleRate: Double?
    /// Samples per float32 frame (required for float32; checked against a CSV's columns).
    public var channelCount: Int?
    /// Channel labels for CSV and float32 (default ch1…chN, or a CSV header's).
    public var labels: [String]?
    /// 1 for real time; `.infinity` for as fast as possible.
    public var speed: Double
    /// Seconds from the start of the file's timeline.
    public var from: Double?
    public var to: Double?
    /// XDF: the stream to replay, by name (nil: the first numeric one with a rate).
    public var stream: String?

    public init(path: String, format: FrameSourceFormat? = nil, sampleRate: Double? = nil, channelCount: Int? = nil,
                labels: [String]? = nil, speed: Double = 1, from: Double? = nil, to: Double? = nil) {
        self.path = path
        self.format = format
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.labels = labels
        self.speed = speed
        self.from = from
        self.to = to
    }

    /// `format`, else by extension: `.csv` CSV, `.f32` float32, `.xdf` XDF, anything else
    /// EDF/BDF (a replay's usual input is a recording).
    public var resolvedFormat: FrameSourceFormat {
        if let format { return format }
        let lower = path.lowercased()
        return lower.hasSuffix(".csv") ? .csv : lower.hasSuffix(".f32") ? .f32 : lower.hasSuffix(".xdf") ? .xdf : .edf
    }

    /// The error for a CSV or float32 replay given no rate (these files do not state one).
    public static func rateRequired(for format: FrameSourceFormat) -> ArgumentError {
        ArgumentError(.missing, flag: "--rate", value: "",
                      expected: "for \(format == .csv ? "CSV" : "raw float32") input: the sample rate in Hz, e.g. --rate 250")
    }

    /// Opens the file as a device paced by its own clock.
    ///
    /// - Throws: ``ArgumentError`` (``ArgumentError/Kind/missing``) for CSV or float32
    ///   without a `sampleRate`; ``InputError`` for a missing or unreadable file or
    ///   `labels` that do not match its channels; ``EDFError`` for a malformed file or
    ///   nothing between `from` and `to`.
    public func open() throws -> FileReplayDevice {
        let format = resolvedFormat
        guard format != .edf else { return try FileReplayDevice(path: path, speed: speed, from: from, to: to) }
        if format == .xdf {
            return try FileReplayDevice(source: XDFFrameReader(path: path, streamName: stream), name: "replay of \(path)", speed: speed, from: from, to: to)
        }
        guard sampleRate != nil else { throw Self.rateRequired(for: format) }
        let frames = try format.open(path, channels: channelCount)
        if let labels, labels.count != frames.channelCount { throw InputError.labelCount(labels: labels.count, channels: frames.channelCount) }
        return try FileReplayDevice(source: frames, name: "replay of \(path)", sampleRate: sampleRate, labels: labels,
                                    speed: speed, from: from, to: to)
    }
}
