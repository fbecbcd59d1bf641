extension FrameRing {
    /// What the two ends of a ring share: the ring (its wake-up) and its storage, and
    /// the ring's shape. ``create(channels:capacity:)`` makes exactly one ``Producer``
    /// and one ``Consumer``; nothing else derives from this.
    public class End: @unchecked Sendable {
        // @unchecked Sendable: immutable references; each end states its own
        // one-thread-at-a-time rule (see Producer, Consumer).
        let ring: FrameRing
        @usableFromInline let storage: RingStorage

        init(ring: FrameRing) {
            self.ring = ring
            self.storage = ring.storage
        }

        /// Samples per frame.
        public var channelCount: Int { storage.channelCount }
        /// Frames the ring holds when full.
        public var capacity: Int { storage.capacity }
    }
}
