import Foundation

/// Cuts a file's frames into epochs for the window analysis: holds the analysed channels
/// from a little before the next epoch on (one epoch plus the filter margins), and hands
/// out each epoch's raw and zero-phase-filtered samples, one channel after another.
/// Filter margins stop at an EDF+D gap: nothing is filtered across one.
///
/// The held frames are one planar block, a row of `rowCapacity` floats per analysed
/// channel; frames are dropped from the front by moving `head`, and the rows are compacted
/// only when a chunk does not fit behind them, so each frame is copied a bounded number of
/// times. The raw epoch is handed out in place, without a copy. Allocation: the block
/// grows to the largest chunk plus an epoch and its margins, then never again.
struct EpochCutter {
    let plan: EpochPlan
    /// Row `c` holds analysed channel `c`'s frames; frame `bufferStart + i` is at `head + i`.
    private var rows: [Float] = []
    private var rowCapacity = 0
    private var head = 0
    private var heldFrames = 0
    private var bufferStart = 0
    /// The next epoch to cut.
    private(set) var next = 0
    /// Where the current epoch starts in each row.
    private var epochOffset = 0
    /// The current epoch, filtered, planar (`channel × epochFrames`), when ``isFiltered``.
    private(set) var filtered: [Float]
    /// Whether ``filtered`` holds this epoch (a filter is set and the epoch with its
    /// margins is long enough for it).
    private(set) var isFiltered = false

    /// Frames deinterleaved per block: a block of every channel stays in the first-level cache.
    private static let blockFrames = 128

    init(plan: EpochPlan) {
        self.plan = plan
        filtered = plan.filter == nil ? [] : Array(repeating: 0, count: plan.labels.count * plan.epochFrames)
    }

    /// Frames read so far.
    var available: Int { bufferStart + heldFrames }

    /// Keeps the analysed channels of `frames` interleaved frames of `chunk`.
    mutating func append(_ chunk: [Float], frames: Int, channelCount: Int) {
        makeRoom(for: frames)
        let rowCapacity = rowCapacity, tail = head + heldFrames
        rows.withUnsafeMutableBufferPointer { rows in
            chunk.withUnsafeBufferPointer { chunk in
                plan.selected.withUnsafeBufferPointer { selected in
                    let source = chunk.baseAddress!, target = rows.baseAddress!
                    var f0 = 0
                    while f0 < frames {
                        let f1 = min(f0 + Self.blockFrames, frames)
                        for (c, index) in selected.enumerated() {
                            let row = target + c * rowCapacity + tail
                            for f in f0..<f1 { row[f] = source[f &* channelCount &+ index] }
                        }
                        f0 = f1
                    }
                }
            }
        }
        heldFrames += frames
    }

    /// Makes the rows hold `frames` more after the held ones: first by moving the held
    /// frames to the front, then by growing (to twice the need, so growth is rare).
    private mutating func makeRoom(for frames: Int) {
        let channels = plan.labels.count
        if head + heldFrames + frames <= rowCapacity { return }
        if heldFrames + frames <= rowCapacity {
            let (head, held, capacity) = (head, heldFrames, rowCapacity)
            rows.withUnsafeMutableBufferPointer { rows in
                for c in 0..<channels {
                    let row = rows.baseAddress! + c * capacity
                    row.update(from: row + head, count: held)
                }
            }
        } else {
            let capacity = 2 * (heldFrames + frames)
            var grown = [Float](repeating: 0, count: channels * capacity)
            let (head, held, old) = (head, heldFrames, rowCapacity)
            grown.withUnsafeMutableBufferPointer { grown in
                rows.withUnsafeBufferPointer { rows in
                    for c in 0..<channels { (grown.baseAddress! + c * capacity).update(from: rows.baseAddress! + c * old + head, count: held) }
                }
            }
            rows = grown
            rowCapacity = capacity
        }
        head = 0
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
        epochOffset = head + (start - bufferStart)
        isFiltered = false
        if let filter = plan.filter {
            for c in 0..<plan.labels.count {
                let row = c * rowCapacity + head
                let held = rows[(row + from - bufferStart)..<(row + to - bufferStart)]
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
        rows.withUnsafeBufferPointer { rows in
            filtered.withUnsafeBufferPointer { filtered in
                let raw = WindowSamples(base: rows.baseAddress! + epochOffset, channelStride: rowCapacity, frameStride: 1)
                return body(raw, isFiltered ? .planar(filtered.baseAddress!, frameCount: plan.epochFrames) : nil)
            }
        }
    }

    /// Drops the frames before the next epoch's margin (they stay in memory, unread,
    /// until the next compaction, so the epoch just cut is still readable).
    private mutating func release() {
        let keepFrom = max(0, next * plan.epochFrames - plan.margin)
        guard keepFrom > bufferStart else { return }
        let dropped = min(keepFrom - bufferStart, heldFrames)
        head += dropped
        heldFrames -= dropped
        bufferStart += dropped
    }
}
