import EEGDevices
import Foundation
import Synchronization

/// A recording played back as a device: frames of any ``FrameSource`` (EDF/BDF, CSV,
/// float32) go into the ring paced by the file's own clock (`speed` × real time, or as
/// fast as the consumer takes them), through the same pipeline as a live stream.
///
/// Sample indices are positions on the recording's timeline (samples from the file's
/// start): frame numbers for a continuous file; after an EDF+D gap they jump by the
/// samples the gap spans, so the pipeline sees a gap, never a stitch. Spans annotated as
/// filler (``AnnotationKind/marksFillerSamples``: lost samples, the padding after the
/// end) are not played: the replay has the same gaps as the live session, so it computes
/// the same metrics.
public final class FileReplayDevice: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: the source is used by the device thread only, after start.
    public let layout: StreamLayout
    public let speed: Double
    private var source: any FrameSource
    /// Timeline positions (samples from the file's start) to play: `[first, end)`.
    private let first: Int
    private let end: Int
    /// Timeline spans annotated as filler: sorted, disjoint.
    private let skipped: [Range<Int>]
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let stateCode = Atomic<Int>(0)
    /// Set by the replay thread before it finishes the ring; read after `stop`.
    private let failureLock = NSLock()
    private var readFailure: (any Error)?

    public var name: String { layout.source }
    /// What was wrong with the file but did not stop its reading (``FrameSource/problems``),
    /// read when the device was made: for the caller to show as warnings.
    public let problems: [String]

    /// Replays an EDF/BDF file (EDF+D gaps included).
    ///
    /// - Parameters:
    ///   - speed: 1 for real time; `.infinity` for as fast as possible.
    ///   - from, to: seconds from the start of the file (its timeline: an EDF+D gap
    ///     counts as the time it spans, but is not waited for).
    public convenience init(path: String, speed: Double = 1, from: Double? = nil, to: Double? = nil) throws {
        try self.init(source: EDFFrameReader(path: path, allowingGaps: true), name: "replay of \(path)", speed: speed, from: from, to: to)
    }

    /// Replays `source`; `sampleRate` and `labels` are used where the source does not
    /// state its own (CSV, float32).
    ///
    /// - Throws: ``EDFError`` when the rate is missing or too high for the live pipeline,
    ///   when nothing lies between `from` and `to`, or for a malformed annotation.
    public init(source: any FrameSource, name: String, sampleRate: Double? = nil, labels: [String]? = nil,
                speed: Double = 1, from: Double? = nil, to: Double? = nil) throws {
        let layout = source.layout(sampleRate: sampleRate, labels: labels, source: name)
        try checkSamplesPerSecond(rate: layout.sampleRate, channels: layout.channelCount, path: name)
        self.layout = layout
        self.source = source
        problems = source.problems
        self.speed = speed
        let rate = layout.sampleRate
        let count = source.storedFrameCount
        // Unknown length (CSV): played to its end, or to `to`.
        let last = count.map { $0 == 0 ? 0 : source.timelineIndex(ofStoredFrame: $0 - 1) + 1 } ?? Int.max / 4
        // User seconds × the file's rate: clamped, never trapping, whatever was typed.
        first = max(count == 0 ? 0 : source.timelineIndex(ofStoredFrame: 0), CheckedNumber.roundedInt((from ?? 0) * rate, clampedTo: 0...last))
        end = min(last, to.map { CheckedNumber.roundedInt($0 * rate, clampedTo: 0...last) } ?? last)
        guard first < end else {
            let ends = source.endSeconds(sampleRate: rate).map { " (the file's records end at \($0) s)" } ?? ""
            throw EDFError.invalidSpec("nothing to replay between \(from ?? 0) s and \(to.map { "\($0) s" } ?? "the end")\(ends)")
        }
        skipped = try Self.skippedSpans(source, rate: rate)
    }

    /// The spans of lost samples and padding (``AnnotationKind/marksFillerSamples``), as
    /// timeline positions, merged. Streamed from the file: memory is one range per span.
    static func skippedSpans(_ source: any FrameSource, rate: Double) throws -> [Range<Int>] {
        var spans: [Range<Int>] = []
        try source.forEachAnnotation { a in
            guard a.kind.marksFillerSamples, let d = a.duration,
                  let start = CheckedNumber.roundedInt(a.onset * rate), let length = CheckedNumber.roundedInt(d * rate), length > 0 else { return }
            spans.append(start..<(start + length))  // onset, duration ≤ 1e9 s and rate ≤ 1e6 Hz: no overflow
        }
        return mergedSpans(spans)
    }

    /// Sorted, overlapping or touching spans joined.
    static func mergedSpans(_ spans: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for span in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, span.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        return merged
    }

    public var state: DeviceState { stateCode.load(ordering: .acquiring) == 1 ? .streaming : .closed }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stateCode.store(1, ordering: .releasing)
        let thread = Thread { [self] in
            do {
                try play(producer)
            } catch {
                // The file's fault, not a device's: the session rethrows it once the
                // frames before it are out, so the command exits with its kind.
                failureLock.withLock { readFailure = error }
            }
            stateCode.store(0, ordering: .releasing)
            producer.finish()
            finished.signal()
        }
        thread.name = "eeg-replay"
        thread.start()
    }

    private var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Why the replay stopped before the end asked for: a record or line that could not
    /// be read (``EDFError``, ``InputError``).
    public var failure: (any Error)? { failureLock.withLock { readFailure } }

    /// Reads chunk after chunk from the first one holding `first` and pushes their
    /// playable runs.
    private func play(_ producer: FrameRing.Producer) throws {
        var chunk: [Float] = []
        var pacer: FramePacer?  // its clock starts at the first frame played
        var skips = SkippedSpans(skipped)
        var stored = try source.skip(toTimelineIndex: first)  // stored frame number of the chunk's first frame
        var firstPlayed: Int?
        while isRunning {
            // Nothing past `end` is read (a record there could fail to read).
            let base = source.timelineIndex(ofStoredFrame: stored)
            guard base < end, stored < source.storedFrameCount ?? Int.max else { return }
            let frames = try source.nextChunk(into: &chunk)
            guard frames > 0 else { return }
            try chunk.withUnsafeBufferPointer { samples in
                var i = 0
                while i < frames && isRunning {
                    let index = base + i
                    if index < first || index >= end || skips.contains(index) { i += 1; continue }
                    // The run of playable frames up to the next skip or the chunk's end, and
                    // at most a quarter of the ring, so that it fits (a CSV chunk holds
                    // thousands of frames) and real-time pacing stays fine-grained.
                    var stop = i + 1
                    let limit = min(frames, i + max(1, producer.capacity / 4))
                    while stop < limit, base + stop < end, !skips.contains(base + stop) { stop += 1 }
                    let origin = firstPlayed ?? (stored + i)
                    firstPlayed = origin
                    // Paced by frames stored in the file, so an EDF+D gap is not waited out.
                    let clock = pacer ?? FramePacer(sampleRate: sampleRate, speed: speed)
                    pacer = clock
                    clock.waitForTurn(played: Int64(stored + i - origin), frames: stop - i, producer: producer) { self.isRunning }
                    producer.push(UnsafeBufferPointer(rebasing: samples[(i * channelCount)..<(stop * channelCount)]), firstSampleIndex: Int64(index))
                    i = stop
                }
            }
            stored += frames
        }
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}

/// Timeline spans not to play, asked about positions in increasing order (each span is
/// passed once: the check does not grow with the number of spans behind).
struct SkippedSpans {
    private let spans: [Range<Int>]
    private var next = 0  // the first span not wholly behind the last position asked about

    init(_ spans: [Range<Int>]) { self.spans = spans }

    mutating func contains(_ index: Int) -> Bool {
        while next < spans.count && spans[next].upperBound <= index { next += 1 }
        return next < spans.count && spans[next].contains(index)
    }
}
