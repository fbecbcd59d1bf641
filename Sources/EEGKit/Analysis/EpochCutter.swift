import Foundation

/// Cuts a file's frames into epochs for the window analysis: holds the analysed channels
/// from a little before the next epoch on (one epoch plus the filter margins), and hands
/// out each epoch's raw and zero-phase-filtered samples, one channel after another.
/// Filter margins stop at an EDF+D gap: nothing is filtered across one.
///
/// The analysed channels are held as ``PlanarFrames``; the raw epoch is handed out in
/// place, without a copy.
struct EpochCutter {
    let plan: EpochPlan
    private var held: PlanarFrames
    /// The next epoch to cut.
    private(set) var next = 0
    /// Where the current epoch starts in row 0.
    private var epochOffset = 0
    /// The current epoch, filtered, planar (`channel × epochFrames`), when ``isFiltered``.
    private(set) var filtered: [Float]
    /// Whether ``filtered`` holds this epoch (a filter is set and the epoch with its
    /// margins is long enough for it).
    private(set) var isFiltered = false

    init(plan: EpochPlan) {
        self.plan = plan
        held = PlanarFrames(channels: plan.selected)
        filtered = plan.filter == nil ? [] : Array(repeating: 0, count: plan.labels.count * plan.epochFrames)
    }

    /// Frames read so far.
    var available: Int { held.endFrame }

    /// Keeps the analysed channels of `frames` interleaved frames of `chunk`.
    mutating func append(_ chunk: [Float], frames: Int, channelCount: Int) {
        chunk.withUnsafeBufferPointer { held.append($0, frames: frames, width: channelCount) }
    }

    /// Whether the next epoch and its trailing margin are in (or the input `ended` with
    /// the epoch complete), within the file's `frameCount`.
    func nextEpochReady(frameCount: Int, ended: Bool) -> Bool {
        let end = (next + 1) * plan.epochFrames
        return end <= frameCount && (end + plan.margin <= available || (ended && end <= available))
    }

    /// Cuts epoch ``next`` (and filters it into ``filtered``), then lets go of the frames
    /// no later epoch needs. The raw epoch stays in the rows until the next `append`.
    mutating func cut(_ source: FrameSourceFile) throws {
        let frames = plan.epochFrames
        let start = next * frames
        var from = max(0, start - plan.margin)
        var to = min(source.frameCount, start + frames + plan.margin)
        if !source.isContiguous(from, start) { from = start }
        if !source.isContiguous(start + frames - 1, to - 1) { to = start + frames }
        epochOffset = held.offset(ofFrame: start)
        isFiltered = false
        if let filter = plan.filter {
            for c in 0..<plan.labels.count {
                let row = c * held.rowCapacity
                let span = held.rows[(row + held.offset(ofFrame: from))..<(row + held.offset(ofFrame: to))]
                guard span.count > 3 * (2 * filter.sections.count + 1) else { continue }
                let smooth = try zeroPhaseFilter(filter, Array(span))
                filtered.replaceSubrange((c * frames)..<((c + 1) * frames), with: smooth[(start - from)..<(start - from + frames)])
                isFiltered = true
            }
        }
        next += 1
        // Keep from the next epoch's leading margin on.
        held.drop(before: max(0, next * plan.epochFrames - plan.margin))
    }

    /// Calls `body` with the current epoch's raw samples and, when ``isFiltered``, its
    /// filtered ones, as the window analysis reads them.
    func withEpoch<R>(_ body: (WindowSamples, WindowSamples?) -> R) -> R {
        held.withRows { rows in
            filtered.withUnsafeBufferPointer { filtered in
                let raw = WindowSamples(base: rows + epochOffset, channelStride: held.rowCapacity, frameStride: 1)
                return body(raw, isFiltered ? .planar(filtered.baseAddress!, frameCount: plan.epochFrames) : nil)
            }
        }
    }
}
