import EEGCore

/// A recording written as XDF: the EEG stream (float32 in the layout's unit, its nominal
/// rate, the channel labels in the header), the live metrics (one float32 sample per
/// analyzer hop) and a string markers stream carrying every annotation (markers, lost
/// samples, device events, start and end) at its time, in one file; with aux channels
/// (``StreamLayout/auxiliary``) a fourth float32 stream holds every frame's aux values
/// at the EEG sample's timestamp. The stream headers are given (``SessionStreamInfos``):
/// the same the session's LSL outlets serve.
///
/// Timestamps come from one ``RecordingClock`` for all three streams (the session's
/// de-jittered clock when it publishes LSL, so a sample's XDF and LSL stamps are equal). Lost frames are
/// not written as filler: the next frame's stored timestamp jumps over them (as
/// LabRecorder's files do) and a `samplesLost` marker says how many and why.
///
/// Crash tolerance, as far as the format allows: every batch of frames, every metric
/// sample and every marker is a chunk written at once; every ``boundarySeconds`` of
/// signal a boundary chunk is written and the file flushed to disk, so a crash loses at
/// most the last unflushed seconds and leaves whole chunks before them (footers, which
/// only summarise, are written by ``close()``).
///
/// Not thread-safe: one consumer thread writes. Appending frames does not allocate once
/// the chunk buffer has grown to the largest batch.
public final class XDFRecordingSink: RecordingSink {
    /// The stream ids in the file.
    public enum StreamID {
        public static let eeg: UInt32 = 1
        public static let metrics: UInt32 = 2
        public static let markers: UInt32 = 3
        /// Written only when the streams have an aux stream.
        public static let aux: UInt32 = 4
    }

    /// Seconds of signal between boundary chunks (each followed by a flush to disk).
    public static let boundarySeconds = 2.0

    public let writer: XDFWriter
    public let layout: StreamLayout
    public let metricNames: [String]
    /// Values per frame of the aux stream (0: no aux stream).
    public let auxiliaryCount: Int
    private let clock: any RecordingClock
    private var frames: Int64 = 0
    /// The timestamps of the batch being appended (grows to the largest batch, once).
    private var stamps: [Double] = []
    private var nextBoundary: Int64
    private var summaries: [UInt32: (first: Double, last: Double, count: Int)] = [:]
    /// A marker that could not be written (``annotate(_:essential:)`` cannot throw):
    /// thrown by the next append or close.
    private var pendingFailure: WriteError?
    /// Annotations made before the first frame: written once it anchors the clock, so no
    /// timestamp is taken before the device delivers.
    private var beforeFirstFrame: [Annotation] = []
    private var anchored = false
    private var closed = false

    public var path: String { writer.path }
    public var duration: Double { Double(frames) / layout.sampleRate }
    public var clippedSamples: Int { 0 }
    public var bytesWritten: Int { writer.bytesWritten }

    /// Creates the file and writes the file header and the three stream headers.
    ///
    /// - Parameters:
    ///   - streams: the stream headers, as the session's LSL outlets describe them
    ///     (EEGKit's `SessionStreamInfos.make`): the EEG stream's channel count and rate
    ///     must be the layout's, the metrics stream (if any) float32, the aux stream (if
    ///     any) float32 with one channel per ``StreamLayout/auxiliary`` signal.
    ///   - clock: the timestamps (default: the monotonic clock at the first frame, plus
    ///     the frame's position over the rate). Every EEG frame's timestamp is kept as the
    ///     clock gives it (stored only where it is not the previous one + 1 / rate).
    /// - Throws: ``XDFError`` (the file exists, cannot be created, or the rate is not a
    ///   positive finite number), ``WriteError`` for the headers.
    public init(path: String, layout: StreamLayout, streams: SessionStreamInfos, overwrite: Bool,
                clock: (any RecordingClock)? = nil) throws {
        guard layout.sampleRate.isFinite, layout.sampleRate > 0, layout.channelCount > 0 else {
            throw XDFError(.invalidSpec, path: path, "an XDF recording needs channels and a positive rate, not \(layout.channelCount) channels at \(layout.sampleRate) Hz")
        }
        precondition(streams.eeg.channelCount == layout.channelCount && streams.eeg.nominalRate == layout.sampleRate
                     && streams.eeg.channelFormat == .float32 && (streams.metrics?.channelFormat ?? .float32) == .float32,
                     "the EEG stream header must describe the layout as float32, the metrics float32")
        precondition(streams.aux.map { $0.channelFormat == .float32 && $0.channelCount == layout.auxiliary.count } ?? true,
                     "the aux stream header must have one float32 channel per aux signal")
        self.layout = layout
        metricNames = streams.metrics?.channels.map(\.label) ?? []
        auxiliaryCount = streams.aux?.channelCount ?? 0
        self.clock = clock ?? AnchoredMonotonicClock(sampleRate: layout.sampleRate)
        nextBoundary = Int64((Self.boundarySeconds * layout.sampleRate).rounded(.up))
        writer = try XDFWriter(path: path, overwrite: overwrite)
        let created = self.clock.now()
        var headers = [(StreamID.eeg, streams.eeg)]
        if let metrics = streams.metrics { headers.append((StreamID.metrics, metrics)) }
        headers.append((StreamID.markers, streams.markers))
        if let aux = streams.aux { headers.append((StreamID.aux, aux)) }
        for (id, var info) in headers {
            info.createdAt = created
            try writer.writeStreamHeader(id: id, xml: info.xml(includingDescription: true))
        }
        try writer.sync()
    }

