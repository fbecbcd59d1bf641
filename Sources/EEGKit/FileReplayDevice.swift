import Foundation
import Synchronization

/// A recording played back as a device: frames go into the ring paced by the file's own
/// clock (`speed` × real time, or as fast as the consumer takes them), through the same
/// pipeline as a live stream.
///
/// Sample indices are frame numbers from the start of the file. Spans EEGKit wrote for
/// lost samples and the padding after the end are not played: the replay has the same
/// gaps as the live session, so it computes the same metrics.
public final class FileReplayDevice: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: the reader is used by the device thread only, after start.
    public let name: String
    public let channelCount: Int
    public let sampleRate: Double
    public let channelLabels: [String]
    public let fullScale: Double
    public let speed: Double
    private let reader: EDFReader
    private let firstFrame: Int
    private let endFrame: Int
    private let skipped: [Range<Int>]
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let stateCode = Atomic<Int>(0)

    /// - Parameters:
    ///   - speed: 1 for real time; `.infinity` for as fast as possible.
    ///   - from, to: seconds from the start of the file.
    public init(path: String, speed: Double = 1, from: Double? = nil, to: Double? = nil) throws {
        let reader = try EDFReader(path: path)
        self.reader = reader
        name = "replay of \(path)"
        channelCount = reader.channelCount
        sampleRate = reader.sampleRate
        channelLabels = reader.channelLabels
        fullScale = reader.channelSignals.map { max(abs(reader.header.signals[$0].physicalMinimum), abs(reader.header.signals[$0].physicalMaximum)) }.max() ?? 1
        self.speed = speed
        firstFrame = max(0, Int(((from ?? 0) * reader.sampleRate).rounded()))
        endFrame = min(reader.frameCount, to.map { Int(($0 * reader.sampleRate).rounded()) } ?? reader.frameCount)
        guard firstFrame < endFrame else {
            throw EDFError.invalidSpec("nothing to replay between \(from ?? 0) s and \(to.map { "\($0) s" } ?? "the end") (the file holds \(reader.duration) s)")
        }
        skipped = try reader.allAnnotations().compactMap { a in
            guard a.text.hasPrefix("EEGKit: "), a.text.contains("samples lost") || a.text.contains("padding"), let d = a.duration else { return nil }
            let start = Int((a.onset * reader.sampleRate).rounded())
            return start..<(start + Int((d * reader.sampleRate).rounded()))
        }
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
        let clock = ContinuousClock()
        let startTime = clock.now
        var record = firstFrame / perRecord
        while running.load(ordering: .acquiring), record * perRecord < endFrame {
            _ = try reader.readRecord(record, into: frames)
            var i = 0
            while i < perRecord && running.load(ordering: .acquiring) {
                let index = record * perRecord + i
                if index < firstFrame || index >= endFrame || skipped.contains(where: { $0.contains(index) }) { i += 1; continue }
                // Push the run of playable frames up to the next skip or the record end.
                var end = i + 1
                while end < perRecord {
                    let next = record * perRecord + end
                    if next >= endFrame || skipped.contains(where: { $0.contains(next) }) { break }
                    end += 1
                }
                let run = UnsafeBufferPointer(rebasing: frames[(i * channels)..<(end * channels)])
                if speed.isFinite {
                    let due = startTime.advanced(by: .seconds(Double(index - firstFrame) / sampleRate / speed))
                    let wait = due - clock.now
                    if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18) }
                } else {
                    while producer.freeFrameCount < end - i && running.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.0002) }
                }
                producer.push(run, firstSampleIndex: Int64(index))
                i = end
            }
            record += 1
        }
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

    public init(path: String) throws { reader = try EDFReader(path: path) }

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
