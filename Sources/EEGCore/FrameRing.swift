import Dispatch
import Synchronization

/// A lock-free single-producer/single-consumer ring of EEG frames.
///
/// A frame is `channelCount` interleaved `Float` samples (µV for EEG channels) plus the
/// device sample index it was taken at. The ring is the only path from a device thread
/// to the processing thread, so it is built for that job:
///
/// - ``create(channels:capacity:)`` returns one ``Producer`` and one ``Consumer``; the
///   single-producer/single-consumer rule is carried by those handles, not by convention.
/// - Capacity is fixed at creation (rounded up to a power of two); nothing allocates
///   after it.
/// - A full ring rejects, never overwrites. Rejected frames are counted, and the next
///   accepted frame carries how many were rejected just before it, so the consumer sees
///   exactly where every gap is (``ReadableSpan/droppedBefore``).
/// - Batch reads and writes hand out at most two contiguous spans (before and after the
///   wrap point), so a USB transfer or a DSP hop is one call.
/// - The consumer can sleep until data arrives (``Consumer/waitForFrames(_:timeout:)``);
///   the producer never blocks.
///
/// ## Memory ordering
/// `head` (next slot the producer will write) is written only by the producer and
/// `tail` (next slot the consumer will read) only by the consumer. Both are positions
/// that only grow; the slot is `position & mask`. The producer fills slots, then stores
/// `head` with release; the consumer loads `head` with acquire before reading those
/// slots, so it sees the filled samples. Symmetrically the consumer stores `tail` with
/// release after it is done with slots and the producer loads `tail` with acquire
/// before reusing them. Each side keeps a private copy of the other side's index and
/// re-reads the shared one only when its copy says the ring is full (producer) or empty
/// (consumer), so in the steady state each side touches the other's cache line rarely.
///
/// ## Layout
/// The control block is one 128-byte-aligned allocation of five 128-byte lines (128, not
/// 64, because adjacent-line prefetchers pull lines in pairs):
/// 0. `head`, `droppedTotal` — written by the producer, read by the consumer;
/// 1. the producer's private state (its own `head`, cached `tail`, pending drops);
/// 2. `tail` — written by the consumer, read by the producer;
/// 3. the consumer's private state (its own `tail`, cached `head`);
/// 4. the wake-up protocol (`consumerWaitsFor`: the head position a sleeping consumer
///    waits for, 0 when it is awake; `finished`).
///
/// The private state lives in raw memory rather than in stored properties so hot loops
/// pay no exclusivity checks.
public final class FrameRing: @unchecked Sendable {
    // @unchecked Sendable: the ring's storage is shared by exactly one Producer and one
    // Consumer. Each slot is written only by the producer while it lies in [tail, head +
    // free) and read only by the consumer while it lies in [tail, head); the acquire/
    // release pairs on head and tail (described above) hand slots from one to the other.
    // The TSan stress test in Tests/EEGCoreTests exercises exactly this protocol.

    /// The most channels a frame may have.
    public static let maximumChannelCount = 4096
    /// The most frames a ring may hold.
    public static let maximumCapacity = 1 << 26

    /// Samples per frame.
    public var channelCount: Int { storage.channelCount }
    /// Frames the ring holds when full: the requested capacity rounded up to a power of two.
    public var capacity: Int { storage.capacity }

    /// Every pointer the hot paths use, as one trivial value: the handles copy it out
    /// instead of going through this object, so a push or a pop does no reference
    /// counting.
    @usableFromInline let storage: RingStorage
    @usableFromInline let wakeUp = DispatchSemaphore(value: 0)
    private let control: UnsafeMutableRawPointer
    private static let line = 128

    /// Creates a ring and returns its only producer and only consumer.
    ///
    /// - Parameters:
    ///   - channels: samples per frame, 1…``maximumChannelCount``.
    ///   - capacity: frames the ring must hold, 1…``maximumCapacity``; rounded up to the
    ///     next power of two (so 1000 becomes 1024).
    /// - Throws: ``RingBufferError`` naming the bad argument. This is the only
    ///   allocation the ring ever makes.
    public static func create(
        channels: Int, capacity: Int
    ) throws(RingBufferError) -> (producer: Producer, consumer: Consumer) {
        guard channels >= 1, channels <= maximumChannelCount else {
            throw .invalidChannelCount(channels)
        }
        guard capacity >= 1, capacity <= maximumCapacity else {
            throw .invalidCapacity(capacity)
        }
        let ring = FrameRing(channelCount: channels, capacity: capacity)
        return (Producer(ring: ring), Consumer(ring: ring))
    }

