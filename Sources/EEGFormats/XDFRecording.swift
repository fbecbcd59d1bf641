import EEGCore

/// An XDF file seen as one EEG recording: its EEG stream (the first numeric stream with
/// a regular rate typed "EEG", else the first with a regular rate, or the one named), placed on a timeline of samples from its first
/// timestamp, and the samples of every string stream (markers) as annotations on that
/// timeline — EEGKit's own annotation texts decode to their kinds (``AnnotationCodec``),
/// other programs' markers are kept as their text.
///
/// Timestamps are corrected with each stream's clock offsets first (a least-squares line
/// through the offsets, as LabRecorder's readers do; one offset is added as it is; none,
/// nothing), so markers from another computer land at the right sample. Frames are placed
/// against a linear fit of timestamp versus frame (``XDFTimelineFit``): a timestamp later
/// than the fitted time by more than the tolerance (half a period for exact timestamps, up
/// to max(2 periods, 50 ms) for jittery or bursty ones) is a gap in time (frames not
/// recorded), sized from the fit; the frames after it are placed as EDF+D records are.
/// Markers are placed on the fitted timeline.
///
/// Opening reads the EEG stream's timestamps once (one chunk in memory at a time) and
/// every marker (at most ``maxMarkers``).
public final class XDFRecording {
    /// Frames that follow each other in time: stored frames from `storedStart` on sit at
    /// timeline positions from `timelineStart` on.
    public struct Run: Sendable, Equatable {
        public let storedStart: Int
        public let timelineStart: Int
    }

    /// A part of one samples chunk lying within one run: what a frame source hands out.
    public struct Piece: Sendable, Equatable {
        public let chunk: Int
        public let firstSample: Int
        public let count: Int
    }

    public static let maxMarkers = 1_000_000

    public let reader: XDFReader
    public let stream: XDFReader.Stream
    public var sampleRate: Double { stream.info.nominalRate }
    /// The EEG stream's first timestamp, clock offsets applied.
    public private(set) var firstTimestamp = 0.0
    /// The fitted time of each run's first frame (the first is the timeline's zero) and
    /// the fitted seconds per frame (``XDFTimelineFit``).
    public private(set) var fittedStarts: [Double] = []
    public private(set) var fittedPeriod = 0.0
    public private(set) var runs: [Run] = []
    public private(set) var pieces: [Piece] = []
    /// Markers as annotations, by onset; onsets before the first EEG frame are 0.
    public private(set) var annotations: [Annotation] = []

    /// The types of the streams a session records beside its EEG (metrics, aux
    /// channels): never read as EEG while another regular numeric stream is there.
    static let companionTypes: Set<String> = ["Metrics", "Aux"]

    /// - Parameter streamName: the stream to read as EEG; nil for the first numeric stream typed "EEG" with a regular rate, else the first numeric
    ///   stream with a regular rate that is not typed "Metrics" or "Aux", else the first numeric stream with a regular rate.
    /// - Throws: ``XDFError`` (`streamNotFound` when no stream fits, or any kind the
    ///   file's chunks give).
    public convenience init(path: String, streamName: String? = nil) throws(XDFError) {
        try self.init(reader: XDFReader(path: path), streamName: streamName)
    }

    public init(reader: XDFReader, streamName: String? = nil) throws(XDFError) {
        self.reader = reader
        let candidates = reader.streams.filter { $0.info.channelFormat != .string && $0.info.nominalRate > 0 && $0.info.channelCount > 0 }
        // LabRecorder writes streams in the order it found them: prefer the one typed EEG,
        // then one that is not a session's metrics or aux stream (EEGKit's `NAME-metrics`,
        // `NAME-aux` beside an EEG stream typed otherwise with --lsl-type).
        let preferred = candidates.first { $0.info.type == "EEG" }
            ?? candidates.first { !Self.companionTypes.contains($0.info.type) } ?? candidates.first
        guard let chosen = streamName.map({ name in candidates.first { $0.info.name == name } }) ?? preferred else {
            let names = reader.streams.map { "'\($0.info.name)' (\($0.info.channelFormat.rawValue), \($0.info.nominalRate) Hz)" }.joined(separator: ", ")
            throw XDFError(.streamNotFound, path: reader.path, streamName.map { "no numeric stream with a regular rate named '\($0)'; streams: \(names)" }
                ?? "no numeric stream with a regular rate to read as EEG; streams: \(names.isEmpty ? "none" : names)")
        }
        // The timeline's arithmetic (positions up to maxSeconds × rate) stays far inside Int.
        guard chosen.info.nominalRate <= EDFLimits.maxSampleRate else {
            throw XDFError(.badHeader, path: reader.path, offset: chosen.headerOffset,
                           "stream '\(chosen.info.name)' states \(chosen.info.nominalRate) Hz, beyond the \(Int(EDFLimits.maxSampleRate)) Hz a signal may have")
        }
        stream = chosen
        try placeFrames()
        try readMarkers()
    }

    /// The timeline position of stored frame `f`.
    public func timelineIndex(ofStoredFrame f: Int) -> Int {
        guard !runs.isEmpty else { return f }
        let run = runs[Self.lastIndex(below: runs.count) { runs[$0].storedStart <= f }]
        return run.timelineStart + f - run.storedStart
    }

