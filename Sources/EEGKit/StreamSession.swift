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
    /// Causal band-pass before analysis, Hz (`--filter`); `nil` for none. The default is
    /// the live analyzer's (DESIGN.md), so outputs do not change unless asked.
    public var bandPass: ClosedRange<Double>? = 1...45
    /// Labels of the channels whose band powers make the ratios and scores (`--channels`,
    /// matched as in `analyze`); `nil` for all. Every channel's band powers are still shown.
    public var metricChannels: [String]?
    /// Frontal alpha asymmetry pair by label (`--pair LEFT:RIGHT`), matched as in `analyze`.
    public var asymmetryPair: (left: String, right: String)?
    /// Record to EDF+/BDF+ as well.
    public var recording: RecordingOptions?
    /// Run the live analyzer even when not emitting metrics (for a dashboard).
    public var analyze = false
    /// Publish EEG, metrics and markers as LSL outlets (`--lsl`); `nil` for none.
    public var lsl: LSLOptions?
    /// Take markers from another program's LSL marker stream (`--markers-from-lsl`); `nil` for none.
    public var markersFromLSL: LSLMarkerOptions?
    /// Sample lines (`--emit samples`) carry each sample's LSL timestamp and its batch's
    /// host arrival time (`--times`): the session's clock, with or without `--lsl`.
    public var sampleTimes = false

    public init() {}
}

extension StreamOptions {
    /// Refuses, before a session starts, analysis settings that do not suit a stream of
    /// `layout` — a label it lacks, a band-pass above its Nyquist frequency — so a command
    /// can say so before it announces that it is streaming. Builds (and drops) the
    /// analyzer the session would build.
    /// - Throws: what a ``StreamSession`` would throw for them when it starts:
    ///   ``ArgumentError`` or `DSPError`.
    public func validate(for layout: StreamLayout) throws {
        let configuration = try analyzerConfiguration(layout: layout)
        if emit == .metrics || analyze { _ = try LiveAnalyzer(configuration) }
    }

    /// The live analyzer's settings for a stream of `layout`, channel labels resolved.
    ///
    /// - Throws: ``ArgumentError`` (``ArgumentError/Kind/unknownChannel``) naming
    ///   `--channels` or `--pair` for a label the stream lacks.
    public func analyzerConfiguration(layout: StreamLayout) throws -> LiveAnalyzerConfiguration {
        var configuration = LiveAnalyzerConfiguration(layout: layout)
        configuration.calibrationSeconds = calibrationSeconds
        configuration.notchFrequency = notchFrequency
        configuration.bands = bands
        configuration.bandPass = bandPass
        let labels = layout.labels
        func indices(_ wanted: [String], flag: String) throws(ArgumentError) -> [Int] {
            switch ChannelSelection.indices(of: wanted, in: labels) {
            case .success(let indices): return indices
            case .failure(let missing): throw ArgumentError(missing, flag: flag, source: "the stream")
            }
        }
        if let metricChannels { configuration.metricChannels = try indices(metricChannels, flag: "--channels") }
        if let pair = asymmetryPair {
            let both = try indices([pair.left, pair.right], flag: "--pair")
            configuration.asymmetryPair = ChannelPair(left: both[0], right: both[1])
        }
        return configuration
    }
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
///
/// Bounded: while the session cannot drain it (its output is blocked), at most
/// ``capacity`` markers wait; more are dropped and counted, and the session says so.
public final class MarkerQueue: Sendable {
    /// Markers that may wait at once.
    public static let capacity = 1024
    private let queue = Mutex<(markers: [String], dropped: Int)>(([], 0))
    /// Set after every add, so the session's turns take the lock only when there is news.
    private let pending = Atomic<Bool>(false)
    public init() {}
    public func add(_ text: String) {
        queue.withLock { q in
            if q.markers.count < Self.capacity { q.markers.append(text) } else { q.dropped += 1 }
        }
        // After the append: a drain that misses this flag sees it on its next turn.
        pending.store(true, ordering: .releasing)
    }
    /// The markers waiting, oldest first, and how many were dropped since the last call.
    /// Takes no lock when nothing was added since the last call.
    func drain() -> (markers: [String], dropped: Int) {
        guard pending.exchange(false, ordering: .acquiringAndReleasing) else { return ([], 0) }
        return queue.withLock { q in
            let all = q
            q = ([], 0)
            return all
        }
    }
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
    /// The device's stream, read once when the session is made.
    public var layout: StreamLayout { formatter.layout }
    public let markers = MarkerQueue()
    private let recordingRequests = Mutex<[RecordingOptions?]>([])
    /// Set after every request, so the session's turns take the lock only when there is one.
    private let recordingRequested = Atomic<Bool>(false)

