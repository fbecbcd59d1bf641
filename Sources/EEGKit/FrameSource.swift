import Foundation

/// Frames of interleaved samples from a recorded input — EDF/BDF, CSV, float32 — a chunk
/// at a time, so memory does not grow with the input's length: the one abstraction
/// `replay`, `analyze` and `bandpower` read files through.
///
/// A source says what its input states about the stream (labels, rate, full scale,
/// length), hands out chunks of whole frames, places its stored frames on the
/// recording's timeline (EDF+D records jump over gaps) and streams its annotations.
/// Devices are the live counterpart: they push frames with their sample indices into the
/// ring (`EEGDevice`); ``FileReplayDevice`` turns any file source into such a device.
/// Both describe themselves with a ``StreamLayout``, and gaps and events with
/// ``AnnotationKind``s.
///
/// Not thread-safe: one thread reads a source.
public protocol FrameSource {
    /// Samples per frame.
    var channelCount: Int { get }
    /// Channel labels found in the input itself (an EDF header, a CSV header), if any.
    var labels: [String]? { get }
    /// Samples per second per channel the input states (EDF/BDF); nil when the user must
    /// give it (CSV, float32).
    var statedSampleRate: Double? { get }
    /// The largest physical magnitude the input states (EDF/BDF physical limits); nil when
    /// it states none.
    var statedFullScale: Double? { get }
    /// Frames stored in the input, when known before reading it (nil for CSV or a pipe).
    var storedFrameCount: Int? { get }
    /// Replaces `buffer` with the next chunk of whole frames; returns the number of
    /// frames (0 at the end of the input). The frames of one chunk follow each other in
    /// time (a gap in time only ever falls between chunks).
    mutating func nextChunk(into buffer: inout [Float]) throws -> Int
    /// Reads the next chunk (the same frames ``nextChunk(into:)`` would give) and appends
    /// its channels `channels` (positions in a frame, one per channel of `frames`) to
    /// `frames`; returns the number of frames (0 at the end of the input). A source whose
    /// file stores each channel's samples together (EDF/BDF) decodes them straight into
    /// `frames`; the default reads an interleaved chunk and copies the channels out.
    mutating func appendNextChunk(channels: [Int], to frames: PlanarFrames) throws -> Int
    /// Where stored frame `f` sits on the recording's timeline, in samples per channel
    /// from its start: `f` itself unless the input has gaps in time (EDF+D).
    func timelineIndex(ofStoredFrame f: Int) -> Int
    /// Seconds from the input's start of stored frame `f`, at `sampleRate`.
    func seconds(ofStoredFrame f: Int, sampleRate: Double) -> Double
    /// Seconds from the input's start where its stored frames end, at `sampleRate`; nil
    /// when unknown before reading.
    func endSeconds(sampleRate: Double) -> Double?
    /// Calls `body` with each annotation, in file order (none for CSV and float32).
    func forEachAnnotation(_ body: (Annotation) throws -> Void) throws
    /// The gaps in time between stored records (EDF+D), in file order.
    var recordGaps: [EDFReader.RecordGap] { get }
    /// What was wrong with the input but did not stop its reading (an XDF file's torn or
    /// zero-filled end), one sentence each naming the file and byte: callers show them as
    /// warnings.
    var problems: [String] { get }
    /// Moves on so that the next chunk starts at or before the first stored frame at
    /// timeline position `index` or later, skipping whole chunks without decoding them
    /// where the format allows; returns the stored frame number the next chunk starts at.
    mutating func skip(toTimelineIndex index: Int) throws -> Int
}

/// The protocol's earlier name, kept for code written against it.
public typealias FrameReader = FrameSource

extension FrameSource {
    public var statedSampleRate: Double? { nil }
    public var statedFullScale: Double? { nil }
    public var storedFrameCount: Int? { nil }
    public func timelineIndex(ofStoredFrame f: Int) -> Int { f }
    public func seconds(ofStoredFrame f: Int, sampleRate: Double) -> Double { Double(f) / sampleRate }
    public func endSeconds(sampleRate: Double) -> Double? { storedFrameCount.map { Double($0) / sampleRate } }
    public func forEachAnnotation(_ body: (Annotation) throws -> Void) throws {}
    public var recordGaps: [EDFReader.RecordGap] { [] }
    public var problems: [String] { [] }
    public mutating func appendNextChunk(channels: [Int], to frames: PlanarFrames) throws -> Int {
        let n = try nextChunk(into: &frames.interleaved)
        frames.interleaved.withUnsafeBufferPointer { frames.appendInterleaved($0, frames: n, width: channelCount, channels: channels) }
        return n
    }
    /// Skips nothing: the reader of the chunks drops frames before `index` itself.
    public mutating func skip(toTimelineIndex index: Int) throws -> Int { 0 }

