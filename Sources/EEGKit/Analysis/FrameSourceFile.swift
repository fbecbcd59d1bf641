import EEGFormats
import Foundation

/// Frames from an EDF/BDF file or raw float32, in chunks.
final class FrameSourceFile {
    let sampleRate: Double
    let labels: [String]
    let channelCount: Int
    let frameCount: Int
    /// The first ``FileAnalyzer/keptAnnotations`` annotations.
    let annotations: [Annotation]
    let omittedAnnotations: Int
    /// The spans of ``AnnotationKind/samplesLost(count:cause:)`` annotations, in seconds, merged.
    let lostSpans: TimeSpans
    let gaps: [EDFReader.RecordGap]
    private let edf: EDFReader?
    private var raw: RawFloat32Reader?
    private var nextRecord = 0

    init(path: String, options: AnalysisOptions) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError.cannotOpen(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw InputError.isDirectory(path: path) }
        let lower = path.lowercased()
        if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") || options.rawSampleRate == nil {
            let reader = try EDFReader(path: path)
            edf = reader
            sampleRate = reader.sampleRate
            labels = reader.channelLabels
            channelCount = reader.channelCount
            frameCount = reader.frameCount
            var kept: [Annotation] = [], total = 0
            var lost: [(Double, Double)] = []
            try reader.forEachAnnotation { a in
                total += 1
                if kept.count < FileAnalyzer.keptAnnotations { kept.append(a) }
                if case .samplesLost = a.kind { lost.append((a.onset, a.onset + (a.duration ?? 0))) }
            }
            annotations = kept
            omittedAnnotations = total - kept.count
            lostSpans = TimeSpans(lost)
            gaps = reader.gaps
        } else {
            guard let rate = options.rawSampleRate, let channels = options.rawChannelCount else {
                throw AnalysisError(path: path, reason: "raw float32 input needs --rate and --channels")
            }
            edf = nil
            let (handle, name) = try openInput(path)
            raw = RawFloat32Reader(handle: handle, name: name, channelCount: channels)
            sampleRate = rate
            labels = options.rawLabels ?? (1...channels).map { "ch\($0)" }
            channelCount = channels
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            frameCount = size / (4 * channels)
            annotations = []
            omittedAnnotations = 0
            lostSpans = TimeSpans([])
            gaps = []
        }
    }

    /// Seconds from the file's start of frame `f` (stored frames; EDF+D records are
    /// placed by their time-keeping annotations).
    func time(ofFrame f: Int) -> Double {
        guard let edf, edf.recordCount > 0 else { return Double(f) / sampleRate }
        let record = min(f / edf.framesPerRecord, edf.recordCount - 1)
        return edf.recordStart(record) + Double(f - record * edf.framesPerRecord) / sampleRate
    }

    /// Whether stored frames `a` to `b` follow each other in time (no EDF+D gap between).
    func isContiguous(_ a: Int, _ b: Int) -> Bool {
        guard let edf, !gaps.isEmpty, edf.recordCount > 0, b > a else { return true }
        let last = edf.recordCount - 1
        let ra = min(a / edf.framesPerRecord, last), rb = min(b / edf.framesPerRecord, last)
        return edf.recordFirstSample(rb) - edf.recordFirstSample(ra) == (rb - ra) * edf.framesPerRecord
    }

    func next(into chunk: inout [Float]) throws -> Int {
        if let edf {
            guard nextRecord < edf.recordCount else { return 0 }
            if chunk.count != edf.framesPerRecord * channelCount { chunk = [Float](repeating: 0, count: edf.framesPerRecord * channelCount) }
            try chunk.withUnsafeMutableBufferPointer { _ = try edf.readRecord(nextRecord, into: $0) }
            nextRecord += 1
            return edf.framesPerRecord
        }
        return try raw!.nextChunk(into: &chunk)
    }
}
