import Foundation

/// Reads a shard file line by line from a byte offset, in 256 KiB chunks: memory holds a
/// chunk and the current line, whatever the file's length. A line longer than
/// ``maxLineBytes`` is refused (a damaged file must not make the merge allocate without
/// bound).
struct ShardFileLines {
    static let maxLineBytes = 1 << 26
    private static let chunkBytes = 1 << 18

    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The byte offset of the next line.
    private(set) var offset: Int64
    /// The next line's number in the file (1 for the first).
    private(set) var lineNumber: Int

    /// Lines from byte `offset`, which starts line `lineNumber`.
    init(path: String, from offset: Int64 = 0, lineNumber: Int = 1) throws(ShardError) {
        self.path = path
        self.lineNumber = lineNumber
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be opened for reading" : "no such file"
            throw ShardError(path: path, .unreadable(reason))
        }
        self.handle = handle
        self.offset = offset
        do { try handle.seek(toOffset: UInt64(offset)) } catch { throw ShardError(path: path, .unreadable("cannot be read: \(error.localizedDescription)")) }
    }

    /// The next line's bytes without its line feed, and whether it ended with one (false:
    /// the file stops mid-line); nil at the end of the file.
    mutating func next() throws(ShardError) -> (bytes: ArraySlice<UInt8>, terminated: Bool)? {
        while true {
            if let newline = nextLineFeed() {
                let line = buffer[start..<newline]
                offset += Int64(newline - start + 1)
                lineNumber += 1
                start = newline + 1
                return (line, true)
            }
            guard buffer.count - start <= Self.maxLineBytes else {
                throw ShardError(path: path, .malformed("a line at byte \(offset) is longer than \(Self.maxLineBytes >> 20) MiB"))
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                offset += Int64(line.count)
                lineNumber += 1
                start = buffer.count
                return (line, false)
            }
            try fill()
        }
    }

    /// The next `count` bytes (at most ``ShardTextBlock/maxBytes``), which must be followed
    /// by a line feed (read too): a rendered text block. Nil when the file ends first (a
    /// shard cut short). The line number counts the line feeds inside.
    mutating func block(_ count: Int) throws(ShardError) -> ArraySlice<UInt8>? {
        precondition(count <= ShardTextBlock.maxBytes, "a block's size is checked when its line is read")
        while buffer.count - start <= count && !atEnd { try fill() }
        guard buffer.count - start > count else { return nil }
        guard buffer[start + count] == 0x0A else {
            throw ShardError(path: path, .malformed("the text block at byte \(offset) is not followed by a line feed after its \(count) bytes"))
        }
        let bytes = buffer[start..<(start + count)]
        lineNumber += 1 + Self.lineFeeds(in: bytes)
        offset += Int64(count + 1)
        start += count + 1
        return bytes
    }

    /// How many line feeds `bytes` holds (memchr: a block is up to 256 KiB).
    private static func lineFeeds(in bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard var at = buffer.baseAddress else { return 0 }
            let end = at + buffer.count
            var found = 0
            while at < end, let hit = memchr(at, 0x0A, end - at) {
                found += 1
                at = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
            }
            return found
        }
    }

    /// The index of the first line feed from `start` (memchr: a shard is megabytes of lines).
    private func nextLineFeed() -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            guard start < bytes.count, let base = bytes.baseAddress, let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    private mutating func fill() throws(ShardError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let data: Data?
        do { data = try handle.read(upToCount: Self.chunkBytes) } catch {
            throw ShardError(path: path, .unreadable("reading failed at byte \(offset): \(error.localizedDescription)"))
        }
        if let data, !data.isEmpty { buffer.append(contentsOf: data) } else { atEnd = true }
    }

    func close() { try? handle.close() }
}
