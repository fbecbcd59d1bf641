/// Why shard files cannot be merged (or a shard output cannot be checked): a shard that is
/// missing or was cut short, a file that is not a shard, shards that do not belong
/// together. Every case names the file (or the shard) and what to do.
public struct ShardError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Problem: Error, Sendable, Equatable {
        /// The file does not exist or cannot be read (exit 66).
        case unreadable(String)
        /// Shards of the plan that no file given holds (exit 66).
        case missingShards([Int], of: Int)
        /// The shard ended before its completion line: a task killed or a node lost
        /// (exit 65).
        case incomplete(String)
        /// Not a shard file, or damaged (exit 65).
        case malformed(String)
        /// Shards that do not belong together: other file lists, other settings, the same
        /// shard twice with different results (exit 65).
        case mismatch(String)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, _ problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .unreadable(let reason): return "\(path): \(reason)"
        case .missingShards(let missing, let shards):
            let named = missing.prefix(10).map { "\($0)/\(shards)" }.joined(separator: ", ") + (missing.count > 10 ? ", … (\(missing.count) shards)" : "")
            return missing.count == 1 ? "shard \(named) is missing: no shard file given holds it; run it again, then merge"
                : "shards \(named) are missing: no shard file given holds them; run them again, then merge"
        case .incomplete(let reason): return "\(path): \(reason)"
        case .malformed(let reason): return "\(path): not a complete shard file: \(reason)"
        case .mismatch(let reason): return "\(path): \(reason)"
        }
    }

    /// The exit code's kind: missing input 66, incomplete or inconsistent input 65.
    public var failureKind: FailureKind {
        switch problem {
        case .unreadable, .missingShards: return .noInput
        case .incomplete, .malformed, .mismatch: return .badData
        }
    }
}

/// FNV-1a, 64-bit: the checksum a shard's completion line carries over the bytes before
/// it. It detects a damaged or spliced file, not an adversary. Allocation-free.
public struct ShardChecksum: Sendable, Equatable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        value = h
    }

    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    /// "fnv1a64:" and 16 lowercase hex digits.
    public var digest: String {
        let hex = String(value, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
