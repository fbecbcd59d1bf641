/// Frames held one row per channel (planar), so per-channel loops read contiguous floats:
/// interleaved chunks are transposed in cache-sized blocks as they arrive, frames are
/// dropped from the front by moving `head`, and the rows are compacted only when a chunk
/// does not fit behind them — each frame is copied a bounded number of times.
///
/// Used where whole chunks are analysed channel by channel (`analyze`'s epochs,
/// `bandpower`'s segments and epochs). Allocation: the rows grow to twice the largest
/// chunk plus what is carried, then never again. Not thread-safe.
struct PlanarFrames {
    /// Row `c` holds channel `channels[c]` of the incoming frames.
    let channels: [Int]
    private(set) var rows: [Float] = []
    /// Floats from one row's start to the next's.
    private(set) var rowCapacity = 0
    /// Where the first held frame sits in each row.
    private var head = 0
    /// Frames held.
    private(set) var count = 0
    /// The stream's index of the first held frame.
    private(set) var firstFrame = 0

    /// Frames transposed per block: a block of every channel stays in the first-level cache.
    private static let blockFrames = 128

    init(channels: [Int]) { self.channels = channels }

    /// The stream's index one past the last held frame.
    var endFrame: Int { firstFrame + count }

    /// Where frame `f` (held) sits in row 0; add `c × rowCapacity` for row `c`.
    func offset(ofFrame f: Int) -> Int { head + (f - firstFrame) }

    /// Appends `frames` interleaved frames of `width` samples each.
    mutating func append(_ chunk: UnsafeBufferPointer<Float>, frames: Int, width: Int) {
        makeRoom(for: frames)
        let rowCapacity = rowCapacity, tail = head + count
        rows.withUnsafeMutableBufferPointer { rows in
            channels.withUnsafeBufferPointer { selected in
                let source = chunk.baseAddress!, target = rows.baseAddress!
                var f0 = 0
                while f0 < frames {
                    let f1 = min(f0 + Self.blockFrames, frames)
                    for (c, index) in selected.enumerated() {
                        let row = target + c * rowCapacity + tail
                        for f in f0..<f1 { row[f] = source[f &* width &+ index] }
                    }
                    f0 = f1
                }
            }
        }
        count += frames
    }

    /// Lets go of the frames before `frame` (their floats stay readable until the next append).
    mutating func drop(before frame: Int) {
        let dropped = min(max(0, frame - firstFrame), count)
        head += dropped
        count -= dropped
        firstFrame += dropped
    }

    /// Calls `body` with row 0's start; row `c` starts `c × rowCapacity` floats later.
    func withRows<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        rows.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Makes the rows hold `frames` more after the held ones: first by moving the held
    /// frames to the front, then by growing (to twice the need, so growth is rare).
    private mutating func makeRoom(for frames: Int) {
        let rowCount = channels.count
        if head + count + frames <= rowCapacity { return }
        let (head, held, old) = (head, count, rowCapacity)
        if held + frames <= rowCapacity {
            rows.withUnsafeMutableBufferPointer { rows in
                for c in 0..<rowCount {
                    let row = rows.baseAddress! + c * old
                    row.update(from: row + head, count: held)
                }
            }
        } else {
            let capacity = 2 * (held + frames)
            var grown = [Float](repeating: 0, count: rowCount * capacity)
            grown.withUnsafeMutableBufferPointer { grown in
                rows.withUnsafeBufferPointer { rows in
                    for c in 0..<rowCount { (grown.baseAddress! + c * capacity).update(from: rows.baseAddress! + c * old + head, count: held) }
                }
            }
            rows = grown
            rowCapacity = capacity
        }
        self.head = 0
    }
}
