import Synchronization

extension FrameRing {
    /// The writing end of a ``FrameRing``: exactly one exists per ring, to be used by one
    /// thread at a time (normally the device thread).
    ///
    /// Nothing here blocks, locks, logs or allocates. When the ring is full the frames
    /// that do not fit are rejected and counted, never written over older data; the next
    /// accepted frame carries the count so the consumer sees where the gap is.
    /// Releasing the producer marks the stream finished (see ``finish()``).
    public final class Producer: End, @unchecked Sendable {
        // @unchecked Sendable: may be handed to the device thread; the ring's protocol
        // (see FrameRing) requires that only one thread uses it at a time.

        deinit { finish() }

        /// Frames rejected so far because the ring was full.
        public var droppedFrameCount: Int { storage.producerDroppedTotal.pointee }

        /// Frames that could be written now without a drop (a lower bound: the consumer
        /// may free more at any moment).
        public var freeFrameCount: Int {
            storage.producerCachedTail.pointee = storage.tail.pointee.load(ordering: .acquiring)
            return storage.capacity - (storage.producerHead.pointee - storage.producerCachedTail.pointee)
        }

        /// Offers `frames` frames: reserves as many free slots as there are (at most
        /// `frames`), lets `fill` write them in place, publishes them, and counts the rest
        /// as dropped.
        ///
        /// `fill` must write every frame of the ``WritableFrames`` it is given (samples and
        /// sample index). It is not called when the ring is full.
        /// - Returns: the frames accepted; frames `accepted..<frames` of the caller's batch
        ///   were dropped.
        @inlinable @inline(__always) @discardableResult
        public func write(frames: Int, _ fill: (WritableFrames) -> Void) -> Int {
            precondition(frames >= 0, "frame count must not be negative")
            let head = storage.producerHead.pointee
            var free = storage.capacity - (head - storage.producerCachedTail.pointee)
            if free < frames {
                // Acquire: pairs with the consumer's release of `tail`, so slots it has
                // finished reading are safe to overwrite.
                storage.producerCachedTail.pointee = storage.tail.pointee.load(ordering: .acquiring)
                free = storage.capacity - (head - storage.producerCachedTail.pointee)
            }
            let accepted = Swift.min(frames, free)
            if accepted > 0 {
                fill(storage.writable(at: head, count: accepted))
                attachPendingDrops(at: head, count: accepted)
                publish(head + accepted)
            }
            if accepted < frames {
                recordDrops(frames - accepted)
                // A full ring publishes nothing more: a consumer whose wake-up was missed
                // (see publish) must not sleep through the drops.
                wakeConsumerIfWaitingFor(head + accepted)
            }
            return accepted
        }

        /// Copies one frame in. Returns `false` (and counts one drop) when the ring is full.
        /// - Precondition: `frame.count == channelCount`.
        @inlinable @discardableResult
        public func push(frame: UnsafeBufferPointer<Float>, sampleIndex: Int64) -> Bool {
            precondition(frame.count == storage.channelCount, "frame has \(frame.count) samples, ring expects \(storage.channelCount)")
            return write(frames: 1) { slots in
                slots.first.samples.baseAddress!.update(from: frame.baseAddress!, count: frame.count)
                slots.first.sampleIndices[0] = sampleIndex
            } == 1
        }

        /// Copies frames with consecutive sample indices `firstSampleIndex, +1, …` in.
        /// - Precondition: `samples.count` is a multiple of `channelCount`.
        /// - Returns: frames accepted (a prefix of the batch); the rest were dropped.
        @inlinable @discardableResult
        public func push(_ samples: UnsafeBufferPointer<Float>, firstSampleIndex: Int64) -> Int {
            let channels = storage.channelCount
            let frames = samples.count / channels
            precondition(frames * channels == samples.count, "\(samples.count) samples is not a whole number of \(channels)-channel frames")
            return write(frames: frames) { slots in
                let source = samples.baseAddress!
                let firstCount = slots.first.frameCount
                slots.first.samples.baseAddress!.update(from: source, count: firstCount * channels)
                // Wrapping adds: sample indices cannot overflow Int64 in practice, and the
                // overflow checks would keep this loop from vectorising.
                for i in 0..<firstCount { slots.first.sampleIndices[i] = firstSampleIndex &+ Int64(truncatingIfNeeded: i) }
                let secondCount = slots.second.frameCount
                if secondCount > 0 {
                    slots.second.samples.baseAddress!.update(from: source + firstCount * channels, count: secondCount * channels)
                    for i in 0..<secondCount {
                        slots.second.sampleIndices[i] = firstSampleIndex &+ Int64(truncatingIfNeeded: firstCount &+ i)
                    }
                }
            }
        }

        /// Marks the end of the stream: a consumer waiting for frames wakes up and learns
        /// that no more will come once the ring is drained. Called when the producer is
        /// released.
        public func finish() {
            // Release: everything published before finishing is visible to a consumer
            // that observes `finished`.
            storage.finished.pointee.store(1, ordering: .releasing)
            ring.wakeUp.signal()
        }

        @inlinable @inline(__always)
        func attachPendingDrops(at head: Int, count: Int) {
            // Span-wise fills (memset) rather than a masked per-slot loop.
            let start = head & storage.mask
            let firstCount = Swift.min(count, storage.capacity - start)
            (storage.droppedBefore + start).update(repeating: 0, count: firstCount)
            storage.droppedBefore.update(repeating: 0, count: count - firstCount)
            storage.droppedBefore[start] = UInt32(clamping: storage.producerPendingDrops.pointee)
            storage.producerPendingDrops.pointee = 0
        }

        @inlinable @inline(__always)
        func publish(_ newHead: Int) {
            storage.producerHead.pointee = newHead
            // Release: the slots filled above become visible to the consumer's acquire
            // load of `head`.
            storage.head.pointee.store(newHead, ordering: .releasing)
            wakeConsumerIfWaitingFor(newHead)
        }

        /// Wakes the consumer when it sleeps waiting for a position `head` has reached.
        /// Costs one relaxed load of a line that rarely changes when it does not: a
        /// consumer waiting for a batch is signalled once, at the publish that completes
        /// it. A wake-up missed by the race described in ``Consumer/waitForFrames(_:timeout:)``
        /// is caught by the next publish.
        @inlinable @inline(__always)
        func wakeConsumerIfWaitingFor(_ head: Int) {
            let target = storage.consumerWaitsFor.pointee.load(ordering: .relaxed)
            if target != 0 && head >= target { wakeWaitingConsumer() }
        }

        @usableFromInline
        func wakeWaitingConsumer() {
            // The exchange makes sure only one publish signals per wait.
            if storage.consumerWaitsFor.pointee.exchange(0, ordering: .acquiringAndReleasing) != 0 {
                storage.producerWakeUps.pointee += 1
                ring.wakeUp.signal()
            }
        }

        /// Times this producer has woken a waiting consumer (not counting `finish`).
        var wakeUpsSignalled: Int { storage.producerWakeUps.pointee }

        @usableFromInline
        func recordDrops(_ count: Int) {
            storage.producerPendingDrops.pointee += count
            storage.producerDroppedTotal.pointee += count
            // Release: a consumer that reads the total also sees the frames published
            // before the drop. Single writer, so a plain store suffices (no RMW).
            storage.droppedTotal.pointee.store(storage.producerDroppedTotal.pointee, ordering: .releasing)
        }
    }
}
