/// A contiguous run of ring slots; ``FrameRing/Spans`` holds two of them.
public protocol FrameSpan {
    /// Frames in this span.
    var frameCount: Int { get }
}

extension FrameRing {
    /// Frames of the ring as at most two contiguous spans: `first` up to the wrap point,
    /// `second` (often empty) from the start of storage. The producer is handed
    /// ``WritableFrames``, the consumer ``ReadableFrames``; both are valid only inside
    /// the closure that receives them.
    public struct Spans<Span: FrameSpan> {
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

    /// Slots the producer may fill. Every slot handed out must be filled: all
    /// `frameCount` frames are published when the closure returns.
    public typealias WritableFrames = Spans<WritableSpan>

    /// Frames the consumer may read.
    public typealias ReadableFrames = Spans<ReadableSpan>

    /// One contiguous run of writable slots.
    public struct WritableSpan: FrameSpan {
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

    /// One contiguous run of readable frames.
    public struct ReadableSpan: FrameSpan {
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

        /// The first `n` frames of this span (`0 ≤ n ≤ frameCount`).
        func prefix(_ n: Int, channelCount: Int) -> ReadableSpan {
            ReadableSpan(samples: UnsafeBufferPointer(rebasing: samples[0..<(n * channelCount)]),
                         sampleIndices: UnsafeBufferPointer(rebasing: sampleIndices[0..<n]),
                         droppedBefore: UnsafeBufferPointer(rebasing: droppedBefore[0..<n]))
        }
    }
}

extension FrameRing.Spans where Span == FrameRing.ReadableSpan {
    /// The first `count` frames (all of them when `count ≥ frameCount`).
    public func prefix(_ count: Int) -> FrameRing.ReadableFrames {
        let firstCount = Swift.min(Swift.max(count, 0), first.frameCount)
        let secondCount = Swift.min(Swift.max(count - firstCount, 0), second.frameCount)
        return FrameRing.ReadableFrames(first: first.prefix(firstCount, channelCount: channelCount),
                                        second: second.prefix(secondCount, channelCount: channelCount), channelCount: channelCount)
    }
}

extension RingStorage {
    /// Where `count` frames from `position` lie: from slot `start`, `firstCount` up to
    /// the wrap point, then `secondCount` from slot 0.
    @inlinable @inline(__always)
    func split(at position: Int, count: Int) -> (start: Int, firstCount: Int, secondCount: Int) {
        let start = position & mask
        let firstCount = Swift.min(count, capacity - start)
        return (start, firstCount, count - firstCount)
    }

    @inlinable @inline(__always)
    func writable(at position: Int, count: Int) -> FrameRing.WritableFrames {
        let (start, firstCount, secondCount) = split(at: position, count: count)
        let first = FrameRing.WritableSpan(
            samples: UnsafeMutableBufferPointer(start: samples + start * channelCount, count: firstCount * channelCount),
            sampleIndices: UnsafeMutableBufferPointer(start: sampleIndices + start, count: firstCount))
        let second = FrameRing.WritableSpan(
            samples: UnsafeMutableBufferPointer(start: samples, count: secondCount * channelCount),
            sampleIndices: UnsafeMutableBufferPointer(start: sampleIndices, count: secondCount))
        return FrameRing.WritableFrames(first: first, second: second, channelCount: channelCount)
    }

    @inlinable @inline(__always)
    func readable(at position: Int, count: Int) -> FrameRing.ReadableFrames {
        let (start, firstCount, secondCount) = split(at: position, count: count)
        let first = FrameRing.ReadableSpan(
            samples: UnsafeBufferPointer(start: samples + start * channelCount, count: firstCount * channelCount),
            sampleIndices: UnsafeBufferPointer(start: sampleIndices + start, count: firstCount),
            droppedBefore: UnsafeBufferPointer(start: droppedBefore + start, count: firstCount))
        let second = FrameRing.ReadableSpan(
            samples: UnsafeBufferPointer(start: samples, count: secondCount * channelCount),
            sampleIndices: UnsafeBufferPointer(start: sampleIndices, count: secondCount),
            droppedBefore: UnsafeBufferPointer(start: droppedBefore, count: secondCount))
        return FrameRing.ReadableFrames(first: first, second: second, channelCount: channelCount)
    }
}
