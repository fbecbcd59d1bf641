import EEGDevices
import Foundation
import Synchronization

/// A recording played back as a device: frames go into the ring paced by the file's own
/// clock (`speed` × real time, or as fast as the consumer takes them), through the same
/// pipeline as a live stream.
///
/// Sample indices are positions on the recording's timeline (samples from the file's
/// start): frame numbers for a continuous file; after an EDF+D gap they jump by the
/// samples the gap spans, so the pipeline sees a gap, never a stitch. Spans EEGKit wrote
/// for lost samples and the padding after the end are not played: the replay has the
/// same gaps as the live session, so it computes the same metrics.
public final class FileReplayDevice: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: the reader is used by the device thread only, after start.
    public let name: String
    public let channelCount: Int
    public let sampleRate: Double
    public let channelLabels: [String]
    public let fullScale: Double
    public let speed: Double
    private let reader: EDFReader
    /// Timeline positions (samples from the file's start) to play: `[first, end)`.
    private let first: Int
    private let end: Int
    /// Timeline spans EEGKit wrote for lost samples and padding: sorted, disjoint.
    private let skipped: [Range<Int>]
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let stateCode = Atomic<Int>(0)

    /// - Parameters:
    ///   - speed: 1 for real time; `.infinity` for as fast as possible.
    ///   - from, to: seconds from the start of the file (its timeline: an EDF+D gap
    ///     counts as the time it spans, but is not waited for).
    public init(path: String, speed: Double = 1, from: Double? = nil, to: Double? = nil) throws {
        let reader = try EDFReader(path: path)
        try checkSamplesPerSecond(reader)
        self.reader = reader
        name = "replay of \(path)"
        channelCount = reader.channelCount
        sampleRate = reader.sampleRate
        channelLabels = reader.channelLabels
        fullScale = reader.channelSignals.map { max(abs(reader.header.signals[$0].physicalMinimum), abs(reader.header.signals[$0].physicalMaximum)) }.max() ?? 1
        self.speed = speed
        let last = reader.recordCount == 0 ? 0 : reader.recordFirstSample(reader.recordCount - 1) + reader.framesPerRecord
        // User seconds × the file's rate: clamped, never trapping, whatever was typed.
        first = max(reader.recordCount == 0 ? 0 : reader.recordFirstSample(0), CheckedNumber.roundedInt((from ?? 0) * reader.sampleRate, clampedTo: 0...last))
        end = min(last, to.map { CheckedNumber.roundedInt($0 * reader.sampleRate, clampedTo: 0...last) } ?? last)
        guard first < end else {
            throw EDFError.invalidSpec("nothing to replay between \(from ?? 0) s and \(to.map { "\($0) s" } ?? "the end") (the file's records end at \(reader.endTime) s)")
        }
        skipped = try Self.skippedSpans(reader)
    }

    /// The spans of EEGKit's own "samples lost" and "padding" annotations, as timeline
    /// positions, merged. Streamed from the file: memory is one range per span.
    static func skippedSpans(_ reader: EDFReader) throws -> [Range<Int>] {
        var spans: [Range<Int>] = []
        let rate = reader.sampleRate
        try reader.forEachAnnotation { a in
            guard a.text.hasPrefix("EEGKit: "), a.text.contains("samples lost") || a.text.contains("padding"), let d = a.duration,
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
                events.post(.failed("\(error)"))
            }
            stateCode.store(0, ordering: .releasing)
            producer.finish()
            finished.signal()
        }
        thread.name = "eeg-replay"
        thread.start()
    }

    private func play(_ producer: FrameRing.Producer) throws {
        let perRecord = reader.framesPerRecord, channels = channelCount
        let frames = UnsafeMutableBufferPointer<Float>.allocate(capacity: perRecord * channels)
        defer { frames.deallocate() }
        let pacer = FramePacer(sampleRate: sampleRate, speed: speed)
        var record = firstRecord()
        let firstFileFrame = record * perRecord + (record < reader.recordCount ? max(0, first - reader.recordFirstSample(record)) : 0)
        var nextSkip = 0  // index into `skipped` of the first span not wholly behind us
        func isSkipped(_ index: Int) -> Bool {
            while nextSkip < skipped.count && skipped[nextSkip].upperBound <= index { nextSkip += 1 }
            return nextSkip < skipped.count && skipped[nextSkip].contains(index)
        }
        while running.load(ordering: .acquiring), record < reader.recordCount, reader.recordFirstSample(record) < end {
            try reader.readRecord(record, into: frames)
            let base = reader.recordFirstSample(record)
            var i = 0
            while i < perRecord && running.load(ordering: .acquiring) {
                let index = base + i
                if index < first || index >= end || isSkipped(index) { i += 1; continue }
                // Push the run of playable frames up to the next skip or the record end.
                var stop = i + 1
                while stop < perRecord, base + stop < end, !isSkipped(base + stop) { stop += 1 }
                let run = UnsafeBufferPointer(rebasing: frames[(i * channels)..<(stop * channels)])
                // Paced by frames stored in the file, so an EDF+D gap is not waited out.
                pacer.waitForTurn(played: Int64(record * perRecord + i - firstFileFrame), frames: stop - i, producer: producer) {
                    running.load(ordering: .acquiring)
                }
                producer.push(run, firstSampleIndex: Int64(index))
                i = stop
            }
            record += 1
        }
    }

    /// The first record holding a frame at or after `first` (binary search: record
    /// positions only grow).
    private func firstRecord() -> Int {
        var lo = 0, hi = reader.recordCount - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if reader.recordFirstSample(mid) + reader.framesPerRecord <= first { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}

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
