import Foundation

/// EDF/BDF records as a ``FrameReader`` (for `eeg bandpower FILE.edf`).
public struct EDFFrameReader: FrameReader {
    public let reader: EDFReader
    private var next = 0

    /// - Throws: ``EDFError`` for a malformed file, or for an EDF+D file with gaps:
    ///   band powers over the whole input would stitch across them.
    public init(path: String) throws {
        reader = try EDFReader(path: path)
        try checkSamplesPerSecond(reader)
        // Annotations are not used here, but a malformed file is refused by every command.
        try reader.forEachAnnotation { _ in }
        let gaps = reader.gaps
        if let gap = gaps.first {
            throw EDFError.unsupported(path: path, reason: "is discontinuous (EDF+D) with \(gaps.count) gap\(gaps.count == 1 ? "" : "s"), the first of \(gap.seconds) s before data record \(gap.record); band powers over the whole input would stitch across them — use 'eeg analyze', which treats them as gaps")
        }
    }

    public var channelCount: Int { reader.channelCount }
    public var labels: [String]? { reader.channelLabels }

    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        guard next < reader.recordCount else { return 0 }
        buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
        do {
            _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(next, into: $0) }
        } catch {
            throw .readFailed(source: reader.path, reason: "\(error)")
        }
        next += 1
        return reader.framesPerRecord
    }
}

/// Samples per second over all channels that replay and band powers take from a file.
/// Their buffers are sized by rate × channels (the ring holds 8 s, the analyzer two 4 s
/// windows, a Welch sum one bin per 0.5 Hz per channel), not by the file's size, so a
/// header claiming 4096 channels at 1 MHz must be refused before they are made.
public let maxFileSamplesPerSecond = 4_194_304.0

func checkSamplesPerSecond(_ reader: EDFReader) throws(EDFError) {
    let total = reader.sampleRate * Double(reader.channelCount)
    guard total <= maxFileSamplesPerSecond else {
        throw .unsupported(path: reader.path, reason: "\(reader.channelCount) channels at \(String(format: "%.6g", reader.sampleRate)) Hz are \(String(format: "%.6g", total)) samples per second, more than the \(Int(maxFileSamplesPerSecond)) the live pipeline takes")
    }
}