    /// The longest one turn of the session waits for frames: it bounds how late a stop
    /// request, a dashboard key, a device event or a partial batch is seen. Between
    /// turns the session sleeps until a batch worth waking for has arrived (see
    /// `framesWorthWaking`), so a stream of metrics costs about 14 wake-ups a second
    /// (4 updates, 10 timeouts).
    public static let turnTimeout: Duration = .milliseconds(100)
    /// Sample lines (`--emit samples`) wait at most about this long for a batch.
    static let sampleLineBatch = 0.004

    /// Starts recording to a new file from the next frames on (from any thread).
    public func startRecording(_ options: RecordingOptions) { request(options) }
    /// Stops the recording in progress and closes its file (from any thread).
    public func stopRecording() { request(nil) }

    private func request(_ recording: RecordingOptions?) {
        recordingRequests.withLock { $0.append(recording) }
        recordingRequested.store(true, ordering: .releasing)
    }

    public init(device: any EEGDevice, options: StreamOptions) {
        self.device = device
        self.options = options
        formatter = StreamLineFormatter(layout: device.layout, bands: options.bands, format: options.format,
                                        hasChannelPair: options.asymmetryPair != nil, sampleTimes: options.sampleTimes)
    }

    /// Runs until the frame limit, the device ends, `stopRequested()` returns true, or
    /// `write` throws ``OutputClosed``. `status` receives one-line device messages for
    /// standard error; `progress` is called about twice a second.
    ///
    /// Every frame of device time is accounted for: it is written (as a line, to the
    /// recording) or reported lost — a gap line `{"gap": N, "before_sample": I}` in JSON
    /// lines output, an annotated zero span in the recording, a status message, and
    /// ``StreamSummary/droppedFrames``. When the stream is stopped or the device ends,
    /// the frames still in the ring are written and the ring's drops after the last of
    /// them are reported at the end.
    public func run(
        write: (String) throws -> Void, flush: () throws -> Void = {},
        status: (String) -> Void, progress: (StreamProgress) -> Void = { _ in },
        onAnalysis: (LiveAnalysis) -> Void = { _ in }, tick: () -> Void = {},
        stopRequested: () -> Bool
    ) throws -> StreamSummary {
        // The closures live only as long as this call: SessionRun holds them for it.
        try withoutActuallyEscaping(write) { write in
            try withoutActuallyEscaping(status) { status in
                try withoutActuallyEscaping(onAnalysis) { onAnalysis in
                    try runEscaping(write: write, flush: flush, status: status, progress: progress, onAnalysis: onAnalysis,
                                    tick: tick, stopRequested: stopRequested)
                }
            }
        }
    }

    /// Said once at the start: resolvers that ask by those groups will not find the
    /// streams (unicast and KnownPeers still work).
    static func multicastJoinNote(_ failures: [String]) -> String {
        let shown = failures.prefix(4).joined(separator: ", ") + (failures.count > 4 ? " and \(failures.count - 4) more" : "")
        return "LSL discovery: could not join multicast group \(shown); inlets resolving by multicast there will not find these streams"
    }

