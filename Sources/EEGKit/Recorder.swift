import Foundation

/// How to record a stream.
public struct RecordingOptions: Sendable {
    public var path: String
    public var overwrite = false
    /// EDF+/BDF+ patient field; a plain name becomes the name subfield ("X X X Name").
    public var patient: String?
    /// Free text for the equipment subfield of the EDF+ recording field.
    public var recording: String?
    /// EDF only: the physical range stored (µV). 16 bits over ±3276.7 µV give 0.1 µV steps;
    /// values outside are clipped and counted. BDF stores the device's full scale.
    public var edfRange = 3276.7
    /// XDF only: where the timestamps come from (default: the monotonic clock at the
    /// first frame, plus the frame's position over the rate). A session sets its own
    /// de-jittered clock here, shared with its LSL outlets.
    public var clock: (any RecordingClock & Sendable)?
    /// XDF only: the stream headers (default: ``SessionStreamInfos/make`` with the
    /// default names, ``sourceID`` and the default analyzer hop). A session sets the
    /// ones its LSL outlets serve.
    public var streams: SessionStreamInfos?
    /// XDF only: the streams' `source_id` when ``streams`` is not given (default: the
    /// layout's source); the CLI passes the device's stable LSL source id.
    public var sourceID: String?

    public init(path: String) { self.path = path }

    /// Whether the path names an XDF file (`.xdf`), which also records the live metrics.
    public var isXDF: Bool { path.lowercased().hasSuffix(".xdf") }
}

/// Writes frames to a recording (a ``RecordingSink``: EDF+ or BDF+, chosen by the path's
/// extension in ``RecordingFormat``) from the consumer side of the ring (never the device
/// thread). Gaps are found from jumps in the device sample index — ring drops, decoder
/// gaps, disconnects — and written as annotated filler spans, never stitched.
///
/// ``store(_:indices:droppedBefore:)`` replaces each value with the one the file holds,
/// so a live analyzer fed from it computes exactly what a replay of the file will.
public final class Recorder {
    public let sink: any RecordingSink
    /// Samples per frame.
    public let channelCount: Int
    private var expectedIndex: Int64?
    /// The device sample index of the recording's first frame (its frame 0).
    private(set) var originIndex: Int64?
    public private(set) var gapFrames = 0
    /// The sink that also records metrics (XDF), and a row of values for it.
    private let metricSink: XDFRecordingSink?
    private var metricRow: [Float]
    /// The XDF clock, told where the recording starts in device samples.
    private let clock: (any RecordingClock)?

    public init(options: RecordingOptions, layout: StreamLayout, start: Date = Date()) throws {
        sink = try RecordingFormat.sink(for: options, layout: layout, start: start)
        channelCount = layout.channelCount
        metricSink = sink as? XDFRecordingSink
        metricRow = [Float](repeating: .nan, count: metricSink == nil ? 0 : Metric.all.count)
        clock = options.clock
        sink.annotate(.recordingStarted(source: layout.source), onset: 0)
    }

    public convenience init(options: RecordingOptions, device: any EEGDevice, start: Date = Date()) throws {
        try self.init(options: options, layout: device.layout, start: start)
    }

    /// Seconds recorded so far.
    public var duration: Double { sink.duration }

    /// Sets the device sample index the recording starts at, if no frame was stored yet:
    /// frames missing between it and the first frame stored are then written as a gap.
    public func begin(atSampleIndex index: Int64) {
        if expectedIndex == nil { expectedIndex = index }
        if originIndex == nil {
            originIndex = index
            clock?.recordingBegins(atSampleIndex: index)
        }
    }

    /// Whether the recording keeps the live metrics too (XDF): the session then runs
    /// the analyzer even when it prints no metrics.
    public var recordsMetrics: Bool { metricSink != nil }

    /// Records one analyzer hop's metrics (as shown live: smoothed ratios and scores), at
    /// the recording's position of the window's last frame. Nothing for EDF/BDF.
    public func record(_ update: LiveAnalysis) throws {
        guard let metricSink, let origin = originIndex else { return }
        let shown = update.shownMetrics
        for (i, metric) in Metric.all.enumerated() { metricRow[i] = Float(shown[metric] ?? .nan) }
        try metricRow.withUnsafeBufferPointer { values in try metricSink.appendMetrics(values, atFrame: update.sampleIndex - origin) }
    }

    /// Writes `frames` lost frames at the current end (an annotated filler span): frames
    /// the stream knows are gone but that no later frame stored here reveals, such as
    /// ring drops at the very end or a gap cut by the end of the requested duration.
    public func lost(_ gap: FrameGap) throws {
        guard gap.frames > 0 else { return }
        gapFrames += gap.frames
        try sink.gap(frames: gap.frames, cause: gap.cause)
        if let expected = expectedIndex { expectedIndex = expected + Int64(gap.frames) }
    }

    static func lossCause(ringFull: Bool) -> SampleLossCause {
        ringFull ? .ringOverflow : .notReceived
    }

    /// Writes `count` frames: `samples` (interleaved, replaced in place by the stored
    /// values), their aux values (``StreamLayout/auxiliary``, interleaved; empty: none),
    /// their device sample indices and ring drop counts.
    public func store(_ samples: UnsafeMutableBufferPointer<Float>, auxiliary: UnsafeBufferPointer<Float> = .init(start: nil, count: 0),
                      indices: UnsafeBufferPointer<Int64>, droppedBefore: UnsafeBufferPointer<UInt32>) throws {
        let channels = channelCount
        let aux = Aux(values: auxiliary, width: indices.isEmpty ? 0 : auxiliary.count / indices.count)
        var runStart = 0
        for i in 0..<indices.count {
            if let expected = expectedIndex, indices[i] != expected {
                try flush(samples, aux, from: runStart, to: i, channels: channels)
                runStart = i
                let missing = Int(indices[i] - expected)
                if missing > 0 {
                    gapFrames += missing
                    try sink.gap(frames: missing, cause: Self.lossCause(ringFull: droppedBefore[i] > 0))
                }
            }
            expectedIndex = indices[i] + 1
        }
        try flush(samples, aux, from: runStart, to: indices.count, channels: channels)
    }

    /// A batch's aux values and how many per frame.
    private struct Aux {
        let values: UnsafeBufferPointer<Float>
        let width: Int
    }

    private func flush(_ samples: UnsafeMutableBufferPointer<Float>, _ aux: Aux, from: Int, to: Int, channels: Int) throws {
        guard to > from else { return }
        let run = UnsafeMutableBufferPointer(rebasing: samples[(from * channels)..<(to * channels)])
        sink.storedValues(run)
        if aux.width > 0 {
            try sink.append(UnsafeBufferPointer(run), auxiliary: UnsafeBufferPointer(rebasing: aux.values[(from * aux.width)..<(to * aux.width)]))
        } else {
            try sink.append(UnsafeBufferPointer(run))
        }
    }

    /// An annotation of `kind` at the current end of the recording. The result says
    /// whether it had to be split, truncated or dropped (see ``AnnotationStorage``); only
    /// kinds that ``AnnotationKind/mayBeDropped`` (markers) may be dropped, when they come
    /// faster than records can carry them.
    @discardableResult
    public func annotate(_ kind: AnnotationKind) -> AnnotationStorage {
        sink.annotate(kind)
    }

    /// Removes a recording the session never started (nothing written); see
    /// ``RecordingSink/discard()``.
    public func discard() { sink.discard() }

    public func close() throws {
        sink.annotate(.recordingEnded)
        try sink.close()
    }
}