    /// Float32 holds every float32 value as it is: nothing to change.
    public func storedValues(_ samples: UnsafeMutableBufferPointer<Float>) {}

    public func append(_ frames: UnsafeBufferPointer<Float>) throws(WriteError) {
        try append(frames, auxiliary: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Appends frames and, when the file has an aux stream and `auxiliary` holds
    /// ``auxiliaryCount`` values per frame, one aux sample per frame with the frame's
    /// timestamp (a chunk right after the EEG chunk). Frames given without aux values get
    /// no aux samples: nothing is invented.
    public func append(_ frames: UnsafeBufferPointer<Float>, auxiliary: UnsafeBufferPointer<Float>) throws(WriteError) {
        if let pendingFailure { throw pendingFailure }
        let channels = layout.channelCount
        precondition(frames.count % channels == 0, "not a whole number of frames")
        let count = frames.count / channels
        guard count > 0 else { return }
        stamps.removeAll(keepingCapacity: true)
        for f in 0..<Int64(count) { stamps.append(clock.timestamp(ofFrame: self.frames + f)) }
        if !anchored { try anchor() }
        try stamps.withUnsafeBufferPointer { stamps throws(WriteError) in
            try writer.writeSamples(id: StreamID.eeg, frames: frames, channels: channels, timestamps: stamps, step: 1 / layout.sampleRate)
            if auxiliaryCount > 0 && !auxiliary.isEmpty {
                precondition(auxiliary.count == count * auxiliaryCount, "one value per aux signal per frame")
                try writer.writeSamples(id: StreamID.aux, frames: auxiliary, channels: auxiliaryCount, timestamps: stamps, step: 1 / layout.sampleRate)
            }
        }
        self.frames += Int64(count)
        note(StreamID.eeg, first: stamps[0], last: stamps[count - 1], count: count)
        if auxiliaryCount > 0 && !auxiliary.isEmpty { note(StreamID.aux, first: stamps[0], last: stamps[count - 1], count: count) }
        if self.frames >= nextBoundary {
            nextBoundary = self.frames + Int64((Self.boundarySeconds * layout.sampleRate).rounded(.up))
            try writer.writeBoundary()
            try writer.sync()
        }
    }

    /// Moves the end on by `frames` (no filler: the next frame's timestamp jumps) and
    /// marks the loss in the markers stream.
    public func gap(frames: Int, cause: SampleLossCause) throws(WriteError) {
        if let pendingFailure { throw pendingFailure }
        guard frames > 0 else { return }
        annotate(Annotation(onset: duration, duration: Double(frames) / layout.sampleRate, kind: .samplesLost(count: frames, cause: cause)), essential: true)
        self.frames += Int64(frames)
        if let pendingFailure { throw pendingFailure }
    }

    /// Writes the annotation's text (``AnnotationCodec``) as a marker at its onset's
    /// timestamp. Markers have no duration in XDF: a loss's span follows from its count.
    @discardableResult
    public func annotate(_ annotation: Annotation, essential: Bool) -> AnnotationStorage {
        guard !closed, pendingFailure == nil else { return .dropped }
        guard anchored else {
            beforeFirstFrame.append(annotation)
            return .whole
        }
        let time = timestamp(atSecond: annotation.onset)
        do {
            try writer.writeSample(id: StreamID.markers, strings: [annotation.text], timestamp: time)
            note(StreamID.markers, first: time, last: time, count: 1)
            return .whole
        } catch {
            pendingFailure = error
            return .dropped
        }
    }

    /// The timestamp of a point `seconds` into the recording (gaps included): the clock's
    /// stamp of the frame there, and between two frames the same fraction of the way
    /// between their stamps.
    private func timestamp(atSecond seconds: Double) -> Double {
        let position = seconds * layout.sampleRate
        // Onsets come from frame counts; anything else (not finite, negative, past Int64)
        // is placed at the current end rather than trapping.
        guard position.isFinite, position >= 0, position < 1e15 else { return clock.timestamp(ofFrame: frames) }
        // Onsets are frame counts over the rate: a position within rounding of a frame is it.
        let nearest = position.rounded()
        let frame = abs(position - nearest) < 1e-6 ? Int64(nearest) : Int64(position.rounded(.down))
        let fraction = max(0, position - Double(frame))
        let at = clock.timestamp(ofFrame: frame)
        return fraction == 0 ? at : at + fraction * (clock.timestamp(ofFrame: frame + 1) - at)
    }

    /// Writes one metrics sample (values in ``metricNames`` order, NaN where a metric is
    /// unavailable) at the timestamp of recording frame `frame`.
    public func appendMetrics(_ values: UnsafeBufferPointer<Float>, atFrame frame: Int64) throws(WriteError) {
        if let pendingFailure { throw pendingFailure }
        guard !metricNames.isEmpty else { return }
        precondition(values.count == metricNames.count, "\(values.count) metric values for \(metricNames.count) metrics")
        let time = clock.timestamp(ofFrame: frame)
        try writer.writeSample(id: StreamID.metrics, values: values, timestamp: time)
        note(StreamID.metrics, first: time, last: time, count: 1)
    }

    /// The clock is anchored (by the first frame, or now at a close with none): writes the
    /// annotations that waited for it.
    private func anchor() throws(WriteError) {
        anchored = true
        let waiting = beforeFirstFrame
        beforeFirstFrame = []
        for annotation in waiting { annotate(annotation, essential: true) }
        if let pendingFailure { throw pendingFailure }
    }

    private func note(_ id: UInt32, first: Double, last: Double, count: Int) {
        let old = summaries[id] ?? (first, last, 0)
        summaries[id] = (old.first, last, old.count + count)
    }

    public func discard() {
        guard !closed else { return }
        closed = true
        if frames == 0 { writer.discard() } else { try? writer.close() }
    }

    /// Writes each stream's footer (first and last timestamp, sample count) and flushes.
    public func close() throws(WriteError) {
        guard !closed else { return }
        if !anchored {
            _ = clock.timestamp(ofFrame: frames)
            try? anchor()
        }
        closed = true
        if let pendingFailure { try? writer.close(); throw pendingFailure }
        var ids = [StreamID.eeg, StreamID.markers]
        if !metricNames.isEmpty { ids.insert(StreamID.metrics, at: 1) }
        if auxiliaryCount > 0 { ids.append(StreamID.aux) }
        for id in ids {
            let s = summaries[id] ?? (0, 0, 0)
            try writer.writeStreamFooter(id: id, xml: Self.footer(first: s.first, last: s.last, count: s.count))
        }
        try writer.writeBoundary()
        try writer.close()
    }

    /// A stream footer's `<info>`: first and last timestamp (in StreamInfo's number
    /// notation) and the sample count.
    static func footer(first: Double, last: Double, count: Int) -> String {
        "<?xml version=\"1.0\"?>\n<info><first_timestamp>\(StreamInfo.number(first))</first_timestamp>"
            + "<last_timestamp>\(StreamInfo.number(last))</last_timestamp><sample_count>\(count)</sample_count></info>"
    }
}