    private func runEscaping(
        write: @escaping (String) throws -> Void, flush: () throws -> Void, status: @escaping (String) -> Void,
        progress: (StreamProgress) -> Void, onAnalysis: @escaping (LiveAnalysis) -> Void, tick: () -> Void,
        stopRequested: () -> Bool
    ) throws -> StreamSummary {
        let capacity = max(1024, Int(layout.sampleRate * 8))
        let (producer, consumer) = try FrameRing.create(channels: layout.frameWidth, capacity: capacity)
        let events = DeviceEvents()
        let run = try SessionRun(session: self, consumer: consumer, write: write, status: status, onAnalysis: onAnalysis)
        defer { run.deallocate() }
        if let failures = run.lsl?.service.multicastJoinFailures, !failures.isEmpty { status(Self.multicastJoinNote(failures)) }
        try writeHeader(run)
        try start(run, producer: producer, events: events)
        var deviceStopped = false
        defer { if !deviceStopped { device.stop() } }
        do {
            try loop(run, events: events, flush: flush, progress: progress, tick: tick, stopRequested: stopRequested)
        } catch is OutputClosed {
            run.summary.endedBy = .outputClosed
            run.outputOpen = false
        } catch {
            // A failure (output, disk, device): stop the device, close the recording as
            // far as it goes (a writer that failed has finished its file already).
            device.stop()
            deviceStopped = true
            try? run.closeRecorder()
            throw error
        }
        // Stop the device before closing the file, so nothing arrives after the recording ends.
        device.stop()
        deviceStopped = true
        // What the device said while it was stopping (its last gap or skipped bytes) is
        // still reported.
        events.drain().forEach(run.report)
        try run.finish(flush: flush)
        // An input that could not be read to its end fails the command, after every
        // frame before the fault was delivered.
        if let failure = device.failure { throw failure }
        return run.summary
    }

    private func writeHeader(_ run: SessionRun) throws {
        guard let header = formatter.header(for: options.emit) else { return }
        try run.write(header)
        run.summary.lines += 1
    }

    private func start(_ run: SessionRun, producer: FrameRing.Producer, events: DeviceEvents) throws {
        do {
            try device.start(into: producer, events: events)
        } catch {
            // Nothing was recorded: leave no file that blocks the next attempt.
            run.recorder?.discard()
            run.recorder = nil
            throw error
        }
    }

    /// One turn per ring wait (a batch worth waking for, or at most ``turnTimeout``):
    /// device events, recording requests and markers, then the frames that arrived;
    /// returns when the stream ends, with ``StreamSummary/endedBy`` set.
    private func loop(
        _ run: SessionRun, events: DeviceEvents, flush: () throws -> Void, progress: (StreamProgress) -> Void,
        tick: () -> Void, stopRequested: () -> Bool
    ) throws {
        var meter = ProgressMeter()
        while true {
            if stopRequested() {
                run.summary.endedBy = .stopRequested
                return
            }
            let wait = run.consumer.waitForFrames(run.framesWorthWaking(), timeout: Self.turnTimeout)
            events.drain().forEach(run.report)
            // LSL markers before a recording switch: those whose sample was delivered
            // belong to the file that holds it.
            run.addLSLMarkers()
            try applyRecordingRequests(run)
            run.addMarkers(markers.drain())
            try run.processBatch()
            try flush()
            tick()
            if let rate = meter.rateIfDue(frames: run.summary.frames) { progress(run.progress(achievedRate: rate)) }
            if run.ledger.reachedEnd {
                run.summary.endedBy = .limit
                return
            }
            if wait == .finished && run.consumer.availableFrameCount == 0 {
                run.summary.endedBy = .deviceEnded
                return
            }
        }
    }

    /// Starts and stops recordings asked for (from any thread) since the last turn, in order.
    private func applyRecordingRequests(_ run: SessionRun) throws {
        guard recordingRequested.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let requests = recordingRequests.withLock { r -> [RecordingOptions?] in
            let all = r
            r.removeAll()
            return all
        }
        for request in requests {
            if let request {
                try run.closeRecorder()
                try run.openRecorder(request)
                run.status("recording to \(request.path)")
            } else if let path = run.recorder?.sink.path {
                try run.closeRecorder()
                run.status("recording stopped: \(path)")
            }
        }
    }
}

/// Paces progress reports (about twice a second) and measures the frame rate between them.
private struct ProgressMeter {
    private var last = ContinuousClock.now
    private var framesAtLast: Int64 = 0

