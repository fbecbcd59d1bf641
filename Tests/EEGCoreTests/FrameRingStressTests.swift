import Foundation
import Testing
import EEGCore

/// Two threads, one ring: the producer pushes frames whose samples are a known function
/// of their sample index; the consumer checks order, values and a checksum. Run under
/// ThreadSanitizer by `make test-tsan` as well.
@Suite("FrameRing, two threads")
struct FrameRingStressTests {
    static let channels = 8
    static let frameCount = 10_000_000

    /// The sample a frame carries on a channel: cheap, and different for every
    /// (index, channel) pair within a few thousand frames.
    static func value(_ index: Int64, _ channel: Int) -> Float {
        Float(Int(index & 1023) * channels + channel)
    }

    /// Runs `body` on a new thread and returns a function that waits for it.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> () -> Void {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
        return { done.wait() }
    }

    @Test("10 million frames arrive complete, in order, unaltered")
    func lossless() throws {
        let (producer, consumer) = try FrameRing.create(channels: Self.channels, capacity: 4096)
        let channels = Self.channels, total = Self.frameCount
        let join = Self.spawn {
            // Varying batch sizes so spans straddle the wrap point at every offset.
            var next: Int64 = 0
            var batch = 1
            var scratch = [Float](repeating: 0, count: 97 * channels)
            while next < Int64(total) {
                let want = min(batch, total - Int(next))
                for f in 0..<want {
                    for c in 0..<channels { scratch[f * channels + c] = Self.value(next + Int64(f), c) }
                }
                // Offering more than fits would count drops, so this lossless producer
                // waits for room first; the ring itself never blocks.
                while producer.freeFrameCount < want { sched_yield() }
                let accepted = scratch.withUnsafeBufferPointer {
                    producer.push(UnsafeBufferPointer(rebasing: $0[0..<(want * channels)]), firstSampleIndex: next)
                }
                precondition(accepted == want, "free space shrank under the only producer")
                next += Int64(want)
                batch = batch % 97 + 1
            }
            producer.finish()
        }

        var expected: Int64 = 0
        var checksum: Double = 0
        var mismatches = 0
        var ringDrops = 0
        var readSize = 1
        while true {
            let got = consumer.read(upTo: readSize) { frames in
                for span in [frames.first, frames.second] {
                    for i in 0..<span.frameCount {
                        if span.sampleIndices[i] != expected { mismatches += 1 }
                        ringDrops += Int(span.droppedBefore[i])
                        for c in 0..<channels {
                            let sample = span.samples[i * channels + c]
                            if sample != Self.value(expected, c) { mismatches += 1 }
                            checksum += Double(sample)
                        }
                        expected += 1
                    }
                }
            }
            readSize = readSize % 131 + 1
            if got == 0, consumer.waitForFrames(1, timeout: .seconds(30)) != .ready { break }
        }
        join()

        // Σ over frames and channels of value(i, c): each full block of 1024 frames sums
        // 0 ..< 1024·channels; the remainder is a partial block.
        func block(_ frames: Int) -> Double {
            let n = Double(frames * channels)
            return n * (n - 1) / 2
        }
        let expectedChecksum = Double(total / 1024) * block(1024) + block(total % 1024)
        #expect(expected == Int64(total))
        #expect(mismatches == 0)
        #expect(ringDrops == 0)
        #expect(consumer.droppedFrameCount == 0)
        #expect(checksum == expectedChecksum)
    }

    @Test("with a slow reader every frame is either delivered or counted at its gap")
    func lossyAccounting() throws {
        let (producer, consumer) = try FrameRing.create(channels: 2, capacity: 64)
        let total = 2_000_000
        let join = Self.spawn {
            var frame: [Float] = [0, 0]
            for i in 0..<Int64(total) {
                frame[0] = Float(i & 0xFFFF)
                frame.withUnsafeBufferPointer { _ = producer.push(frame: $0, sampleIndex: i) }
            }
            producer.finish()
        }
        var delivered = 0, attributedDrops = 0, badGaps = 0
        var last: Int64 = -1
        while true {
            let got = consumer.read(upTo: 7) { frames in
                for span in [frames.first, frames.second] {
                    for i in 0..<span.frameCount {
                        let index = span.sampleIndices[i]
                        // The jump in sample index is exactly the drops reported here.
                        if index - last - 1 != Int64(span.droppedBefore[i]) { badGaps += 1 }
                        if span.samples[2 * i] != Float(index & 0xFFFF) { badGaps += 1 }
                        attributedDrops += Int(span.droppedBefore[i])
                        last = index
                        delivered += 1
                    }
                }
            }
            if got == 0, consumer.waitForFrames(1, timeout: .seconds(30)) != .ready { break }
        }
        join()
        let trailing = Int(Int64(total) - 1 - last)  // drops after the last delivered frame
        #expect(badGaps == 0)
        #expect(delivered + consumer.droppedFrameCount == total)
        #expect(attributedDrops + trailing == consumer.droppedFrameCount)
    }
}
