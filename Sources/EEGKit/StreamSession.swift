import Foundation
import Synchronization

/// How a stream runs.
public struct StreamOptions: Sendable {
    public var emit: StreamEmit = .metrics
    public var format: StreamFormat = .jsonl
    /// Stop after this many frames of device time (sample indices first…first+N−1);
    /// `nil` runs until stopped.
    public var frameLimit: Int64?
    /// Settings for `--emit metrics`; sample rate and channel count come from the device.
    public var calibrationSeconds = 60.0
    public var notchFrequency: Double?
    public var bands: BandSet = .standard
    /// Record to EDF+/BDF+ as well.
    public var recording: RecordingOptions?
    /// Run the live analyzer even when not emitting metrics (for a dashboard).
    public var analyze = false

    public init() {}
}

/// What a finished stream saw.
public struct StreamSummary: Sendable, Equatable {
    public var frames: Int64 = 0
    public var lines = 0
    public var droppedFrames = 0
    public var recordedSeconds = 0.0
    public var clippedSamples = 0
    public var endedBy: Ending = .limit

    public enum Ending: String, Sendable { case limit, stopRequested, deviceEnded, outputClosed }
}

/// Progress for a person watching (`eeg record` on a terminal).
public struct StreamProgress: Sendable {
    public var deviceSeconds: Double
    public var frames: Int64
    public var droppedFrames: Int
    public var recordedBytes: Int?
    public var deviceState: DeviceState
    public var recordingPath: String?
    /// Frames per second of device time delivered over the last progress interval.
    public var achievedRate: Double = 0
}

/// Markers a user adds while streaming (typed lines, keys): thread-safe, drained by the
/// session loop into the recording.
public final class MarkerQueue: Sendable {
    private let queue = Mutex<[String]>([])
    public init() {}
    public func add(_ text: String) { queue.withLock { $0.append(text) } }
    func drain() -> [String] { queue.withLock { let all = $0; $0.removeAll(); return all } }
}

/// Streams a device through the ring buffer to lines of output, a recording, or both:
/// the one pipeline `eeg stream`, `eeg record` and `eeg replay` use.
///
/// The device pushes from its own thread; this object reads on the caller's thread,
/// sleeping while the ring is empty, and is the only one to touch the file. Each batch is
/// copied once into preallocated scratch, where the recorder replaces values by the ones
/// the file stores; lines and the live analyzer read that copy, so replaying the file
/// gives the same metrics. `stop` on the device always runs, whatever ends the stream.
public final class StreamSession {
    public let device: any EEGDevice
    public let options: StreamOptions
    public let formatter: StreamLineFormatter
    public let markers = MarkerQueue()
    private let recordingRequests = Mutex<[RecordingOptions?]>([])

    /// Starts recording to a new file from the next frames on (from any thread).
    public func startRecording(_ options: RecordingOptions) { recordingRequests.withLock { $0.append(options) } }
    /// Stops the recording in progress and closes its file (from any thread).
    public func stopRecording() { recordingRequests.withLock { $0.append(nil) } }

    public init(device: any EEGDevice, options: StreamOptions) {
        self.device = device
        self.options = options
        formatter = StreamLineFormatter(labels: device.channelLabels, bands: options.bands, format: options.format)
    }

