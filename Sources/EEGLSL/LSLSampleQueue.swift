import Synchronization

/// The bounded hand-over between the thread that pushes an outlet's samples (the session)
/// and the network thread: a single-producer single-consumer ring of encoded samples.
///
/// The producer never blocks, locks or allocates: a sample that does not fit is dropped
/// and counted (``droppedSamples``), so a network that cannot keep up costs samples on the
/// wire, never time on the device's side. The consumer (the network thread) takes whole
/// samples in order.
///
/// `@unchecked Sendable`: `storage` is written only by the producer between `tail` and
/// `head` + free space, and read only by the consumer between `tail` and `head`; `head`
/// is published with release after the bytes, `tail` with release after they are read,
/// each read with acquire by the other side.
public final class LSLSampleQueue: @unchecked Sendable {
    public let capacity: Int
    /// The largest sample (its encoded bytes) the queue accepts.
    public let maximumSampleBytes: Int
    private let storage: UnsafeMutableRawPointer
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private static let lengthBytes = 4

    public init(capacity: Int, maximumSampleBytes: Int) {
        precondition(capacity >= maximumSampleBytes + Self.lengthBytes && maximumSampleBytes > 0)
        self.capacity = capacity
        self.maximumSampleBytes = maximumSampleBytes
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// Whether every pushed sample has been drained (from any thread; a snapshot).
    public var isEmpty: Bool { head.load(ordering: .acquiring) == tail.load(ordering: .acquiring) }

    /// Samples refused because the queue was full or the sample too large.
    public var droppedSamples: Int { dropped.load(ordering: .relaxed) }

    /// Appends one encoded sample (producer only). Returns false, counting a drop, when
    /// it does not fit.
    @discardableResult
    public func push(_ sample: UnsafeRawBufferPointer) -> Bool {
        let h = head.load(ordering: .relaxed), t = tail.load(ordering: .acquiring)
        let needed = Self.lengthBytes + sample.count
        guard sample.count <= maximumSampleBytes, capacity - (h - t) >= needed else {
            dropped.add(1, ordering: .relaxed)
            return false
        }
        var length = UInt32(sample.count)
        withUnsafeBytes(of: &length) { copyIn($0, at: h) }
        copyIn(sample, at: h + Self.lengthBytes)
        head.store(h + needed, ordering: .releasing)
        return true
    }

    /// Hands every queued sample, in order, to `body` (consumer only); the buffer is valid
    /// only during the call. `scratch` holds a sample that wraps around the ring's end.
    public func drain(scratch: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        while t < h {
            var length: UInt32 = 0
            withUnsafeMutableBytes(of: &length) { copyOut($0, at: t) }
            let count = Int(length)
            let start = (t + Self.lengthBytes) % capacity
            if start + count <= capacity {
                body(UnsafeRawBufferPointer(start: storage + start, count: count))
            } else {
                let part = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
                copyOut(part, at: t + Self.lengthBytes)
                body(UnsafeRawBufferPointer(part))
            }
            t += Self.lengthBytes + count
        }
        tail.store(t, ordering: .releasing)
    }

    private func copyIn(_ bytes: UnsafeRawBufferPointer, at position: Int) {
        let start = position % capacity, first = min(bytes.count, capacity - start)
        guard let base = bytes.baseAddress else { return }
        (storage + start).copyMemory(from: base, byteCount: first)
        if first < bytes.count { storage.copyMemory(from: base + first, byteCount: bytes.count - first) }
    }

    private func copyOut(_ bytes: UnsafeMutableRawBufferPointer, at position: Int) {
        let start = position % capacity, first = min(bytes.count, capacity - start)
        guard let base = bytes.baseAddress else { return }
        base.copyMemory(from: storage + start, byteCount: first)
        if first < bytes.count { (base + first).copyMemory(from: storage, byteCount: bytes.count - first) }
    }
}
