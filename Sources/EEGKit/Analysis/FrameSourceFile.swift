import EEGFormats
import Foundation

/// A file opened for `eeg analyze`: a ``FrameSource`` (EDF/BDF, or raw float32 with the
/// rate and channel count given) with what analysis needs up front — its rate, labels,
/// length, the first annotations, the spans of lost samples and the EDF+D gaps.
final class FrameSourceFile {
    /// The file's stream: its labels (stated, given, or `ch1…chN`), rate and full scale.
    let layout: StreamLayout
    var sampleRate: Double { layout.sampleRate }
    var labels: [String] { layout.labels }
    let channelCount: Int
    let frameCount: Int
    /// The first ``FileAnalyzer/keptAnnotations`` annotations.
    let annotations: [Annotation]
    let omittedAnnotations: Int
    /// The spans of ``AnnotationKind/samplesLost(count:cause:)`` annotations, in seconds, merged.
    let lostSpans: TimeSpans
    /// The spans of ``AnnotationKind/padding`` annotations (the zeros that fill a
    /// recording's last record), in seconds, merged.
    let paddingSpans: TimeSpans
    let gaps: [EDFReader.RecordGap]
    /// ``FrameSource/problems``: what was wrong but did not stop the reading.
    let problems: [String]
    private var source: any FrameSource

    init(path: String, options: AnalysisOptions) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError.cannotOpen(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw InputError.isDirectory(path: path) }
        // As --input-format says; else EDF unless the name says otherwise and a rate for
        // raw float32 was given.
        let byName = FrameSourceFormat(path: path)
        let format: FrameSourceFormat = options.inputFormat ?? (byName == .xdf ? .xdf : byName == .edf || options.rawSampleRate == nil ? .edf : .f32)
        let isEDF = format.statesLayout
        if options.stream != nil && format != .xdf { throw AnalysisError(path: path, reason: "--stream chooses a stream of an XDF file, and this is not one") }
        if !isEDF, options.rawChannelCount == nil || options.rawSampleRate == nil {
            throw AnalysisError(path: path, reason: "float32 input needs --rate and --channel-count")
        }
        // The annotations are read below, before any output: one pass over the file, not two.
        source = try (isEDF ? format : .f32).open(path, channels: options.rawChannelCount, checkingLiveRate: false,
                                                                 checkingAnnotations: false, stream: options.stream)
        channelCount = source.channelCount
        if !isEDF, let given = options.rawLabels, given.count != channelCount { throw InputError.labelCount(labels: given.count, channels: channelCount) }
        layout = source.layout(sampleRate: options.rawSampleRate, labels: source.labels ?? options.rawLabels, source: path)
        frameCount = source.storedFrameCount ?? 0
        var kept: [Annotation] = [], total = 0
        var lost: [(Double, Double)] = [], padding: [(Double, Double)] = []
        try source.forEachAnnotation { a in
            total += 1
            if kept.count < FileAnalyzer.keptAnnotations { kept.append(a) }
            guard a.kind.marksFillerSamples else { return }
            let span = (a.onset, a.onset + (a.duration ?? 0))
            if case .padding = a.kind { padding.append(span) } else { lost.append(span) }
        }
        annotations = kept
        omittedAnnotations = total - kept.count
        lostSpans = TimeSpans(lost)
        paddingSpans = TimeSpans(padding)
        gaps = source.recordGaps
        problems = source.problems
    }

    /// Seconds from the file's start of frame `f` (stored frames; EDF+D records are
    /// placed by their time-keeping annotations).
    func time(ofFrame f: Int) -> Double { source.seconds(ofStoredFrame: f, sampleRate: sampleRate) }

    /// Whether stored frames `a` to `b` follow each other in time (no EDF+D gap between).
    func isContiguous(_ a: Int, _ b: Int) -> Bool {
        guard !gaps.isEmpty, b > a else { return true }
        return source.timelineIndex(ofStoredFrame: b) - source.timelineIndex(ofStoredFrame: a) == b - a
    }

    /// Appends the next chunk's channels `channels` to `frames` (EDF/BDF decode straight
    /// into it); returns its frames, 0 at the end.
    func next(channels: [Int], to frames: PlanarFrames) throws -> Int { try source.appendNextChunk(channels: channels, to: frames) }
}