    /// The last index in `0..<count` (count ≥ 1) for which `isAtOrBefore` holds, given it
    /// holds for a prefix; 0 when it holds for none. Binary search: a hostile file can have
    /// a million runs and a million markers.
    static func lastIndex(below count: Int, where isAtOrBefore: (Int) -> Bool) -> Int {
        var lo = 0, hi = count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if isAtOrBefore(mid) { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The gaps in time between runs: `frames` missing before timeline position
    /// `beforeSampleIndex`, cause ``SampleLossCause/notRecorded``.
    public var gaps: [FrameGap] {
        zip(runs, runs.dropFirst()).map { previous, run in
            let end = previous.timelineStart + run.storedStart - previous.storedStart
            return FrameGap(frames: run.timelineStart - end, beforeSampleIndex: Int64(run.timelineStart), cause: .notRecorded)
        }
    }

    /// Reads every EEG timestamp once: finds the runs (``XDFTimelineFit``), cuts chunks
    /// into pieces, then places the runs on the timeline, each gap sized from the fit.
    private func placeFrames() throws(XDFError) {
        let correct = Self.correction(stream.clockOffsets)
        var fit = XDFTimelineFit(rate: sampleRate)
        var stamps: [Double] = []
        var last = 0.0, first = true
        for (c, chunk) in stream.chunks.enumerated() {
            try reader.decodeTimestamps(chunk, of: stream, last: &last, timestamps: &stamps)
            var pieceStart = 0
            for (i, raw) in stamps.enumerated() {
                let t = correct(raw)
                guard t.isFinite else {
                    throw XDFError(.badSamples, path: reader.path, offset: chunk.offset, "timestamp \(raw) is not finite once its clock offsets are applied")
                }
                if first { firstTimestamp = t; first = false }
                if fit.add(t), i > pieceStart {
                    pieces.append(Piece(chunk: c, firstSample: pieceStart, count: i - pieceStart))
                    pieceStart = i
                }
            }
            if stamps.count > pieceStart { pieces.append(Piece(chunk: c, firstSample: pieceStart, count: stamps.count - pieceStart)) }
        }
        try placeRuns(fit)
    }

    /// Each run's timeline start: the previous run's end plus the frames that fit between
    /// their fitted starts (at least one: the fit found a gap there).
    private func placeRuns(_ fit: XDFTimelineFit) throws(XDFError) {
        let (period, starts) = fit.finish()
        fittedPeriod = period
        fittedStarts = starts
        let limit = EDFLimits.maxSeconds * sampleRate
        var timeline = 0
        for (j, run) in fit.runs.enumerated() {
            if j > 0 {
                let previous = fit.runs[j - 1]
                let missing = max(1, ((starts[j] - starts[j - 1]) / period).rounded() - previous.n)
                guard Double(timeline) + missing < limit, let frames = CheckedNumber.roundedInt(missing) else {
                    throw XDFError(.badSamples, path: reader.path, offset: stream.headerOffset, "a gap of \(starts[j] - starts[j - 1]) s: beyond the \(EDFLimits.maxSeconds) s a recording may span")
                }
                timeline += frames
            }
            runs.append(Run(storedStart: run.storedStart, timelineStart: timeline))
            timeline += Int(run.n)
        }
    }

    /// Seconds from the timeline's start of time `t` (the recording computer's clock): from
    /// the fitted start of the run it falls in (or after), at the fitted period.
    func onset(of t: Double) -> Double {
        guard !fittedStarts.isEmpty else { return 0 }
        let j = Self.lastIndex(below: fittedStarts.count) { fittedStarts[$0] <= t }
        let position = Double(runs[j].timelineStart) + (t - fittedStarts[j]) / fittedPeriod
        let seconds = position / sampleRate
        // Microseconds: no stamp is more precise, and exact stamps give exact onsets.
        return seconds.isFinite ? min(max((seconds * 1e6).rounded() / 1e6, 0), EDFLimits.maxSeconds) : 0
    }

    /// Every string stream's samples, as annotations on the EEG timeline.
    private func readMarkers() throws(XDFError) {
        var markers: [Annotation] = []
        for marker in reader.streams where marker.info.channelFormat == .string {
            let correct = Self.correction(marker.clockOffsets)
            var last = 0.0
            for chunk in marker.chunks {
                guard markers.count + chunk.sampleCount <= Self.maxMarkers else {
                    throw XDFError(.tooLarge, path: reader.path, offset: chunk.offset, "more than \(Self.maxMarkers) markers")
                }
                for sample in try reader.decodeStrings(chunk, of: marker, last: &last) {
                    let onset = onset(of: correct(sample.timestamp))
                    let text = sample.strings.joined(separator: ", ")
                    var annotation = Annotation(onset: onset, text: text)
                    if case .samplesLost(let count, _) = annotation.kind { annotation.duration = Double(count) / sampleRate }
                    markers.append(annotation)
                }
            }
        }
        // Stable: markers at the same time keep their file order.
        annotations = markers.enumerated().sorted { ($0.element.onset, $0.offset) < ($1.element.onset, $1.offset) }.map(\.element)
    }

    /// A stream's timestamps on the recording computer's clock: `t + a + b·t` for the
    /// least-squares line `offset = a + b·time` through its clock offsets.
    static func correction(_ offsets: [(time: Double, value: Double)]) -> (Double) -> Double {
        guard !offsets.isEmpty else { return { $0 } }
        let n = Double(offsets.count)
        let meanTime = offsets.reduce(0) { $0 + $1.time } / n
        let meanValue = offsets.reduce(0) { $0 + $1.value } / n
        let spread = offsets.reduce(0) { $0 + ($1.time - meanTime) * ($1.time - meanTime) }
        guard spread > 0, spread.isFinite else { return { $0 + meanValue } }
        let slope = offsets.reduce(0) { $0 + ($1.time - meanTime) * ($1.value - meanValue) } / spread
        let intercept = meanValue - slope * meanTime
        guard slope.isFinite, intercept.isFinite else { return { $0 + meanValue } }
        return { $0 + intercept + slope * $0 }
    }
}
