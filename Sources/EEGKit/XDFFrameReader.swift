import Foundation

/// An XDF file's EEG stream as a ``FrameSource`` (``XDFRecording``): a chunk per piece of
/// a samples chunk (a chunk is cut where a gap in time falls inside it), placed on the
/// timeline by the timestamps, with every marker stream's samples as annotations.
public struct XDFFrameReader: FrameSource {
    public let recording: XDFRecording
    private var next = 0
    /// The decoded samples chunk the next pieces come from.
    private var decodedChunk = -1
    private var values: [Float] = []
    private var stamps: [Double] = []
    private var last = 0.0

    /// - Parameters:
    ///   - streamName: the stream to read as EEG (nil: the first numeric one with a rate).
    ///   - checkingLiveRate: refuse more samples per second than the live pipeline takes.
    /// - Throws: ``XDFError`` for a malformed file or no EEG stream; ``EDFError`` for a
    ///   rate beyond the pipeline's.
    public init(path: String, streamName: String? = nil, checkingLiveRate: Bool = true) throws {
        recording = try XDFRecording(path: path, streamName: streamName)
        if checkingLiveRate {
            try checkSamplesPerSecond(rate: recording.sampleRate, channels: recording.stream.info.channelCount, path: path)
        }
    }

    public var channelCount: Int { recording.stream.info.channelCount }
    public var labels: [String]? {
        let channels = recording.stream.info.channels
        return channels.count == channelCount && channels.allSatisfy({ !$0.label.isEmpty }) ? channels.map(\.label) : nil
    }
    public var statedSampleRate: Double? { recording.sampleRate }
    public var storedFrameCount: Int? { recording.stream.sampleCount }

    public var recordGaps: [EDFReader.RecordGap] {
        let rate = recording.sampleRate
        return zip(recording.gaps, recording.runs.dropFirst()).enumerated().map { index, pair in
            let (gap, run) = pair
            return EDFReader.RecordGap(record: index + 1, from: Double(gap.firstMissingSampleIndex) / rate,
                                       to: Double(run.timelineStart) / rate, missingFrames: gap)
        }
    }

    public mutating func nextChunk(into buffer: inout [Float]) throws -> Int {
        guard next < recording.pieces.count else { return 0 }
        let piece = recording.pieces[next]
        if piece.chunk != decodedChunk {
            let chunk = recording.stream.chunks[piece.chunk]
            try recording.reader.decodeNumeric(chunk, of: recording.stream, last: &last, values: &values, timestamps: &stamps)
            decodedChunk = piece.chunk
        }
        let channels = channelCount
        let range = (piece.firstSample * channels)..<((piece.firstSample + piece.count) * channels)
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: values[range])
        next += 1
        return piece.count
    }

    public var problems: [String] { recording.reader.problems.map(\.description) }

    public func timelineIndex(ofStoredFrame f: Int) -> Int { recording.timelineIndex(ofStoredFrame: f) }

    public func seconds(ofStoredFrame f: Int, sampleRate: Double) -> Double { Double(timelineIndex(ofStoredFrame: f)) / sampleRate }

    public func endSeconds(sampleRate: Double) -> Double? {
        let count = recording.stream.sampleCount
        return count == 0 ? 0 : Double(timelineIndex(ofStoredFrame: count - 1) + 1) / sampleRate
    }

    public func forEachAnnotation(_ body: (Annotation) throws -> Void) throws {
        for annotation in recording.annotations { try body(annotation) }
    }
}