    /// Frames per second of device time since the last report, when more than 0.5 s has
    /// passed since it; `nil` otherwise.
    mutating func rateIfDue(frames: Int64) -> Double? {
        let sinceLast = ContinuousClock.now - last
        guard sinceLast > .milliseconds(500) else { return nil }
        last = ContinuousClock.now
        let rate = Double(frames - framesAtLast) / sinceLast.inSeconds
        framesAtLast = frames
        return rate
    }
}

/// The state of one ``StreamSession/run`` call: scratch buffers, the frame ledger, the
/// analyzer and the recorder, and what each batch of frames does to them.
private final class SessionRun {
    let session: StreamSession
    let consumer: FrameRing.Consumer
    let write: (String) throws -> Void
    let status: (String) -> Void
    let onAnalysis: (LiveAnalysis) -> Void
    /// EEG channels per frame, and aux values after them in the ring's frames.
    let channels: Int
    let auxCount: Int
    var ledger: FrameLedger
    var analyzer: LiveAnalyzer?
    var recorder: Recorder?
    /// The LSL outlets (`--lsl`), fed from this thread only.
    var lsl: LSLPublisher?
    /// The session's one clock (LSL outlets and an XDF recording), observed per batch.
    let clock: SessionClock
    /// The streams the outlets serve and an XDF recording holds (``SessionStreamInfos``).
    let streams: SessionStreamInfos
    /// The LSL marker inlet (`--markers-from-lsl`), drained on this thread.
    var lslMarkers: LSLMarkerIntake?
    var recordedBefore = (seconds: 0.0, clipped: 0)
    var summary = StreamSummary()
    var outputOpen = true
    var lastIndex: Int64 = -1
    /// Whether the device is disconnected or reconnecting (its interruption annotated once).
    var interrupted = false
    // Scratch for one ring's worth of frames, allocated once.
    let samples: UnsafeMutableBufferPointer<Float>
    let indices: UnsafeMutableBufferPointer<Int64>
    let drops: UnsafeMutableBufferPointer<UInt32>
    /// The aux values of the same frames, split from the EEG ones (empty without aux).
    let auxSamples: UnsafeMutableBufferPointer<Float>
    /// Gaps found in the current batch, each with the batch position it comes before.
    var gaps: [(position: Int, gap: FrameGap)] = []
    /// A metrics write that failed inside the analyzer's callback, thrown after it.
    var recordingFailure: (any Error)?

    init(session: StreamSession, consumer: FrameRing.Consumer, write: @escaping (String) throws -> Void,
         status: @escaping (String) -> Void, onAnalysis: @escaping (LiveAnalysis) -> Void) throws {
        self.session = session
        self.consumer = consumer
        self.write = write
        self.status = status
        self.onAnalysis = onAnalysis
        let options = session.options
        channels = session.layout.channelCount
        auxCount = session.layout.auxiliary.count
        ledger = FrameLedger(limit: options.frameLimit)
        // Resolved even when nothing is analysed (record without --emit metrics), so a
        // --channels or --pair label the stream lacks is an error before anything starts.
        let configuration = try options.analyzerConfiguration(layout: session.layout)
        let clock = SessionClock(nominalRate: session.layout.sampleRate)
        let streams = SessionStreamInfos.make(layout: session.layout, name: options.lsl?.name ?? SessionStreamInfos.defaultName,
                                          type: options.lsl?.type ?? SessionStreamInfos.defaultType,
                                          sourceID: options.lsl?.sourceID ?? options.recording?.sourceID ?? session.layout.source,
                                          hopSeconds: configuration.hopSeconds)
        self.clock = clock
        self.streams = streams
        // The outlets before the recording: an outlet that cannot bind must not leave an
        // empty recording file behind.
        lsl = try options.lsl.map { try LSLPublisher(options: $0, streams: streams, clock: clock) }
        lslMarkers = try options.markersFromLSL.map { try LSLMarkerIntake(options: $0, nominalRate: session.layout.sampleRate) }
        recorder = try options.recording.map {
            try Recorder(options: Self.sessionRecording($0, streams: streams, clock: options.lsl == nil ? nil : clock), layout: session.layout)
        }
        if options.emit == .metrics || options.analyze || recorder?.recordsMetrics == true || options.lsl != nil {
            analyzer = try LiveAnalyzer(configuration)
        }
        samples = .allocate(capacity: consumer.capacity * channels)
        indices = .allocate(capacity: consumer.capacity)
        drops = .allocate(capacity: consumer.capacity)
        auxSamples = .allocate(capacity: consumer.capacity * auxCount)
    }