    private init(channelCount: Int, capacity requested: Int) {
        var rounded = 1
        while rounded < requested { rounded <<= 1 }

        // Slot storage on 128-byte boundaries: a batch whose size is a multiple of the
        // line then never shares a cache line with the neighbouring batch the other
        // thread is touching.
        func aligned<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<T>.stride, alignment: Self.line)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
            return raw.bindMemory(to: T.self, capacity: count)
        }
        let samples = aligned(Float.self, rounded * channelCount)
        let sampleIndices = aligned(Int64.self, rounded)
        let droppedBefore = aligned(UInt32.self, rounded)

        let line = Self.line
        let control = UnsafeMutableRawPointer.allocate(byteCount: 5 * line, alignment: line)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: 5 * line)
        self.control = control

        func atomic(_ offset: Int) -> UnsafeMutablePointer<Atomic<Int>> {
            let pointer = (control + offset).bindMemory(to: Atomic<Int>.self, capacity: 1)
            pointer.initialize(to: Atomic(0))
            return pointer
        }
        func plain(_ offset: Int) -> UnsafeMutablePointer<Int> {
            let pointer = (control + offset).bindMemory(to: Int.self, capacity: 1)
            pointer.initialize(to: 0)
            return pointer
        }
        storage = RingStorage(
            channelCount: channelCount, capacity: rounded, mask: rounded - 1,
            samples: samples, sampleIndices: sampleIndices, droppedBefore: droppedBefore,
            head: atomic(0), droppedTotal: atomic(8),
            producerHead: plain(line), producerCachedTail: plain(line + 8),
            producerPendingDrops: plain(line + 16), producerDroppedTotal: plain(line + 24),
            producerWakeUps: plain(line + 32),
            tail: atomic(2 * line),
            consumerTail: plain(3 * line), consumerCachedHead: plain(3 * line + 8),
            consumerWaitsFor: atomic(4 * line), finished: atomic(4 * line + 8))
    }

    deinit {
        for atomic in [storage.head, storage.droppedTotal, storage.tail, storage.consumerWaitsFor, storage.finished] {
            atomic.deinitialize(count: 1)
        }
        control.deallocate()
        UnsafeMutableRawPointer(storage.samples).deallocate()
        UnsafeMutableRawPointer(storage.sampleIndices).deallocate()
        UnsafeMutableRawPointer(storage.droppedBefore).deallocate()
    }
}

/// The ring's memory as raw pointers (see ``FrameRing`` for the layout). Valid while the
/// owning ``FrameRing`` lives; each handle holds the ring, so it outlives their use.
@usableFromInline
struct RingStorage {
    @usableFromInline let channelCount: Int
    @usableFromInline let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let samples: UnsafeMutablePointer<Float>
    @usableFromInline let sampleIndices: UnsafeMutablePointer<Int64>
    @usableFromInline let droppedBefore: UnsafeMutablePointer<UInt32>
    // Line 0: producer-written, consumer-read.
    @usableFromInline let head: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline let droppedTotal: UnsafeMutablePointer<Atomic<Int>>
    // Line 1: producer-private.
    @usableFromInline let producerHead: UnsafeMutablePointer<Int>
    @usableFromInline let producerCachedTail: UnsafeMutablePointer<Int>
    @usableFromInline let producerPendingDrops: UnsafeMutablePointer<Int>
    @usableFromInline let producerDroppedTotal: UnsafeMutablePointer<Int>
    /// Times the producer signalled a waiting consumer (for tests of the wake protocol).
    @usableFromInline let producerWakeUps: UnsafeMutablePointer<Int>
    // Line 2: consumer-written, producer-read.
    @usableFromInline let tail: UnsafeMutablePointer<Atomic<Int>>
    // Line 3: consumer-private.
    @usableFromInline let consumerTail: UnsafeMutablePointer<Int>
    @usableFromInline let consumerCachedHead: UnsafeMutablePointer<Int>
    // Line 4: wake-up protocol.
    @usableFromInline let consumerWaitsFor: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline let finished: UnsafeMutablePointer<Atomic<Int>>
}
