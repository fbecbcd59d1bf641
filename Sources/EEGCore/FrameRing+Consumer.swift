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
        /// `timeout` passes — without spinning a core.
        ///
        /// The producer wakes a sleeping consumer when it publishes frames; if that
        /// wake-up races with falling asleep it can be missed, so the consumer also wakes
        /// every millisecond to look. Latency after a publish is therefore microseconds
        /// normally and at most about 1 ms.
        public func waitForFrames(_ count: Int = 1, timeout: Duration) -> WaitResult {
            precondition(count >= 1 && count <= storage.capacity, "can wait for 1...\(storage.capacity) frames, not \(count)")
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: timeout)
            // A short spin catches data that is about to arrive without a syscall.
            for _ in 0..<64 where availableFrameCount >= count { return .ready }
            while true {
                if availableFrameCount >= count { return .ready }
                // Sequentially consistent: the flag must be visible before we look at
                // `head` again, or a publish between the two could go unnoticed.
                storage.consumerSleeping.pointee.store(1, ordering: .sequentiallyConsistent)
                if availableFrameCount >= count {
                    storage.consumerSleeping.pointee.store(0, ordering: .relaxed)
                    return .ready
                }
                if producerFinished {
                    storage.consumerSleeping.pointee.store(0, ordering: .relaxed)
                    return availableFrameCount >= count ? .ready : .finished
                }
                let remaining = clock.now.duration(to: deadline)
                if remaining <= .zero {
                    storage.consumerSleeping.pointee.store(0, ordering: .relaxed)
                    return .timedOut
                }
                let slice = Swift.min(remaining, .milliseconds(1))
                let nanoseconds = slice.whole(unitsPerSecond: 1_000_000_000, clampedTo: 0...1_000_000)
                _ = ring.wakeUp.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
                storage.consumerSleeping.pointee.store(0, ordering: .relaxed)
            }
        }

        @inlinable @inline(__always)
        func refreshHead() {
            // Acquire: pairs with the producer's release of `head`, making the samples of
            // every published slot visible here.
            storage.consumerCachedHead.pointee = storage.head.pointee.load(ordering: .acquiring)
        }
    }
}
