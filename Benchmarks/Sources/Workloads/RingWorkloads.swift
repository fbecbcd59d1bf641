import EEGCore
import Foundation

/// The Swift side of the ring comparisons: the same work as `cref_ring_run_*` in
/// Sources/CReference/ring.c, through EEGKit's public API.
public enum RingWorkloads {
    static func fill(_ frames: UnsafeMutableBufferPointer<Float>, channels: Int) {
        for f in 0..<(frames.count / channels) {
            for c in 0..<channels { frames[f * channels + c] = Float(f & 1023) + Float(c) }
        }
    }

    /// One thread: push `batch` frames, pop them, until `totalFrames` have passed.
    /// Returns a checksum of what was popped.
    public static func oneThread(channels: Int, capacity: Int, batch: Int, totalFrames: Int) -> Double {
        let (producer, consumer) = try! FrameRing.create(channels: channels, capacity: capacity)
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
        let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: batch)
        let dropped = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: batch)
        defer { input.deallocate(); output.deallocate(); indices.deallocate(); dropped.deallocate() }
        fill(input, channels: channels)
        var checksum = 0.0
        var done = 0
        while done < totalFrames {
            producer.push(UnsafeBufferPointer(input), firstSampleIndex: Int64(done))
            let got = consumer.pop(into: output, sampleIndices: indices, droppedBefore: dropped)
            checksum += Double(output[0]) + Double(indices[got - 1])
            done += batch
        }
        return checksum
    }

    /// Two threads: a producer pushing `batch` frames at a time (waiting for room, so
    /// nothing drops) and a consumer popping up to `batch` at a time.
    public static func twoThreads(channels: Int, capacity: Int, batch: Int, totalFrames: Int) -> Double {
        let (producer, consumer) = try! FrameRing.create(channels: channels, capacity: capacity)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
            defer { input.deallocate() }
            fill(input, channels: channels)
            var done = 0
            while done < totalFrames {
                while producer.freeFrameCount < batch { sched_yield() }
                producer.push(UnsafeBufferPointer(input), firstSampleIndex: Int64(done))
                done += batch
            }
            finished.signal()
        }
        thread.start()
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
        let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: batch)
        let dropped = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: batch)
        defer { output.deallocate(); indices.deallocate(); dropped.deallocate() }
        var checksum = 0.0
        var received = 0
        while received < totalFrames {
            let got = consumer.pop(into: output, sampleIndices: indices, droppedBefore: dropped)
            if got == 0 { sched_yield(); continue }
            checksum += Double(output[0]) + Double(indices[got - 1])
            received += got
        }
        finished.wait()
        return checksum
    }
}