    func deallocate() {
        lslMarkers?.inlet.stop()
        samples.deallocate()
        indices.deallocate()
        drops.deallocate()
        auxSamples.deallocate()
    }

    /// How many frames the next turn waits for: the frames that complete the analyzer's
    /// next update (its metric line then comes out as soon as they are decoded), a few
    /// milliseconds of frames for sample lines, and never past the end of the device
    /// time asked for. At most a quarter of the ring, so a producer waiting for room
    /// (a replay at full speed pushes up to a quarter at once) always finds it; frames
    /// below the threshold are still taken at the next ``StreamSession/turnTimeout``.
    func framesWorthWaking() -> Int {
        var frames = consumer.capacity / 4
        if session.options.emit == .samples || lsl != nil {
            frames = min(frames, Int(session.layout.sampleRate * StreamSession.sampleLineBatch))
        }
        if let analyzer { frames = min(frames, analyzer.framesUntilNextUpdate) }
        if let end = ledger.end, let next = ledger.nextIndex {
            frames = Int(min(Int64(frames), end - next))
        } else if let limit = ledger.limit {
            frames = Int(min(Int64(frames), limit))
        }
        return max(frames, 1)
    }

    /// The recording's options with the session's stream headers, and its clock while it
    /// publishes LSL (real time, as `--lsl` requires): its XDF stamps are then the
    /// outlets'. Without `--lsl` an XDF recording keeps its own nominal-rate clock, since a
    /// replay or a paced simulation is not real time.
    private static func sessionRecording(_ options: RecordingOptions, streams: SessionStreamInfos, clock: SessionClock?) -> RecordingOptions {
        var options = options
        if options.streams == nil { options.streams = streams }
        if let clock, options.clock == nil { options.clock = clock.forRecording() }
        return options
    }

    func openRecorder(_ options: RecordingOptions) throws {
        let new = try Recorder(options: Self.sessionRecording(options, streams: streams, clock: lsl == nil ? nil : clock), layout: session.layout)
        // An XDF recording keeps the metrics: analyse from now on if nothing did.
        if new.recordsMetrics && analyzer == nil {
            analyzer = try LiveAnalyzer(session.options.analyzerConfiguration(layout: session.layout))
        }
        // A recording started mid-stream covers device time from the next frame on.
        if let next = ledger.nextIndex { new.begin(atSampleIndex: next) }
        recorder = new
    }

    func closeRecorder() throws {
        guard let r = recorder else { return }
        recorder = nil
        try r.close()
        recordedBefore.seconds += r.duration
        recordedBefore.clipped += r.sink.clippedSamples
    }

    /// A device event or note (never dropped), or a user's marker (see
    /// ``AnnotationKind/mayBeDropped``), at the recording's current end.
    func annotate(_ kind: AnnotationKind) {
        lsl?.publish(marker: AnnotationCodec.text(for: kind))
        guard let recorder else { return }
        report(recorder.annotate(kind), for: AnnotationCodec.text(for: kind))
    }

    /// Tells the recording and the person watching what the device reported.
    func report(_ event: DeviceEvent) {
        switch event {
        case .state(let state) where state == .disconnected || state == .reconnecting:
            if !interrupted { annotate(.disconnected) }
            interrupted = true
            status("device \(state.rawValue)")
        case .state(.streaming) where interrupted:
            interrupted = false
            annotate(.reconnected)
            status("device streaming again")
        case .gap(let gap):
            status("lost \(gap.frames) frame\(gap.frames == 1 ? "" : "s") before sample \(gap.beforeSampleIndex)")
        case .skippedBytes(let bytes):
            status("skipped \(bytes) bytes of garbage while resynchronising")
        case .failed(let message):
            annotate(.deviceFailed(message))
            status("device failed: \(message)")
        default:
            break
        }
    }

    func addMarkers(_ drained: (markers: [String], dropped: Int)) {
        for marker in drained.markers {
            annotate(.marker(marker))
            status("marker at \(String(format: "%.2f", recorder?.duration ?? 0)) s: \(marker)")
        }
        if drained.dropped > 0 {
            status("\(drained.dropped) markers dropped: they came faster than they could be stored")
            annotate(.markersDropped(count: drained.dropped))
        }
    }

