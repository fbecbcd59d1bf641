// One line of a shard file, as `eeg merge` reads it from disk (another node's output, or
// anything a user names): an epoch line through the hand-written reader, a text block's
// line through its strict reader, the others through JSONDecoder. No trap, no hang, no
// allocation beyond the line's size; an epoch line that reads is written back as a line
// that reads back to the same bytes.
@testable import EEGKit
import FuzzSupport

runFuzzer { data, size in
    let bytes = UnsafeBufferPointer(start: data, count: size)
    _ = try? ShardMerge.record(ArraySlice(bytes), path: "fuzz", line: 1, at: 0)
    // A rendered shard's text-block line: read strictly, so what reads is what is written.
    if let block = ShardTextBlock.parse(ArraySlice(bytes)) {
        invariant(Array(ShardTextBlock.line(file: block.file, count: block.count).utf8) == Array(bytes) + [0x0A], "a text-block line that reads is not the line written for it")
    }
    guard let read = try? ShardEpochLine.decode(bytes) else { return 0 }
    let line = ShardEpochLine.encode(read.epoch, file: read.file)
    let again = line.withUnsafeBufferPointer { try? ShardEpochLine.decode($0) }
    invariant(again != nil, "the line written from an accepted line does not read back")
    if let again { invariant(ShardEpochLine.encode(again.epoch, file: again.file) == line, "writing and reading back is not a fixed point") }
    return 0
}
