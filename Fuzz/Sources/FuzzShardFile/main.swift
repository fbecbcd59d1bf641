// A whole rendered shard file as `eeg merge` reads it from disk: a fixed header (two
// files, epochs rendered as CSV), the fuzzer's bytes as the body, and a completion line
// whose checksum is right — so the input gets past the integrity check and reaches the
// reader of begin, text-block, epoch, end and failure lines. No trap, no hang, no
// allocation beyond a block's bound, whatever the body.
@testable import EEGKit
import FuzzSupport
import Foundation

let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-shard-\(getpid()).jsonl").path
let header: [UInt8] = {
    let header = ShardHeader(format: ShardHeader.renderedFormat, shard: 1, shards: 1, files: 2, plan: "fnv1a64:0000000000000000",
                             settings: "fnv1a64:0000000000000000", epochSeconds: 4,
                             assigned: [.init(index: 0, path: "a.bdf"), .init(index: 1, path: "b.bdf")], spectra: true, render: "csv")
    return Array((try? ShardLine.encoder().encode(ShardLine(header: header))) ?? Data()) + [0x0A]
}()

runFuzzer { data, size in
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    var sum = ShardChecksum()
    (header + body).withUnsafeBytes { sum.add($0) }
    let trailer = ShardTrailer(shard: 1, shards: 1, files: 2, checksum: sum.digest)
    let last = Array((try? ShardLine.encoder().encode(ShardLine(complete: trailer))) ?? Data()) + [0x0A]
    guard FileManager.default.createFile(atPath: path, contents: Data(header + body + last)) else { return 0 }
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard let merge = try? ShardMerge(paths: [path]) else { return 0 }
    // The body's length picks whether the epochs are kept, as for a report.
    var pieces = 0
    _ = try? merge.replay(format: .csv, keepEpochs: size % 2 == 1) { _ in pieces += 1 }
    return 0
}