    /// Markers from the LSL marker inlet whose samples have arrived, at those samples.
    func addLSLMarkers(final: Bool = false) {
        lslMarkers?.apply(delivered: lastIndex >= 0 ? lastIndex : nil, recorder: recorder, sampleRate: session.layout.sampleRate,
                          lsl: lsl, final: final, annotateAtEnd: annotate, status: status)
    }

    private func report(_ storage: AnnotationStorage, for text: String) {
        let start = String(text.prefix(40)) + (text.count > 40 ? "…" : "")
        switch storage {
        case .whole: break
        case .split(let parts): status("annotation '\(start)' is longer than a record holds: stored in \(parts) parts")
        case .truncated(let kept, let original): status("annotation '\(start)' is \(original) bytes: stored its first \(kept) bytes, in parts")
        case .dropped: status("annotation '\(start)' dropped: annotations are coming faster than the file can store them")
        }
    }

    /// Reads what the ring holds (up to its capacity) and sends it to the recording, the
    /// analyzer and the output.
    func processBatch() throws {
        gaps.removeAll(keepingCapacity: true)
        var count = 0
        var ringDrops = 0
        var trailingGap: FrameGap?
        consumer.read(upTo: consumer.capacity) { frames in
            // Two calls rather than a loop over [first, second], which allocates per batch.
            func take(_ span: FrameRing.ReadableSpan) {
                for i in 0..<span.frameCount {
                    let verdict = ledger.admit(index: span.sampleIndices[i], droppedBefore: span.droppedBefore[i])
                    // Drops past the end of the requested time are not the stream's.
                    if verdict.deliver { ringDrops += Int(span.droppedBefore[i]) }
                    if let gap = verdict.gap {
                        if verdict.deliver { gaps.append((count, gap)) } else { trailingGap = gap }
                    }
                    guard verdict.deliver else { continue }
                    let frame = span.samples.baseAddress! + i * (channels + auxCount)
                    (samples.baseAddress! + count * channels).update(from: frame, count: channels)
                    if auxCount > 0 { (auxSamples.baseAddress! + count * auxCount).update(from: frame + channels, count: auxCount) }
                    indices[count] = span.sampleIndices[i]
                    drops[count] = span.droppedBefore[i]
                    count += 1
                }
            }
            take(frames.first)
            take(frames.second)
        }
        if ringDrops > 0 { status("the ring buffer was full: \(ringDrops) frames dropped (output or disk too slow?)") }
        if count > 0 { try deliver(count) }
        if let trailingGap { try endGap(trailingGap) }
        summary.frames = ledger.delivered
        summary.droppedFrames = Int(ledger.lost)
    }

    private func deliver(_ count: Int) throws {
        let options = session.options, formatter = session.formatter
        let arrival = clock.observe(newestIndex: indices[count - 1])
        if let recorder, let origin = ledger.origin { recorder.begin(atSampleIndex: origin) }
        let batchSamples = UnsafeMutableBufferPointer(rebasing: samples[0..<(count * channels)])
        let batchIndices = UnsafeBufferPointer(rebasing: indices[0..<count])
        let batchDrops = UnsafeBufferPointer(rebasing: drops[0..<count])
        let batchAux = UnsafeBufferPointer(rebasing: auxSamples[0..<(count * auxCount)])
        try recorder?.store(batchSamples, auxiliary: batchAux, indices: batchIndices, droppedBefore: batchDrops)
        if let lsl {
            for (_, gap) in gaps { lsl.publish(marker: Self.gapText(gap)) }
            lsl.publish(samples: UnsafeBufferPointer(batchSamples), indices: batchIndices, channels: channels, auxiliary: batchAux, auxCount: auxCount)
        }
        // Seen when the EEG outlet's clock sees it, so both fits follow the same arrivals.
        lslMarkers?.observe(lastIndex: batchIndices[count - 1])
        var lines: [String] = []
        if options.emit == .samples && outputOpen {
            var nextGap = 0
            for i in 0..<count {
                while nextGap < gaps.count, gaps[nextGap].position == i {
                    let gap = gaps[nextGap].gap
                    if let line = formatter.gapLine(frames: gap.frames, beforeSampleIndex: gap.beforeSampleIndex) { lines.append(line) }
                    nextGap += 1
                }
                let times = formatter.sampleTimes ? SampleTimes(timestamp: clock.timestamp(of: batchIndices[i]), arrival: arrival) : nil
                lines.append(formatter.sampleLine(index: batchIndices[i], samples: UnsafeBufferPointer(rebasing: batchSamples[(i * channels)..<((i + 1) * channels)]),
                                                  auxiliary: UnsafeBufferPointer(rebasing: batchAux[(i * auxCount)..<((i + 1) * auxCount)]), times: times))
            }
        }
        analyzer?.analyze(samples: UnsafeBufferPointer(batchSamples), sampleIndices: batchIndices, droppedBefore: batchDrops) { update in
            if options.emit == .metrics && outputOpen { lines.append(formatter.metricsLine(update)) }
            do { try recorder?.record(update) } catch { recordingFailure = recordingFailure ?? error }
            lsl?.publish(update)
            onAnalysis(update)
        }
        lastIndex = batchIndices[count - 1]
        if let failure = recordingFailure { throw failure }
        try writeLines(lines)
    }

