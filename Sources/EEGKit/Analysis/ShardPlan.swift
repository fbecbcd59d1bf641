import Foundation

/// How `--shard I/N` splits a file list, the same way in every array task with no
/// coordination: balanced by file size, so one long recording does not hold the array up.
///
/// Files are taken largest first (ties: earlier in the list first), each to the shard with
/// the least bytes so far (ties: the lower shard; a file weighs its size plus one byte): the "longest processing time first"
/// rule, within 4/3 of the best balance. Every task computes the same plan from the same
/// list and sizes; files of equal size go round-robin, file i to shard i mod N. A shard
/// analyses its files in the list's order, and `eeg merge` puts every file back at its
/// place in the list.
public struct ShardPlan: Sendable, Equatable {
    public let paths: [String]
    /// Bytes of each file (0 when it cannot be read: it is assigned all the same, and
    /// fails in its shard).
    public let sizes: [Int64]
    public let shards: Int
    /// The shard (1-based) of each file in `paths`.
    public let assignment: [Int]

    /// The plan for `paths` of `sizes` over `shards` shards (sizes read from the files
    /// when nil). O(files · log shards).
    public init(paths: [String], sizes: [Int64]? = nil, shards: Int) {
        let sizes = sizes ?? paths.map(Self.size(of:))
        precondition(sizes.count == paths.count && shards >= 1, "one size per path, at least one shard")
        self.paths = paths
        self.sizes = sizes
        self.shards = shards
        let order = paths.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var loads = ShardLoads(count: min(shards, max(paths.count, 1)))
        var assignment = Array(repeating: 1, count: paths.count)
        // A file weighs its bytes plus one, so empty (or unreadable) files spread too.
        for i in order { assignment[i] = loads.takeLightest(adding: min(max(sizes[i], 0), .max - 1) + 1) }
        self.assignment = assignment
    }

    /// The places in the list (ascending) of `shard`'s files.
    public func files(of shard: Int) -> [Int] { assignment.indices.filter { assignment[$0] == shard } }

    /// Bytes `shard` reads.
    public func bytes(of shard: Int) -> Int64 { files(of: shard).reduce(0) { $0 + max(sizes[$1], 0) } }

    /// A checksum of the list, the sizes and the shard count: tasks that saw another list,
    /// or other sizes, made another plan, and their shards are not merged together.
    public var fingerprint: String {
        var sum = ShardChecksum()
        sum.add("\(shards)\n")
        for (path, size) in zip(paths, sizes) { sum.add("\(size) \(path)\n") }
        return sum.digest
    }

    /// A file's size in bytes, 0 when it cannot be read.
    public static func size(of path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

/// A min-heap of shards by bytes so far, ties to the lower shard.
private struct ShardLoads {
    private var heap: [(bytes: Int64, shard: Int)]

    init(count: Int) { heap = (1...max(count, 1)).map { (0, $0) } }  // sorted: already a heap

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].bytes != heap[b].bytes ? heap[a].bytes < heap[b].bytes : heap[a].shard < heap[b].shard
    }

    /// The lightest shard, which then carries `bytes` more.
    mutating func takeLightest(adding bytes: Int64) -> Int {
        let shard = heap[0].shard
        heap[0].bytes = heap[0].bytes.addingReportingOverflow(bytes).overflow ? .max : heap[0].bytes + bytes
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, less(l, smallest) { smallest = l }
            if r < heap.count, less(r, smallest) { smallest = r }
            if smallest == i { return shard }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
