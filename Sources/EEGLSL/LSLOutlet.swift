import EEGFormats
import Foundation
import Synchronization

/// One stream offered on the network: its description, and the queue its samples go
/// through to the network thread.
///
/// Threading: one producer thread calls the `push` methods and ``publish()`` (they never
/// block, lock or allocate for float32 samples; a full queue drops and counts); the
/// network thread of its ``LSLService`` does everything else.
public final class LSLOutlet: @unchecked Sendable {
    /// The description inlets receive (ports, uid, session, host and creation time filled in).
    public let info: StreamInfo
    public let format: LSLValueFormat
    let queue: LSLSampleQueue
    let shortInfo: [UInt8]
    let fullInfo: [UInt8]
    let testPatterns: [UInt8]
    let listener: Int32
    let serviceSocket: Int32
    let closed = Atomic<Bool>(false)
    /// Inlets being fed samples (written by the network thread after each turn): with none,
    /// ``publish()`` does not wake the thread; the queue is drained on its next turn anyway.
    let streamingFeeds = Atomic<Int>(0)
    /// Network thread only: until when (LSL clock) its listener is left out of the poll
    /// because `accept` found no free descriptor.
    var acceptPausedUntil = 0.0
    private weak var service: LSLService?
    /// The producer's encoding space for one sample (allocated once).
    private let scratch: UnsafeMutableRawBufferPointer
    /// The network thread's space for a sample that wraps around the queue's end.
    let drainScratch: UnsafeMutableRawBufferPointer

    init(info: StreamInfo, format: LSLValueFormat, queueBytes: Int, listener: Int32, serviceSocket: Int32, service: LSLService) {
        self.info = info
        self.format = format
        let maximumSample = format == .float32 ? LSLSampleEncoding.numericSampleSize(channels: info.channelCount, width: 4) : LSLOutlet.maximumStringBytes + 64
        queue = LSLSampleQueue(capacity: max(queueBytes, 4 * maximumSample), maximumSampleBytes: maximumSample)
        shortInfo = Array(info.xml(includingDescription: false).utf8)
        fullInfo = Array(info.xml(includingDescription: true).utf8)
        testPatterns = LSLSampleEncoding.testPatterns(channels: info.channelCount, format: format)
        self.listener = listener
        self.serviceSocket = serviceSocket
        self.service = service
        scratch = .allocate(byteCount: maximumSample, alignment: 8)
        drainScratch = .allocate(byteCount: maximumSample, alignment: 8)
    }

    deinit {
        scratch.deallocate()
        drainScratch.deallocate()
    }

    /// The longest string value a marker outlet sends (longer ones are cut at this many bytes).
    public static let maximumStringBytes = 4096

    /// Samples lost because the network thread fell behind (the queue was full).
    public var droppedSamples: Int { queue.droppedSamples }

    /// Queues one float32 sample (producer thread; no allocation, no lock, no system call).
    /// Returns false when the queue was full (the sample is dropped and counted) or the
    /// sample does not fit the stream.
    @inline(__always) @discardableResult
    public func push(_ values: UnsafeBufferPointer<Float>, timestamp: Double) -> Bool {
        guard format == .float32, values.count == info.channelCount else { return false }
        LSLSampleEncoding.writeFloat32(timestamp: timestamp, values: values, to: scratch.baseAddress!)
        return queue.push(UnsafeRawBufferPointer(rebasing: scratch[0..<LSLSampleEncoding.numericSampleSize(channels: values.count, width: 4)]))
    }

    /// Queues one string sample (markers: rare, so it may allocate).
    public func push(_ text: String, timestamp: Double) {
        guard format == .string else { return }
        var utf8 = Array(text.utf8.prefix(Self.maximumStringBytes))
        while !utf8.isEmpty, String(validating: utf8, as: UTF8.self) == nil { utf8.removeLast() }
        let sample = LSLSampleEncoding.stringSample(timestamp: timestamp, values: [String(decoding: utf8, as: UTF8.self)])
        sample.withUnsafeBytes { _ = queue.push($0) }
    }

    /// Wakes the network thread to send what was pushed (one non-blocking `write` to a
    /// pipe; call once per batch, not per sample), unless no inlet is being fed: then it
    /// costs one atomic load and nothing else.
    public func publish() {
        guard streamingFeeds.load(ordering: .relaxed) > 0 else { return }
        service?.wake()
    }

    /// ``publish()`` for this outlet and `other` (an outlet of the same service) with at
    /// most one wake-up: one turn of the network thread sends every outlet's queue. For a
    /// producer that feeds two streams per batch (EEG and aux).
    public func publish(togetherWith other: LSLOutlet?) {
        guard streamingFeeds.load(ordering: .relaxed) > 0 || (other?.streamingFeeds.load(ordering: .relaxed) ?? 0) > 0 else { return }
        service?.wake()
    }

    /// Withdraws the stream: its connections close and it stops answering queries.
    public func close() {
        closed.store(true, ordering: .releasing)
        service?.wake()
    }

    /// The stream's top-level fields, for matching queries.
    private(set) lazy var queryFields: [String: String] = ["name": info.name, "type": info.type, "channel_count": String(info.channelCount), "channel_format": info.channelFormat.rawValue,
         "source_id": info.sourceID, "nominal_srate": String(info.nominalRate), "uid": info.uid, "session_id": info.sessionID,
         "hostname": info.hostname, "created_at": String(info.createdAt)]
}