    /// The stream this source holds: its own labels and rate where it states them, else
    /// `sampleRate`, `labels` or `ch1…chN`; its stated full scale, else the default
    /// signal-quality full scale.
    public func layout(sampleRate: Double? = nil, labels given: [String]? = nil, source: String) -> StreamLayout {
        StreamLayout(labels: given ?? labels ?? StreamLayout.numberedLabels(channelCount),
                     sampleRate: statedSampleRate ?? sampleRate ?? 0,
                     fullScale: statedFullScale ?? SignalQualityThresholds().fullScale, source: source)
    }
}

/// The file formats a ``FrameSource`` reads.
public enum FrameSourceFormat: String, Sendable, CaseIterable {
    /// Little-endian float32 frames (needs the channel count and rate).
    case f32
    /// Comma-separated rows (needs the rate).
    case csv
    /// EDF, EDF+, BDF or BDF+ (states everything).
    case edf
    /// XDF (LabRecorder's format, and EEGKit's): the EEG stream, with the markers.
    case xdf

    /// By extension: `.csv`, `.edf`/`.bdf`, `.xdf`, anything else raw float32.
    public init(path: String?) {
        let lower = path?.lowercased() ?? ""
        if lower.hasSuffix(".csv") {
            self = .csv
        } else if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") {
            self = .edf
        } else if lower.hasSuffix(".xdf") {
            self = .xdf
        } else {
            self = .f32
        }
    }

    /// Whether files of this format state their own rate, channels and labels.
    public var statesLayout: Bool { self == .edf || self == .xdf }

    /// Opens `path` (standard input for nil or `-`, except EDF) as a source.
    ///
    /// - Parameters:
    ///   - channels: frame width: required for raw, checked against a CSV's columns.
    ///   - allowingGaps: accept an EDF+D file with gaps in time (replay and analyze place
    ///     frames on the timeline; band powers over the whole input would stitch them).
    ///   - checkingLiveRate: refuse an EDF/BDF file with more samples per second than the
    ///     live pipeline takes (see ``EDFFrameReader/init(path:allowingGaps:checkingLiveRate:checkingAnnotations:)``).
    ///   - checkingAnnotations: read an EDF/BDF file's annotations on opening, to refuse a
    ///     malformed one before any output; false for a caller that reads them all itself first.
    ///   - stream: XDF: the stream to read as EEG, by name (nil: the first numeric one with a rate).
    public func open(_ path: String?, channels: Int? = nil, allowingGaps: Bool = true, checkingLiveRate: Bool = true,
                     checkingAnnotations: Bool = true, stream: String? = nil) throws -> any FrameSource {
        switch self {
        case .edf:
            guard let path, path != "-" else { throw InputError.cannotOpen(path: "standard input", reason: "EDF/BDF input must be a file") }
            return try EDFFrameReader(path: path, allowingGaps: allowingGaps, checkingLiveRate: checkingLiveRate, checkingAnnotations: checkingAnnotations)
        case .xdf:
            guard let path, path != "-" else { throw InputError.cannotOpen(path: "standard input", reason: "XDF input must be a file") }
            let reader = try XDFFrameReader(path: path, streamName: stream, checkingLiveRate: checkingLiveRate)
            if !allowingGaps, let gap = reader.recordGaps.first {
                throw XDFError(.badSamples, path: path, "has \(reader.recordGaps.count) gap\(reader.recordGaps.count == 1 ? "" : "s") in time, the first of \(gap.seconds) s at \(gap.from) s; band powers over the whole input would stitch across them — use 'eeg analyze', which treats them as gaps")
            }
            return reader
        case .csv:
            return try CSVFrameReader(input: InputFile(path: path), declaredChannels: channels)
        case .f32:
            guard let channels else { throw InputError.badChannelCount(source: path ?? "standard input", count: 0, limit: RawFloat32Reader.maximumChannels) }
            let input = try InputFile(path: path)
            var reader = RawFloat32Reader(input: input, channelCount: channels)
            if channels > 0, let size = input.regularFileSize { reader.storedFrameCount = size / (4 * channels) }
            return reader
        }
    }
}
