/// Where every frame of a stream's device time went: delivered, or lost in a gap.
///
/// Device time is counted in the device's sample indices from the first frame the
/// device offered (the first frame read, less the ring drops just before it), so a
/// frame limit (`--samples`, `--duration`) covers lost frames too, and
/// `delivered + lost` is exactly the device time the stream covered. Gaps come from
/// jumps in the sample index (ring drops and frames the device never delivered), from
/// the end of device time falling inside a gap, and from ring drops after the last frame
/// read, which the ring reports only as a count.
struct FrameLedger {
    /// Frames of device time asked for, or nil for no limit.
    let limit: Int64?
    private(set) var origin: Int64?
    /// The sample index the next frame should have.
    private(set) var nextIndex: Int64?
    private(set) var delivered: Int64 = 0
    /// Frames lost within device time.
    private(set) var lost: Int64 = 0
    /// The ring's in-band drop counts of every frame read (also past the end).
    private(set) var ringDropsSeen = 0
    /// The limit is reached: no further frame belongs to the stream.
    private(set) var reachedEnd = false

    init(limit: Int64?) { self.limit = limit }

    /// The first sample index past the device time asked for.
    var end: Int64? {
        guard let origin, let limit else { return nil }
        return origin + limit
    }

    /// Takes one frame read from the ring: whether it belongs to the stream, and the gap
    /// before it (clipped at the end of device time).
    mutating func admit(index: Int64, droppedBefore: UInt32) -> (deliver: Bool, gap: FrameGap?) {
        ringDropsSeen += Int(droppedBefore)
        guard !reachedEnd else { return (false, nil) }
        let expected = nextIndex ?? (index - Int64(droppedBefore))
        if origin == nil { origin = expected }
        // The ring dropped them, or the device never sent them.
        let cause: SampleLossCause = droppedBefore > 0 ? .ringOverflow : .notReceived
        if let end, index >= end {
            reachedEnd = true
            let clipped = end - expected
            guard clipped > 0 else { return (false, nil) }
            lost += clipped
            nextIndex = end
            return (false, FrameGap(frames: Int(clipped), beforeSampleIndex: end, cause: cause))
        }
        // A jump backwards (a device that restarted its counter) loses nothing we can count.
        let jump = index - expected
        var gap: FrameGap?
        if jump > 0 {
            lost += jump
            gap = FrameGap(frames: Int(jump), beforeSampleIndex: index, cause: cause)
        }
        nextIndex = index + 1
        delivered += 1
        if let end, index + 1 >= end { reachedEnd = true }
        return (true, gap)
    }

    /// Once the device has stopped and the ring is drained: the frames the ring dropped
    /// after the last frame read (within device time), as a gap at the end.
    mutating func trailingGap(totalRingDrops: Int) -> FrameGap? {
        let trailing = totalRingDrops - ringDropsSeen
        ringDropsSeen = totalRingDrops
        guard trailing > 0, !reachedEnd else { return nil }
        let next = nextIndex ?? 0
        if origin == nil { origin = 0 }
        var frames = Int64(trailing)
        if let end { frames = min(frames, end - next) }
        guard frames > 0 else { return nil }
        lost += frames
        nextIndex = next + frames
        return FrameGap(frames: Int(frames), beforeSampleIndex: next + frames, cause: .ringOverflow)
    }
}
