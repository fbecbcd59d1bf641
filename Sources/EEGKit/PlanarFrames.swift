import Foundation

/// Frames held channel by channel — each channel's samples contiguous — for an analysis
/// that works a channel at a time (`eeg analyze` cuts epochs from one): sources append to
/// the end (an EDF/BDF reader decodes straight into it, see
/// ``FrameSource/appendNextChunk(channels:to:)``) and the analysis lets go of frames at the
/// front.
///
/// Memory: one block of `channelCount × capacity` floats, grown (doubling) only when
/// appended frames do not fit, so it settles at what the analysis holds at once. Dropping
/// frames moves nothing; the held frames move down only when room is needed at the end.
/// Not thread-safe: one thread appends and reads.
public final class PlanarFrames {
    /// Channels held.
    public let channelCount: Int
    /// Frames held per channel.
    public private(set) var frameCount = 0
    /// Frames each channel has room for.
    private var capacity = 0
    /// Where the held frames start in each channel's row.
    private var head = 0
    /// `channelCount` rows of `capacity` floats.
    private var storage: UnsafeMutablePointer<Float>?
    /// Interleaved frames from a source that hands them out so (the default
    /// ``FrameSource/appendNextChunk(channels:to:)``), reused from chunk to chunk.
    var interleaved: [Float] = []

    /// - Parameter channelCount: at least 1.
    public init(channelCount: Int) {
        precondition(channelCount >= 1, "no channels")
        self.channelCount = channelCount
    }

    deinit { storage?.deallocate() }

    /// Floats from one channel's row to the next: channel `c`'s frames start
    /// `c × channelStride` floats after channel 0's.
    public var channelStride: Int { capacity }

    /// Channel `c`'s held frames, oldest first. Valid until the next append (a removal
    /// moves no frame).
    public func channel(_ c: Int) -> UnsafeBufferPointer<Float> {
        precondition(c >= 0 && c < channelCount, "channel \(c) out of 0..<\(channelCount)")
        guard let storage else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: storage + c * capacity + head, count: frameCount)
    }

    /// Makes room for `frames` more frames per channel and returns where channel 0's go;
    /// channel `c`'s go `c × channelStride` floats further on. Write them, then call
    /// ``didAppend(_:)``.
    public func reserve(appending frames: Int) -> (start: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(frames >= 0, "negative frame count")
        if head + frameCount + frames > capacity { makeRoom(for: frames) }
        guard let storage else { preconditionFailure("storage exists once room is made") }
        return (storage + head + frameCount, capacity)
    }

    /// Counts `frames` frames written where ``reserve(appending:)`` said as held.
    public func didAppend(_ frames: Int) {
        precondition(frames >= 0 && head + frameCount + frames <= capacity, "appended more frames than reserved")
        frameCount += frames
    }

    /// Lets go of the first `frames` frames of every channel.
    public func removeFirst(_ frames: Int) {
        precondition(frames >= 0 && frames <= frameCount, "removing \(frames) of \(frameCount) frames")
        head += frames
        frameCount -= frames
        firstFrame += frames
        if frameCount == 0 { head = 0 }
    }

    // MARK: Frames by their index in the stream

    /// The stream's index of the first held frame: the frames appended before it, less
    /// none (every removal counts).
    public private(set) var firstFrame = 0
    /// The stream's index one past the last held frame.
    public var endFrame: Int { firstFrame + frameCount }

    /// Where held frame `f` (a stream index, `firstFrame ≤ f ≤ endFrame`) of channel 0
    /// sits; channel `c`'s is ``channelStride`` × `c` floats further. Valid until the next
    /// append.
    public func start(ofFrame f: Int) -> UnsafePointer<Float> {
        precondition(f >= firstFrame && f <= endFrame, "frame \(f) is not held (\(firstFrame)..<\(endFrame))")
        guard let storage else { preconditionFailure("no frames were ever appended") }
        return UnsafePointer(storage + head + (f - firstFrame))
    }

    /// Lets go of the frames before stream index `frame` (none if it is not past the first).
    public func drop(before frame: Int) {
        removeFirst(min(max(0, frame - firstFrame), frameCount))
    }

    /// Frames deinterleaved per block: a block of every channel stays in the first-level cache.
    private static let blockFrames = 128

    /// Appends channels `channels` (positions in frames `width` samples wide) of
    /// `frames` interleaved frames, a cache-sized block of frames at a time.
    func appendInterleaved(_ chunk: UnsafeBufferPointer<Float>, frames: Int, width: Int, channels: [Int]) {
        precondition(channels.count == channelCount && frames * width <= chunk.count, "chunk does not match the channels")
        guard frames > 0, let source = chunk.baseAddress else { return }
        let (start, stride) = reserve(appending: frames)
        channels.withUnsafeBufferPointer { channels in
            var f0 = 0
            while f0 < frames {
                let f1 = min(f0 + Self.blockFrames, frames)
                for (k, c) in channels.enumerated() {
                    let row = start + k * stride
                    for f in f0..<f1 { row[f] = source[f &* width &+ c] }
                }
                f0 = f1
            }
        }
        didAppend(frames)
    }

    /// Moves the held frames to the front of their rows, and grows the rows (doubling)
    /// when that still leaves too little room for `frames` more.
    private func makeRoom(for frames: Int) {
        let needed = frameCount + frames
        if needed <= capacity, let storage {
            for c in 0..<channelCount {
                let row = storage + c * capacity
                memmove(row, row + head, frameCount * MemoryLayout<Float>.stride)  // may overlap
            }
            head = 0
            return
        }
        let grown = max(needed, 2 * capacity)
        let bigger = UnsafeMutablePointer<Float>.allocate(capacity: channelCount * grown)
        if let storage {
            for c in 0..<channelCount {
                (bigger + c * grown).initialize(from: storage + c * capacity + head, count: frameCount)
            }
            storage.deallocate()
        }
        storage = bigger
        capacity = grown
        head = 0
    }
}
