import Foundation

/// Cuts a file's frames into epochs for the window analysis: holds the analysed channels
/// from a little before the next epoch on (one epoch plus the filter margins), and hands
/// out each epoch's raw and zero-phase-filtered samples, one channel after another.
/// Filter margins stop at an EDF+D gap: nothing is filtered across one.
///
/// The held frames are one planar block (``PlanarFrames``), a row per analysed channel,
/// which the source appends to directly (EDF/BDF decode each channel's run straight into
/// its row); frames are dropped from the front by moving its start, and the rows are
/// compacted only when a chunk does not fit behind them, so each frame is copied a bounded
/// number of times. The raw epoch is handed out in place, without a copy. Allocation: the
/// block grows to the largest chunk plus an epoch and its margins, then never again.
struct EpochCutter {
    let plan: EpochPlan
    /// The analysed channels' frames from `bufferStart` on.
    private let buffer: PlanarFrames
    private var bufferStart = 0
    /// The next epoch to cut.
    private(set) var next = 0
    /// The current epoch's first raw sample (channel 0; channel `c` is `c` rows on),
    /// valid until the next read appends to the rows.
    private var epochStart: UnsafePointer<Float>?
    /// The current epoch, filtered, planar (`channel × epochFrames`), when ``isFiltered``.
    private(set) var filtered: [Float]
    /// Whether ``filtered`` holds this epoch (a filter is set and the epoch with its
    /// margins is long enough for it).
    private(set) var isFiltered = false

    init(plan: EpochPlan) {
        self.plan = plan
        buffer = PlanarFrames(channelCount: plan.labels.count)
        filtered = plan.filter == nil ? [] : Array(repeating: 0, count: plan.labels.count * plan.epochFrames)
    }

    /// Frames read so far.
    var available: Int { bufferStart + buffer.frameCount }

    /// Reads the next chunk of `source`, keeping its analysed channels; returns its
    /// frames (0 at the end).
    mutating func read(_ source: FrameSourceFile) throws -> Int {
        epochStart = nil  // the rows may move
        return try source.next(channels: plan.selected, to: buffer)
    }

    /// Whether the next epoch and its trailing margin are in (or the input `ended` with
    /// the epoch complete), within the file's `frameCount`.
    func nextEpochReady(frameCount: Int, ended: Bool) -> Bool {
        let end = (next + 1) * plan.epochFrames
        return end <= frameCount && (end + plan.margin <= available || (ended && end <= available))
    }

    /// Cuts epoch ``next`` (and filters it into ``filtered``), then lets go of the frames
    /// no later epoch needs. The raw epoch stays in the rows until the next ``read(_:)``.
    mutating func cut(_ source: FrameSourceFile) throws {
        let frames = plan.epochFrames
        let start = next * frames
        var from = max(0, start - plan.margin)
        // Never past what was read: a float32 file cut short while it is read holds fewer
        // frames than its size said at open, and the rows hold nothing beyond `available`.
        var to = min(source.frameCount, available, start + frames + plan.margin)
        if !source.isContiguous(from, start) { from = start }
        if !source.isContiguous(start + frames - 1, to - 1) { to = start + frames }
        epochStart = buffer.channel(0).baseAddress.map { $0 + (start - bufferStart) }
        isFiltered = false
        if let filter = plan.filter {
            for c in 0..<plan.labels.count {
                let held = buffer.channel(c)[(from - bufferStart)..<(to - bufferStart)]
                guard held.count > 3 * (2 * filter.sections.count + 1) else { continue }
                let smooth = try zeroPhaseFilter(filter, Array(held))
                filtered.replaceSubrange((c * frames)..<((c + 1) * frames), with: smooth[(start - from)..<(start - from + frames)])
                isFiltered = true
            }
        }
        next += 1
        release()
    }

    /// Calls `body` with the current epoch's raw samples and, when ``isFiltered``, its
    /// filtered ones, as the window analysis reads them.
    func withEpoch<R>(_ body: (WindowSamples, WindowSamples?) -> R) -> R {
        guard let epochStart else { preconditionFailure("no epoch cut since the last read") }
        return filtered.withUnsafeBufferPointer { filtered in
            let raw = WindowSamples(base: epochStart, channelStride: buffer.channelStride, frameStride: 1)
            return body(raw, isFiltered ? .planar(filtered.baseAddress!, frameCount: plan.epochFrames) : nil)
        }
    }

    /// Drops the frames before the next epoch's margin (they stay in memory, unread,
    /// until the next read makes room, so the epoch just cut is still readable).
    private mutating func release() {
        let keepFrom = max(0, next * plan.epochFrames - plan.margin)
        guard keepFrom > bufferStart else { return }
        let dropped = min(keepFrom - bufferStart, buffer.frameCount)
        buffer.removeFirst(dropped)
        bufferStart += dropped
    }
}
