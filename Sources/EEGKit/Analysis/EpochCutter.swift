import Foundation

/// Cuts a file's frames into epochs for the window analysis: holds the analysed channels
/// from a little before the next epoch on (one epoch plus the filter margins), and hands
/// out each epoch's raw and zero-phase-filtered samples, one channel after another.
/// Filter margins stop at an EDF+D gap: nothing is filtered across one.
struct EpochCutter {
    let plan: EpochPlan
    /// The analysed channels' frames from `bufferStart` on; sources append to it directly.
    let buffer: PlanarFrames
    private var bufferStart = 0
    /// The next epoch to cut.
    private(set) var next = 0
    /// The current epoch, planar (`channel × epochFrames`).
    private(set) var raw: [Float]
    private(set) var filtered: [Float]
    /// Whether ``filtered`` holds this epoch (a filter is set and the epoch with its
    /// margins is long enough for it).
    private(set) var isFiltered = false

    init(plan: EpochPlan) {
        self.plan = plan
        buffer = PlanarFrames(channelCount: plan.labels.count)
        raw = Array(repeating: 0, count: plan.labels.count * plan.epochFrames)
        filtered = plan.filter == nil ? [] : raw
    }

    /// Frames read so far.
    var available: Int { bufferStart + buffer.frameCount }

    /// Reads the next chunk of `source`, keeping its analysed channels; returns its
    /// frames (0 at the end).
    func read(_ source: FrameSourceFile) throws -> Int {
        try source.next(channels: plan.selected, to: buffer)
    }

    /// Whether the next epoch and its trailing margin are in (or the input `ended` with
    /// the epoch complete), within the file's `frameCount`.
    func nextEpochReady(frameCount: Int, ended: Bool) -> Bool {
        let end = (next + 1) * plan.epochFrames
        return end <= frameCount && (end + plan.margin <= available || (ended && end <= available))
    }

    /// Cuts epoch ``next`` into ``raw`` (and ``filtered``), then lets go of the frames no
    /// later epoch needs.
    mutating func cut(_ source: FrameSourceFile) throws {
        let frames = plan.epochFrames
        let start = next * frames
        var from = max(0, start - plan.margin)
        var to = min(source.frameCount, start + frames + plan.margin)
        if !source.isContiguous(from, start) { from = start }
        if !source.isContiguous(start + frames - 1, to - 1) { to = start + frames }
        isFiltered = false
        for c in 0..<buffer.channelCount {
            let held = buffer.channel(c)[(from - bufferStart)..<(to - bufferStart)]
            raw.replaceSubrange((c * frames)..<((c + 1) * frames), with: held.dropFirst(start - from).prefix(frames))
            if let filter = plan.filter, held.count > 3 * (2 * filter.sections.count + 1) {
                let smooth = try zeroPhaseFilter(filter, Array(held))
                filtered.replaceSubrange((c * frames)..<((c + 1) * frames), with: smooth[(start - from)..<(start - from + frames)])
                isFiltered = true
            }
        }
        next += 1
        release()
    }

    private mutating func release() {
        let keepFrom = max(0, next * plan.epochFrames - plan.margin)
        guard keepFrom > bufferStart else { return }
        buffer.removeFirst(keepFrom - bufferStart)
        bufferStart = keepFrom
    }
}
