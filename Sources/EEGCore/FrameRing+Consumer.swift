import Dispatch
import Synchronization

extension FrameRing {
    /// What ``Consumer/waitForFrames(_:timeout:)`` found.
    public enum WaitResult: Sendable, Equatable {
        /// At least the requested number of frames can be read.
        case ready
        /// The timeout passed first.
        case timedOut
        /// The producer finished and fewer than the requested frames remain (possibly
        /// none): read what is left and stop.
        case finished
    }

    /// The reading end of a ``FrameRing``: exactly one exists per ring, to be used by one
    /// thread at a time (normally the processing thread).
    ///
    /// Reads never allocate or lock; ``waitForFrames(_:timeout:)`` sleeps instead of
    /// spinning.
    public final class Consumer: End, @unchecked Sendable {
        // @unchecked Sendable: see Producer; the same one-thread-at-a-time rule applies.

        /// Frames ready to read now.
        public var availableFrameCount: Int {
            refreshHead()
            return storage.consumerCachedHead.pointee - storage.consumerTail.pointee
        }

        /// All frames the producer has rejected so far because the ring was full,
        /// including drops not yet followed by an accepted frame. Where each gap lies is
        /// carried in-band by ``ReadableSpan/droppedBefore``.
        public var droppedFrameCount: Int {
            // Acquire: pairs with the producer's release store in recordDrops.
            storage.droppedTotal.pointee.load(ordering: .acquiring)
        }

        /// Whether the producer has finished (more frames may still be waiting to be read).
        public var producerFinished: Bool {
            storage.finished.pointee.load(ordering: .acquiring) != 0
        }

        /// Hands up to `maxFrames` frames to `body` in place, then releases their slots to
        /// the producer.
        ///
        /// - Returns: the frames read (0 when the ring is empty; `body` is not called then).
        @inlinable @inline(__always) @discardableResult
        public func read(upTo maxFrames: Int, _ body: (ReadableFrames) -> Void) -> Int {
            precondition(maxFrames >= 0, "frame count must not be negative")
            let tail = storage.consumerTail.pointee
            var available = storage.consumerCachedHead.pointee - tail
            if available < maxFrames {
                refreshHead()
                available = storage.consumerCachedHead.pointee - tail
            }
            let count = Swift.min(maxFrames, available)
            guard count > 0 else { return 0 }
            body(storage.readable(at: tail, count: count))
            storage.consumerTail.pointee = tail + count
            // Release: our reads of these slots happen before the producer, after its
            // acquire load of `tail`, may overwrite them.
            storage.tail.pointee.store(tail + count, ordering: .releasing)
            return count
        }

        /// Copies up to `sampleIndices.count` frames out.
        ///
        /// - Parameters:
        ///   - samples: room for at least `sampleIndices.count × channelCount` samples.
        ///   - sampleIndices: receives each frame's device sample index.
        ///   - droppedBefore: optional; receives each frame's ring-drop count.
        /// - Returns: the frames copied.
        @inlinable @discardableResult
        public func pop(
            into samples: UnsafeMutableBufferPointer<Float>,
            sampleIndices: UnsafeMutableBufferPointer<Int64>,
            droppedBefore: UnsafeMutableBufferPointer<UInt32>? = nil
        ) -> Int {
            let channels = storage.channelCount
            precondition(samples.count >= sampleIndices.count * channels, "sample buffer holds \(samples.count) samples, need \(sampleIndices.count * channels)")
            if let droppedBefore {
                precondition(droppedBefore.count >= sampleIndices.count, "droppedBefore buffer is shorter than sampleIndices")
            }
            return read(upTo: sampleIndices.count) { frames in
                // Two explicit calls rather than a loop over [first, second]: an array
                // literal here could allocate on every pop.
                func copy(_ span: ReadableSpan, to offset: Int) {
                    guard span.frameCount > 0 else { return }
                    (samples.baseAddress! + offset * channels).update(from: span.samples.baseAddress!, count: span.samples.count)
                    (sampleIndices.baseAddress! + offset).update(from: span.sampleIndices.baseAddress!, count: span.frameCount)
                    if let droppedBefore {
                        (droppedBefore.baseAddress! + offset).update(from: span.droppedBefore.baseAddress!, count: span.frameCount)
                    }
                }
                copy(frames.first, to: 0)
                copy(frames.second, to: frames.first.frameCount)
            }
        }

        /// Sleeps until at least `count` frames can be read, the producer finishes, or
        /// `timeout` passes — without spinning a core, and without waking before then.
        ///
        /// The consumer tells the producer which position it waits for; the producer
        /// signals once, when a publish reaches that position (or when it finishes), so a
        /// consumer waiting for a batch sleeps through the publishes before it. Waking per
        /// batch instead of per frame is what keeps a live stream's cost near zero.
        ///
        /// The producer's check is a plain load after its release store of `head`, which
        /// the CPU may order first: a wake-up can be missed when the consumer starts to
        /// sleep at that very moment. The next publish (or `finish`) checks again and
        /// wakes it, so a missed wake-up costs at most one publish interval, and never
        /// more than `timeout`; nothing is lost. (A fence on every publish would close the
        /// race at a cost to every frame.)
        /// - Precondition: `1 ≤ count ≤ capacity`.
        public func waitForFrames(_ count: Int = 1, timeout: Duration) -> WaitResult {
            precondition(count >= 1 && count <= storage.capacity, "can wait for 1...\(storage.capacity) frames, not \(count)")
            // A short spin catches data that is about to arrive without a syscall.
            for _ in 0..<64 where availableFrameCount >= count { return .ready }
            let nanoseconds = timeout.whole(unitsPerSecond: 1_000_000_000, clampedTo: 0...(1 << 52))
            let deadline = DispatchTime.now() + .nanoseconds(Int(nanoseconds))
            // The head position that makes `count` frames readable (≥ 1, so 0 can mean
            // "not waiting").
            let target = storage.consumerTail.pointee + count
            while true {
                // Sequentially consistent: the target must be visible before we look at
                // `head` again, or a publish between the two could go unnoticed.
                storage.consumerWaitsFor.pointee.store(target, ordering: .sequentiallyConsistent)
                if availableFrameCount >= count { return stopWaiting(.ready) }
                if producerFinished { return stopWaiting(availableFrameCount >= count ? .ready : .finished) }
                if DispatchTime.now() >= deadline { return stopWaiting(.timedOut) }
                _ = ring.wakeUp.wait(timeout: deadline)
            }
        }

        /// The head position a sleeping consumer waits for; 0 while it is not waiting.
        var waitTarget: Int { storage.consumerWaitsFor.pointee.load(ordering: .acquiring) }

        /// Withdraws the wait target (a wake-up already on its way only makes a later
        /// wait look once more) and returns `result`.
        private func stopWaiting(_ result: WaitResult) -> WaitResult {
            storage.consumerWaitsFor.pointee.store(0, ordering: .relaxed)
            return result
        }

        @inlinable @inline(__always)
        func refreshHead() {
            // Acquire: pairs with the producer's release of `head`, making the samples of
            // every published slot visible here.
            storage.consumerCachedHead.pointee = storage.head.pointee.load(ordering: .acquiring)
        }
    }
}