    /// Runs until the frame limit, the device ends, `stopRequested()` returns true, or
    /// `write` throws ``OutputClosed``. `status` receives one-line device messages for
    /// standard error; `progress` is called about twice a second.
    public func run(
        write: (String) throws -> Void, flush: () throws -> Void = {},
        status: (String) -> Void, progress: (StreamProgress) -> Void = { _ in },
        onAnalysis: (LiveAnalysis) -> Void = { _ in }, tick: () -> Void = {},
        stopRequested: () -> Bool
    ) throws -> StreamSummary {
        let channels = device.channelCount
        let capacity = max(1024, Int(device.sampleRate * 8))
        let (producer, consumer) = try FrameRing.create(channels: channels, capacity: capacity)
        let events = DeviceEvents()
        var analyzer: LiveAnalyzer?
        if options.emit == .metrics || options.analyze {
            var configuration = LiveAnalyzerConfiguration(sampleRate: device.sampleRate, channelCount: channels)
            configuration.calibrationSeconds = options.calibrationSeconds
            configuration.notchFrequency = options.notchFrequency
            configuration.bands = options.bands
            configuration.quality.fullScale = device.fullScale
            analyzer = try LiveAnalyzer(configuration)
        }
        var recorder = try options.recording.map { try Recorder(options: $0, device: device) }
        var recordedBefore = (seconds: 0.0, clipped: 0, gaps: 0)
        func closeRecorder() throws {
            guard let r = recorder else { return }
            try r.close()
            recordedBefore.seconds += r.duration
            recordedBefore.clipped += r.writer.clippedSamples
            recordedBefore.gaps += r.gapFrames
            recorder = nil
        }
        var summary = StreamSummary()
        if let header = formatter.header(for: options.emit) {
            try write(header)
            summary.lines += 1
        }

        // Scratch for one ring's worth of frames, allocated once.
        let ringCapacity = consumer.capacity
        let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: ringCapacity * channels)
        let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: ringCapacity)
        let drops = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: ringCapacity)
        defer { samples.deallocate(); indices.deallocate(); drops.deallocate() }

        try device.start(into: producer, events: events)
        var deviceStopped = false
        defer { if !deviceStopped { device.stop() } }

        var firstIndex: Int64?
        var done = false
        var interrupted = false
        var lastProgress = ContinuousClock.now
        var lastIndex: Int64 = -1
        var framesAtLastProgress: Int64 = 0
        do {
            while !done {
                if stopRequested() {
                    summary.endedBy = .stopRequested
                    break
                }
                let wait = consumer.waitForFrames(1, timeout: .milliseconds(100))
                for event in events.drain() {
                    switch event {
                    case .state(let state) where state == .disconnected || state == .reconnecting:
                        if !interrupted { recorder?.annotate("Device disconnected") }
                        interrupted = true
                        status("device \(state.rawValue)")
                    case .state(.streaming) where interrupted:
                        interrupted = false
                        recorder?.annotate("Device reconnected")
                        status("device streaming again")
                    case .gap(let frames, let before):
                        status("lost \(frames) frame\(frames == 1 ? "" : "s") before sample \(before)")
                    case .skippedBytes(let bytes):
                        status("skipped \(bytes) bytes of garbage while resynchronising")
                    case .failed(let message):
                        recorder?.annotate("Device failed: \(message)")
                        status("device failed: \(message)")
                    default:
                        break
                    }
                }
                for request in recordingRequests.withLock({ r -> [RecordingOptions?] in let all = r; r.removeAll(); return all }) {
                    if let request {
                        try closeRecorder()
                        recorder = try Recorder(options: request, device: device)
                        status("recording to \(request.path)")
                    } else if let path = recorder?.writer.path {
                        try closeRecorder()
                        status("recording stopped: \(path)")
                    }
                }
                for marker in markers.drain() {
                    recorder?.annotate("Marker: \(marker)")
                    status("marker at \(String(format: "%.2f", recorder?.duration ?? 0)) s: \(marker)")
                }

                // Copy what is there, up to the frame limit in device time.
                var count = 0
                consumer.read(upTo: ringCapacity) { frames in
                    if firstIndex == nil, frames.frameCount > 0 { firstIndex = frames.first.sampleIndices[0] }
                    let base = firstIndex ?? 0
                    for span in [frames.first, frames.second] {
                        for i in 0..<span.frameCount {
                            if let limit = options.frameLimit, span.sampleIndices[i] >= base + limit { done = true; continue }
                            (samples.baseAddress! + count * channels).update(from: span.samples.baseAddress! + i * channels, count: channels)
                            indices[count] = span.sampleIndices[i]
                            drops[count] = span.droppedBefore[i]
                            count += 1
                        }
                    }
                }
                if count > 0 {
                    let batchSamples = UnsafeMutableBufferPointer(rebasing: samples[0..<(count * channels)])
                    let batchIndices = UnsafeBufferPointer(rebasing: indices[0..<count])
                    let batchDrops = UnsafeBufferPointer(rebasing: drops[0..<count])
                    try recorder?.store(batchSamples, indices: batchIndices, droppedBefore: batchDrops)
                    var lines: [String] = []
                    var ringDrops = 0
                    for i in 0..<count {
                        ringDrops += Int(batchDrops[i])
                        guard options.emit == .samples else { continue }
                        if batchDrops[i] > 0, let line = formatter.gapLine(frames: Int(batchDrops[i]), beforeSampleIndex: batchIndices[i]) { lines.append(line) }
                        lines.append(formatter.sampleLine(index: batchIndices[i], samples: UnsafeBufferPointer(rebasing: batchSamples[(i * channels)..<((i + 1) * channels)])))
                    }
                    analyzer?.analyze(samples: UnsafeBufferPointer(batchSamples), sampleIndices: batchIndices, droppedBefore: batchDrops) { update in
                        if options.emit == .metrics { lines.append(formatter.metricsLine(update)) }
                        onAnalysis(update)
                    }
                    if ringDrops > 0 {
                        status("the ring buffer was full: \(ringDrops) frames dropped (output or disk too slow?)")
                        summary.droppedFrames += ringDrops
                    }
                    summary.frames += Int64(count)
                    lastIndex = batchIndices[count - 1]
                    if let limit = options.frameLimit, let first = firstIndex, lastIndex >= first + limit - 1 { done = true }
                    for line in lines { try write(line) }
                    summary.lines += lines.count
                    try flush()
                }
                tick()
                let sinceProgress = ContinuousClock.now - lastProgress
                if sinceProgress > .milliseconds(500) {
                    lastProgress = ContinuousClock.now
                    let seconds = Double(sinceProgress.components.seconds) + Double(sinceProgress.components.attoseconds) * 1e-18
                    progress(StreamProgress(deviceSeconds: Double(lastIndex - (firstIndex ?? 0) + 1) / device.sampleRate, frames: summary.frames,
                                            droppedFrames: summary.droppedFrames + (recorder?.gapFrames ?? 0) + recordedBefore.gaps,
                                            recordedBytes: recorder.map { $0.writer.header.headerBytes + $0.writer.recordsWritten * $0.writer.header.recordBytes },
                                            deviceState: device.state, recordingPath: recorder?.writer.path,
                                            achievedRate: Double(summary.frames - framesAtLastProgress) / seconds))
                    framesAtLastProgress = summary.frames
                }
                if done { summary.endedBy = .limit }
                if wait == .finished && consumer.availableFrameCount == 0 {
                    summary.endedBy = .deviceEnded
                    break
                }
            }
        } catch is OutputClosed {
            summary.endedBy = .outputClosed
        }
        // Stop the device before closing the file, so nothing arrives after "Recording ends".
        device.stop()
        deviceStopped = true
        try closeRecorder()
        summary.recordedSeconds = recordedBefore.seconds
        summary.clippedSamples = recordedBefore.clipped
        summary.droppedFrames = max(summary.droppedFrames, recordedBefore.gaps)
        return summary
    }
}

/// Thrown by a `write` closure when the reader of the output went away (a closed pipe);
/// the session then stops cleanly.
public struct OutputClosed: Error {
    public init() {}
}
