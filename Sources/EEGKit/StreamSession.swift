import Foundation

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

    public init() {}
}

/// What a finished stream saw.
public struct StreamSummary: Sendable, Equatable {
    public var frames: Int64 = 0
    public var lines = 0
    public var droppedFrames = 0
    public var endedBy: Ending = .limit

    public enum Ending: String, Sendable { case limit, stopRequested, deviceEnded, outputClosed }
}

/// Streams a device through the ring buffer (and the live analyzer for metrics) to lines
/// of output: the one pipeline `eeg stream` uses.
///
/// The device pushes from its own thread; this object reads on the caller's thread,
/// sleeping while the ring is empty. `stop` on the device always runs, whatever ends the
/// stream.
public final class StreamSession {
    public let device: any EEGDevice
    public let options: StreamOptions
    public let formatter: StreamLineFormatter

    public init(device: any EEGDevice, options: StreamOptions) {
        self.device = device
        self.options = options
        formatter = StreamLineFormatter(labels: device.channelLabels, bands: options.bands, format: options.format)
    }

    /// Runs until the frame limit, the device ends, `stopRequested()` returns true, or
    /// `write` throws (output closed). `status` receives one-line device messages
    /// (state changes, gaps) for standard error.
    public func run(
        write: (String) throws -> Void, flush: () throws -> Void = {},
        status: (String) -> Void, stopRequested: () -> Bool
    ) throws -> StreamSummary {
        let capacity = max(1024, Int(device.sampleRate * 8))
        let (producer, consumer) = try FrameRing.create(channels: device.channelCount, capacity: capacity)
        let events = DeviceEvents()
        var analyzer: LiveAnalyzer?
        if options.emit == .metrics {
            var configuration = LiveAnalyzerConfiguration(sampleRate: device.sampleRate, channelCount: device.channelCount)
            configuration.calibrationSeconds = options.calibrationSeconds
            configuration.notchFrequency = options.notchFrequency
            configuration.bands = options.bands
            configuration.quality.fullScale = device.fullScale
            analyzer = try LiveAnalyzer(configuration)
        }
        var summary = StreamSummary()
        if let header = formatter.header(for: options.emit) {
            try write(header)
            summary.lines += 1
        }

        try device.start(into: producer, events: events)
        defer { device.stop() }

        var firstIndex: Int64?
        var done = false
        var interrupted = false  // report "streaming" only when it resumes after a disconnect
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
                        interrupted = true
                        status("device \(state.rawValue)")
                    case .state(.streaming) where interrupted:
                        interrupted = false
                        status("device streaming again")
                    case .gap(let frames, let before):
                        status("lost \(frames) frame\(frames == 1 ? "" : "s") before sample \(before)")
                        summary.droppedFrames += frames
                        if options.emit == .samples, let line = formatter.gapLine(frames: frames, beforeSampleIndex: before) {
                            try write(line)
                            summary.lines += 1
                        }
                    case .skippedBytes(let bytes):
                        status("skipped \(bytes) bytes of garbage while resynchronising")
                    case .failed(let message):
                        status("device failed: \(message)")
                    default:
                        break
                    }
                }
                var lines: [String] = []
                var ringDrops = 0
                consumer.read(upTo: consumer.capacity) { frames in
                    // Trim to the frame limit (device time), then hand on.
                    var keep = frames.frameCount
                    let base = firstIndex ?? frames.first.sampleIndices.first ?? 0
                    if firstIndex == nil, frames.frameCount > 0 { firstIndex = base }
                    if let limit = options.frameLimit {
                        keep = 0
                        for span in [frames.first, frames.second] {
                            for i in 0..<span.frameCount where span.sampleIndices[i] < base + limit { keep += 1 }
                        }
                        if keep < frames.frameCount { done = true }
                    }
                    var seen = 0
                    for span in [frames.first, frames.second] {
                        for i in 0..<span.frameCount where seen < keep {
                            seen += 1
                            ringDrops += Int(span.droppedBefore[i])
                            if options.emit == .samples {
                                if span.droppedBefore[i] > 0, let line = formatter.gapLine(frames: Int(span.droppedBefore[i]), beforeSampleIndex: span.sampleIndices[i]) {
                                    lines.append(line)
                                }
                                let samples = UnsafeBufferPointer(rebasing: span.samples[(i * frames.channelCount)..<((i + 1) * frames.channelCount)])
                                lines.append(formatter.sampleLine(index: span.sampleIndices[i], samples: samples))
                            }
                        }
                    }
                    if let analyzer {
                        let first = frames.prefix(keep)
                        analyzer.analyze(first) { update in lines.append(formatter.metricsLine(update)) }
                    }
                    summary.frames += Int64(keep)
                    if let limit = options.frameLimit, let last = lastIndex(frames, keep), last >= base + limit - 1 { done = true }
                }
                if ringDrops > 0 {
                    status("the ring buffer was full: \(ringDrops) frames dropped (output too slow?)")
                    summary.droppedFrames += ringDrops
                }
                for line in lines { try write(line) }
                summary.lines += lines.count
                try flush()
                if done { summary.endedBy = .limit }
                if wait == .finished && consumer.availableFrameCount == 0 {
                    summary.endedBy = .deviceEnded
                    break
                }
            }
        } catch let error as OutputClosed {
            _ = error
            summary.endedBy = .outputClosed
        }
        return summary
    }

    private func lastIndex(_ frames: FrameRing.ReadableFrames, _ keep: Int) -> Int64? {
        guard keep > 0 else { return nil }
        let firstCount = frames.first.frameCount
        return keep <= firstCount ? frames.first.sampleIndices[keep - 1] : frames.second.sampleIndices[keep - firstCount - 1]
    }
}

/// Thrown by a `write` closure when the reader of the output went away (a closed pipe);
/// the session then stops cleanly.
public struct OutputClosed: Error {
    public init() {}
}
