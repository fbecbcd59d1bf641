import Foundation

/// Reads frames of interleaved µV samples from a file or standard input, a chunk at a
/// time, so memory does not grow with the input's length.
public protocol FrameReader {
    /// Samples per frame.
    var channelCount: Int { get }
    /// Channel labels found in the input itself (a CSV header), if any.
    var labels: [String]? { get }
    /// Replaces `buffer` with the next chunk of whole frames; returns the number of
    /// frames (0 at the end of the input).
    mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int
}

/// Opens `path` for reading, or standard input for `nil` or `-`.
public func openInput(_ path: String?) throws(InputError) -> (FileHandle, name: String) {
    guard let path, path != "-" else { return (FileHandle.standardInput, "standard input") }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw .cannotOpen(path: path, reason: "no such file")
    }
    if isDirectory.boolValue { throw .isDirectory(path: path) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw .cannotOpen(path: path, reason: FileManager.default.isReadableFile(atPath: path) ? "unknown error" : "permission denied")
    }
    return (handle, path)
}

/// Little-endian float32 frames, `channelCount` samples each.
public struct RawFloat32Reader: FrameReader {
    public let channelCount: Int
    public var labels: [String]? { nil }
    private let handle: FileHandle
    private let name: String
    private var carry = Data()
    private var framesRead = 0
    private var bytesRead = 0
    private let chunkBytes: Int

    public init(handle: FileHandle, name: String, channelCount: Int, chunkFrames: Int = 16_384) {
        self.handle = handle
        self.name = name
        self.channelCount = channelCount
        chunkBytes = chunkFrames * channelCount * 4
    }

    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        let frameBytes = channelCount * 4
        while true {
            let data: Data
            do {
                data = try handle.read(upToCount: chunkBytes) ?? Data()
            } catch {
                throw .readFailed(source: name, reason: error.localizedDescription)
            }
            bytesRead += data.count
            if data.isEmpty {
                guard carry.isEmpty else { throw .notWholeFrames(source: name, bytes: bytesRead, channels: channelCount) }
                return 0
            }
            carry.append(data)
            let frames = carry.count / frameBytes
            guard frames > 0 else { continue }
            let used = frames * frameBytes
            buffer.removeAll(keepingCapacity: true)
            buffer.reserveCapacity(frames * channelCount)
            carry.withUnsafeBytes { raw in
                for i in 0..<(frames * channelCount) {
                    buffer.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                }
            }
            carry.removeSubrange(0..<used)
            if let bad = buffer.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(source: name, frame: framesRead + bad / channelCount, channel: bad % channelCount)
            }
            framesRead += frames
            return frames
        }
    }
}

/// Comma-separated rows of µV values, one frame per line. A first line that is not all
/// numbers is a header of channel labels; a leading `sample`, `index`, `time` or
/// `timestamp` column (as `eeg stream --emit samples --format csv` writes) is skipped.
public struct CSVFrameReader: FrameReader {
    public private(set) var channelCount: Int
    public private(set) var labels: [String]?
    private var lines: LineReader
    private let name: String
    private var skipFirstColumn = false
    private var pending: [Float]?
    private var framesRead = 0

    /// Reads the header (if any) and the first row to learn the channel count.
    public init(handle: FileHandle, name: String, declaredChannels: Int?) throws(InputError) {
        self.name = name
        lines = LineReader(handle: handle, name: name)
        channelCount = 0
        guard let (_, first) = try lines.next() else { throw .noData(source: name) }
        var fields = Self.split(first)
        let numeric = fields.map { Float($0) }
        var firstRow: [Float]?
        if numeric.contains(where: { $0 == nil }) {
            if let head = fields.first?.lowercased(), ["sample", "index", "time", "timestamp"].contains(head) {
                skipFirstColumn = true
                fields.removeFirst()
            }
            labels = fields
            channelCount = fields.count
        } else {
            channelCount = fields.count
            firstRow = numeric.map { $0! }
            try Self.checkFinite(firstRow!, frame: 0, name: name)
        }
        if let declaredChannels, declaredChannels != channelCount {
            throw .channelCountMismatch(source: name, declared: declaredChannels, found: channelCount)
        }
        pending = firstRow
    }

    private static func split(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func checkFinite(_ row: [Float], frame: Int, name: String) throws(InputError) {
        if let bad = row.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(source: name, frame: frame, channel: bad) }
    }

    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        buffer.removeAll(keepingCapacity: true)
        var frames = 0
        if let row = pending {
            buffer += row
            frames = 1
            framesRead = 1
            pending = nil
        }
        let expected = channelCount + (skipFirstColumn ? 1 : 0)
        while frames < 8192, let (number, line) = try lines.next() {
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == expected else {
                throw .csvColumnCount(source: name, line: number, expected: expected, found: fields.count)
            }
            if skipFirstColumn { fields.removeFirst() }
            for (column, field) in fields.enumerated() {
                let text = field.trimmingCharacters(in: .whitespaces)
                guard let value = Float(text) else {
                    throw .csvNumber(source: name, line: number, column: column + 1 + (skipFirstColumn ? 1 : 0), text: text)
                }
                guard value.isFinite else { throw .nonFinite(source: name, frame: framesRead, channel: column) }
                buffer.append(value)
            }
            frames += 1
            framesRead += 1
        }
        return frames
    }
}

/// Lines of a file read in large blocks; blank lines are skipped. Line numbers count
/// from 1.
struct LineReader {
    private let handle: FileHandle
    private let name: String
    private var buffer = Data()
    private var atEnd = false
    private var lineNumber = 0

    init(handle: FileHandle, name: String) {
        self.handle = handle
        self.name = name
    }

    mutating func next() throws(InputError) -> (Int, Substring)? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let lineData = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                lineNumber += 1
                let text = String(decoding: lineData, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                return (lineNumber, Substring(text))
            }
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                let text = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
                lineNumber += 1
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
                return (lineNumber, Substring(text.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))))
            }
            do {
                let data = try handle.read(upToCount: 1 << 20) ?? Data()
                if data.isEmpty { atEnd = true } else { buffer.append(data) }
            } catch {
                throw .readFailed(source: name, reason: error.localizedDescription)
            }
        }
    }
}