    /// A gap after the last frame delivered: cut by the end of device time, or ring
    /// drops reported only by count.
    private func endGap(_ gap: FrameGap) throws {
        status("lost \(gap.frames) frame\(gap.frames == 1 ? "" : "s") before sample \(gap.beforeSampleIndex)\(gap.cause == .ringOverflow ? " (the ring buffer was full)" : "")")
        try recorder?.lost(gap)
        lsl?.publish(marker: Self.gapText(gap))
        if session.options.emit == .samples, let line = session.formatter.gapLine(frames: gap.frames, beforeSampleIndex: gap.beforeSampleIndex) {
            try writeLines([line])
        }
    }

    /// A gap as the markers stream tells it: the recording's annotation text.
    static func gapText(_ gap: FrameGap) -> String {
        AnnotationCodec.text(for: .samplesLost(count: gap.frames, cause: gap.cause))
    }

    private func writeLines(_ lines: [String]) throws {
        guard outputOpen else { return }
        do {
            for line in lines { try write(line) }
        } catch is OutputClosed {
            outputOpen = false
            throw OutputClosed()
        }
        summary.lines += lines.count
    }

    /// After the device stopped: writes what is left in the ring (unless the limit was
    /// reached), reports the ring's trailing drops, closes the recording.
    func finish(flush: () throws -> Void) throws {
        if summary.endedBy != .limit {
            do {
                while consumer.availableFrameCount > 0 { try processBatch() }
                if let gap = ledger.trailingGap(totalRingDrops: consumer.droppedFrameCount) { try endGap(gap) }
                summary.droppedFrames = Int(ledger.lost)
                if outputOpen { try flush() }
            } catch is OutputClosed {
                // The reader left while we wrote the rest: the recording still gets it.
                outputOpen = false
                while consumer.availableFrameCount > 0 { try processBatch() }
                if let gap = ledger.trailingGap(totalRingDrops: consumer.droppedFrameCount) { try endGap(gap) }
                summary.droppedFrames = Int(ledger.lost)
            }
        }
        // Markers whose samples came in the last batches, and those stamped after the last
        // sample (at it, with a warning), before the file closes.
        addLSLMarkers(final: true)
        if summary.endedBy == .stopRequested, let path = recorder?.sink.path { status("stopping: closing \(path)") }
        try closeRecorder()
        summary.recordedSeconds = recordedBefore.seconds
        summary.clippedSamples = recordedBefore.clipped
    }

    func progress(achievedRate: Double) -> StreamProgress {
        let device = session.device
        return StreamProgress(
            deviceSeconds: Double(lastIndex - (ledger.origin ?? 0) + 1) / session.layout.sampleRate, frames: summary.frames,
            droppedFrames: Int(ledger.lost),
            recordedBytes: recorder?.sink.bytesWritten,
            deviceState: device.state, recordingPath: recorder?.sink.path, achievedRate: achievedRate)
    }
}

/// Thrown by a `write` closure when the reader of the output went away (a closed pipe);
/// the session then stops cleanly.
public struct OutputClosed: Error {
    public init() {}
}
