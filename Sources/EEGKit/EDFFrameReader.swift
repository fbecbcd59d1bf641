import Foundation

/// EDF/BDF records as a ``FrameSource``: a chunk per data record, placed on the timeline
/// by the records' start times (EDF+D), with the file's annotations.
public struct EDFFrameReader: FrameSource {
    public let reader: EDFReader
    private var next = 0

    /// - Parameter allowingGaps: accept an EDF+D file whose records leave gaps in time
    ///   (replay and analyze place frames on the timeline). Without it (band powers over
    ///   the whole input would stitch across them) such a file is refused.
    /// - Parameter checkingLiveRate: refuse more samples per second than the live
    ///   pipeline takes (``maxFileSamplesPerSecond``); offline analysis sizes its buffers
    ///   by epoch and does not need this.
    /// - Parameter checkingAnnotations: read every annotation now, so that a malformed one
    ///   is refused before any output. A caller that reads them all itself before its
    ///   first output (as `eeg analyze` does) passes false and saves a pass over the file.
    /// - Throws: ``EDFError`` for a malformed file, one with more samples per second than
    ///   the pipeline takes, or gaps not allowed.
    public init(path: String, allowingGaps: Bool = false, checkingLiveRate: Bool = true, checkingAnnotations: Bool = true) throws {
        reader = try EDFReader(path: path)
        if checkingLiveRate { try checkSamplesPerSecond(reader) }
        // A malformed annotation is refused by every command, before any output.
        if checkingAnnotations { try reader.forEachAnnotation { _ in } }
        let gaps = reader.gaps
        if !allowingGaps, let gap = gaps.first {
            throw EDFError.unsupported(path: path, reason: "is discontinuous (EDF+D) with \(gaps.count) gap\(gaps.count == 1 ? "" : "s"), the first of \(gap.seconds) s before data record \(gap.record); band powers over the whole input would stitch across them — use 'eeg analyze', which treats them as gaps")
        }
    }

    public var channelCount: Int { reader.channelCount }
    public var labels: [String]? { reader.channelLabels }
    public var statedSampleRate: Double? { reader.sampleRate }
    public var statedFullScale: Double? {
        reader.channelSignals.map { max(abs(reader.header.signals[$0].physicalMinimum), abs(reader.header.signals[$0].physicalMaximum)) }.max()
    }
    public var storedFrameCount: Int? { reader.frameCount }
    public var recordGaps: [EDFReader.RecordGap] { reader.gaps }

    public mutating func nextChunk(into buffer: inout [Float]) throws -> Int {
        guard next < reader.recordCount else { return 0 }
        let size = reader.framesPerRecord * reader.channelCount
        if buffer.count != size { buffer = [Float](repeating: 0, count: size) }
        _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(next, into: $0) }
        next += 1
        return reader.framesPerRecord
    }

    /// Decodes the next record's channels straight into `frames`, one contiguous run per
    /// channel: no interleaved copy in between.
    public mutating func appendNextChunk(channels: [Int], to frames: PlanarFrames) throws -> Int {
        precondition(channels.count == frames.channelCount, "\(channels.count) channels into \(frames.channelCount)")
        guard next < reader.recordCount else { return 0 }
        let perRecord = reader.framesPerRecord
        let (start, stride) = frames.reserve(appending: perRecord)
        try reader.readRecord(next, channels: channels, into: start, channelStride: stride)
        frames.didAppend(perRecord)
        next += 1
        return perRecord
    }

    /// The record holding stored frame `f` (the last one for frames past the end).
    private func record(of f: Int) -> Int { min(f / reader.framesPerRecord, reader.recordCount - 1) }

    public func timelineIndex(ofStoredFrame f: Int) -> Int {
        guard reader.recordCount > 0 else { return f }
        let r = record(of: f)
        return reader.recordFirstSample(r) + f - r * reader.framesPerRecord
    }

    /// From the record's time-keeping annotation: exact even where a record's start is
    /// not a whole number of samples.
    public func seconds(ofStoredFrame f: Int, sampleRate: Double) -> Double {
        guard reader.recordCount > 0 else { return Double(f) / sampleRate }
        let r = record(of: f)
        return reader.recordStart(r) + Double(f - r * reader.framesPerRecord) / sampleRate
    }

    public func endSeconds(sampleRate: Double) -> Double? { reader.endTime }

    public func forEachAnnotation(_ body: (Annotation) throws -> Void) throws {
        try reader.forEachAnnotation(body)
    }

    /// Jumps to the first record that holds a frame at or after `index` (binary search:
    /// record positions only grow).
    public mutating func skip(toTimelineIndex index: Int) throws -> Int {
        var lo = next, hi = max(next, reader.recordCount - 1)
        while lo < hi {
            let mid = (lo + hi) / 2
            if reader.recordFirstSample(mid) + reader.framesPerRecord <= index { lo = mid + 1 } else { hi = mid }
        }
        next = lo
        return lo * reader.framesPerRecord
    }
}

/// Samples per second over all channels that replay and band powers take from a file.
/// Their buffers are sized by rate × channels (the ring holds 8 s, the analyzer two 4 s
/// windows, a Welch sum one bin per 0.5 Hz per channel), not by the file's size, so a
/// header claiming 4096 channels at 1 MHz must be refused before they are made.
public let maxFileSamplesPerSecond = 4_194_304.0

func checkSamplesPerSecond(_ reader: EDFReader) throws(EDFError) {
    try checkSamplesPerSecond(rate: reader.sampleRate, channels: reader.channelCount, path: reader.path)
}

/// Refuses a stream of more than ``maxFileSamplesPerSecond`` samples per second, or a
/// rate that is not a positive finite number, read from `path`.
func checkSamplesPerSecond(rate: Double, channels: Int, path: String) throws(EDFError) {
    let total = rate * Double(channels)
    guard rate > 0, total <= maxFileSamplesPerSecond else {
        throw .unsupported(path: path, reason: "\(channels) channels at \(String(format: "%.6g", rate)) Hz are \(String(format: "%.6g", total)) samples per second, more than the \(Int(maxFileSamplesPerSecond)) the live pipeline takes")
    }
}
