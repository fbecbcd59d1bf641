extension FrameRing {
    /// Slots the producer may fill, as at most two contiguous spans: `first` up to the
    /// wrap point, `second` (often empty) from the start of storage.
    ///
    /// Every slot handed out must be filled: all `frameCount` frames are published when
    /// the closure returns.
    public struct WritableFrames {
        /// One contiguous run of writable slots.
        public struct Span {
            /// `frameCount × channelCount` interleaved samples.
            public let samples: UnsafeMutableBufferPointer<Float>
            /// The device sample index of each frame.
            public let sampleIndices: UnsafeMutableBufferPointer<Int64>
            /// Frames in this span.
            @inlinable public var frameCount: Int { sampleIndices.count }

            @inlinable init(samples: UnsafeMutableBufferPointer<Float>, sampleIndices: UnsafeMutableBufferPointer<Int64>) {
                self.samples = samples
                self.sampleIndices = sampleIndices
            }
        }

        public let first: Span
        public let second: Span
        /// Samples per frame.
        public let channelCount: Int
        /// Frames in both spans together.
        @inlinable public var frameCount: Int { first.frameCount + second.frameCount }

        @inlinable init(first: Span, second: Span, channelCount: Int) {
            self.first = first
            self.second = second
            self.channelCount = channelCount
        }
    }

    /// Frames the consumer may read, as at most two contiguous spans (before and after
    /// the wrap point). Valid only inside the closure that receives them.
    public struct ReadableFrames {
        /// One contiguous run of readable frames.
        public struct Span {
            /// `frameCount × channelCount` interleaved samples.
            public let samples: UnsafeBufferPointer<Float>
            /// The device sample index of each frame.
            public let sampleIndices: UnsafeBufferPointer<Int64>
            /// For each frame, how many frames the ring rejected (because it was full)
            /// immediately before it: the gap lies between this frame and the one before.
            public let droppedBefore: UnsafeBufferPointer<UInt32>
            /// Frames in this span.
            @inlinable public var frameCount: Int { sampleIndices.count }

            @inlinable init(
                samples: UnsafeBufferPointer<Float>, sampleIndices: UnsafeBufferPointer<Int64>,
                droppedBefore: UnsafeBufferPointer<UInt32>
            ) {
                self.samples = samples
                self.sampleIndices = sampleIndices
                self.droppedBefore = droppedBefore
            }
        }

        public let first: Span
        public let second: Span
        /// Samples per frame.
        public let channelCount: Int
        /// Frames in both spans together.
        @inlinable public var frameCount: Int { first.frameCount + second.frameCount }

        @inlinable init(first: Span, second: Span, channelCount: Int) {
            self.first = first
            self.second = second
            self.channelCount = channelCount
        }

        /// The first `count` frames (all of them when `count ≥ frameCount`).
        public func prefix(_ count: Int) -> ReadableFrames {
            let firstCount = Swift.min(Swift.max(count, 0), first.frameCount)
            let secondCount = Swift.min(Swift.max(count - firstCount, 0), second.frameCount)
            func cut(_ span: Span, _ n: Int) -> Span {
                Span(samples: UnsafeBufferPointer(rebasing: span.samples[0..<(n * channelCount)]),
                     sampleIndices: UnsafeBufferPointer(rebasing: span.sampleIndices[0..<n]),
                     droppedBefore: UnsafeBufferPointer(rebasing: span.droppedBefore[0..<n]))
            }
            return ReadableFrames(first: cut(first, firstCount), second: cut(second, secondCount), channelCount: channelCount)
        }
    }
}

extension RingStorage {
    @inlinable @inline(__always)
    func writable(at position: Int, count: Int) -> FrameRing.WritableFrames {
        let start = position & mask
        let firstCount = Swift.min(count, capacity - start)
        let secondCount = count - firstCount
        let first = FrameRing.WritableFrames.Span(
            samples: UnsafeMutableBufferPointer(start: samples + start * channelCount, count: firstCount * channelCount),
            sampleIndices: UnsafeMutableBufferPointer(start: sampleIndices + start, count: firstCount))
        let second = FrameRing.WritableFrames.Span(
            samples: UnsafeMutableBufferPointer(start: samples, count: secondCount * channelCount),
            sampleIndices: UnsafeMutableBufferPointer(start: sampleIndices, count: secondCount))
        return FrameRing.WritableFrames(first: first, second: second, channelCount: channelCount)
    }

    @inlinable @inline(__always)
    func readable(at position: Int, count: Int) -> FrameRing.ReadableFrames {
        let start = position & mask
        let firstCount = Swift.min(count, capacity - start)
        let secondCount = count - firstCount
        let first = FrameRing.ReadableFrames.Span(
            samples: UnsafeBufferPointer(start: samples + start * channelCount, count: firstCount * channelCount),
            sampleIndices: UnsafeBufferPointer(start: sampleIndices + start, count: firstCount),
            droppedBefore: UnsafeBufferPointer(start: droppedBefore + start, count: firstCount))
        let second = FrameRing.ReadableFrames.Span(
            samples: UnsafeBufferPointer(start: samples, count: secondCount * channelCount),
            sampleIndices: UnsafeBufferPointer(start: sampleIndices, count: secondCount),
            droppedBefore: UnsafeBufferPointer(start: droppedBefore, count: secondCount))
        return FrameRing.ReadableFrames(first: first, second: second, channelCount: channelCount)
    }
}
