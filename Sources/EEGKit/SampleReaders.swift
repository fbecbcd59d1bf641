import Foundation

/// Little-endian float32 frames, `channelCount` samples each.
public struct RawFloat32Reader: FrameSource {
    public let channelCount: Int
    public var labels: [String]? { nil }
    /// Frames in the file, when its size is known (set by ``FrameSourceFormat/open(_:channels:allowingGaps:)``).
    public var storedFrameCount: Int?
    private let handle: FileHandle
    private let name: String
    private var carry = Data()
    private var framesRead = 0
    private var bytesRead = 0
    private let chunkBytes: Int

    /// The most channels a frame may have (as `--channels` allows).
    public static let maximumChannels = 4096

    /// `chunkFrames` frames are read at a time, but never more than 4 MiB, so memory is
    /// bounded whatever the channel count. A `channelCount` outside 1…4096 is reported
    /// by the first `nextChunk` as ``InputError/badChannelCount(source:count:limit:)``.
    public init(handle: FileHandle, name: String, channelCount: Int, chunkFrames: Int = 16_384) {
        self.handle = handle
        self.name = name
        self.channelCount = channelCount
        let frameBytes = 4 * min(max(channelCount, 1), Self.maximumChannels)
        chunkBytes = frameBytes * min(max(chunkFrames, 1), max(1, (4 << 20) / frameBytes))
    }

    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        guard (1...Self.maximumChannels).contains(channelCount) else {
            throw .badChannelCount(source: name, count: channelCount, limit: Self.maximumChannels)
        }
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
/// Values are plain decimals (`-3.25`, `1e-3`; no hex); NaN, ±∞ and values beyond
/// Float's range (`1e400`) are errors naming the line and column. Lines end in LF, CR LF
/// or CR; a line longer than ``LineReader/maximumLineBytes`` or a header of more than
/// 4096 labels is an error, so memory stays bounded.
public struct CSVFrameReader: FrameSource {
    public private(set) var channelCount: Int
    public private(set) var labels: [String]?
    private var lines: LineReader
    private let name: String
    private var skipFirstColumn = false
    private var pending: [Float]?

    /// Reads the header (if any) and the first row to learn the channel count.
    public init(handle: FileHandle, name: String, declaredChannels: Int?) throws(InputError) {
        self.name = name
        lines = LineReader(handle: handle, name: name)
        channelCount = 0
        guard let (number, first) = try lines.next() else { throw .noData(source: name) }
        let fieldCount = first.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }
        guard fieldCount <= RawFloat32Reader.maximumChannels + 1 else {
            throw .tooManyFields(source: name, line: number, found: fieldCount, limit: RawFloat32Reader.maximumChannels)
        }
        var fields = Self.split(first)
        if fields.contains(where: { !isPlainDecimal($0) && nonFiniteWord($0) == nil }) {
            if let head = fields.first?.lowercased(), ["sample", "index", "time", "timestamp"].contains(head) {
                skipFirstColumn = true
                fields.removeFirst()
            }
            labels = fields
            channelCount = fields.count
        } else {
            channelCount = fields.count
            pending = try Self.row(fields, line: number, firstColumn: 1, name: name)
        }
        guard (1...RawFloat32Reader.maximumChannels).contains(channelCount) else {
            throw .tooManyFields(source: name, line: number, found: channelCount, limit: RawFloat32Reader.maximumChannels)
        }
        if let declaredChannels, declaredChannels != channelCount {
            throw .channelCountMismatch(source: name, declared: declaredChannels, found: channelCount)
        }
    }

    private static func split(_ line: Substring) -> [String] {
        fields(of: line).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The comma-separated fields of a line, split on the comma scalar: a comma followed
    /// by a combining mark is one Character, which a Character split would not see.
    private static func fields(of line: Substring, maxSplits: Int = .max) -> [String] {
        line.unicodeScalars.split(separator: ",", maxSplits: maxSplits, omittingEmptySubsequences: false).map { String($0) }
    }

    /// The values of one row; `firstColumn` is the 1-based column of `fields[0]`.
    private static func row<S: StringProtocol>(_ fields: [S], line: Int, firstColumn: Int, name: String) throws(InputError) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(fields.count)
        for (offset, field) in fields.enumerated() {
            values.append(try value(field.trimmingCharacters(in: .whitespaces), line: line, column: firstColumn + offset, name: name))
        }
        return values
    }

    private static func value(_ text: String, line: Int, column: Int, name: String) throws(InputError) -> Float {
        if nonFiniteWord(text) != nil { throw .csvNotFinite(source: name, line: line, column: column, text: text) }
        guard isPlainDecimal(text), let value = Float(text) else { throw .csvNumber(source: name, line: line, column: column, text: text) }
        guard value.isFinite else { throw .csvNotFinite(source: name, line: line, column: column, text: text) }
        return value
    }

    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        buffer.removeAll(keepingCapacity: true)
        var frames = 0
        if let row = pending {
            buffer += row
            frames = 1
            pending = nil
        }
        let expected = channelCount + (skipFirstColumn ? 1 : 0)
        while frames < 8192, let (number, line) = try lines.next() {
            var fields = Self.fields(of: line, maxSplits: expected)
            guard fields.count == expected else {
                let found = fields.count > expected ? line.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) } : fields.count
                throw .csvColumnCount(source: name, line: number, expected: expected, found: found)
            }
            if skipFirstColumn { fields.removeFirst() }
            for (offset, field) in fields.enumerated() {
                buffer.append(try Self.value(field.trimmingCharacters(in: .whitespaces), line: number, column: offset + 1 + (skipFirstColumn ? 1 : 0), name: name))
            }
            frames += 1
        }
        return frames
    }
}

/// Lines of a file read in blocks; a line ends at LF, CR LF or a lone CR, and blank
/// lines are skipped. Line numbers count from 1. Memory is bounded: a line longer than
/// `maximumLineBytes` is an error, not a growing buffer.
struct LineReader {
    /// 1 MiB: 4096 channels of 20-character numbers fit many times over.
    static let maximumLineBytes = 1 << 20
    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    private let handle: FileHandle
    private let name: String
    private let readSize: Int
    private var buffer: [UInt8] = []
    /// Where the next line starts in `buffer`.
    private var start = 0
    /// Bytes from `start` up to here hold no line end (so they are not searched again).
    private var scanned = 0
    private var atEnd = false
    private var lineNumber = 0

    init(handle: FileHandle, name: String, readSize: Int = 1 << 16) {
        self.handle = handle
        self.name = name
        self.readSize = readSize
    }

    mutating func next() throws(InputError) -> (Int, Substring)? {
        while true {
            if let end = buffer[max(start, scanned)...].firstIndex(where: { $0 == Self.lf || $0 == Self.cr }) {
                // A CR at the end of what was read may be the first half of CR LF.
                if buffer[end] == Self.cr && end + 1 == buffer.count && !atEnd { scanned = end; try fill(); continue }
                let next = buffer[end] == Self.cr && end + 1 < buffer.count && buffer[end + 1] == Self.lf ? end + 2 : end + 1
                let line = try take(start..<end)
                start = next
                scanned = next
                if let line { return line }
                continue
            }
            scanned = buffer.count
            guard buffer.count - start <= Self.maximumLineBytes else {
                throw .lineTooLong(source: name, line: lineNumber + 1, limit: Self.maximumLineBytes)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = try take(start..<buffer.count)
                start = buffer.count
                if let line { return line }
                return nil
            }
            try fill()
        }
    }

    /// The line in `range` with its number, or nil for a blank line.
    private mutating func take(_ range: Range<Int>) throws(InputError) -> (Int, Substring)? {
        lineNumber += 1
        guard range.count <= Self.maximumLineBytes else {
            throw .lineTooLong(source: name, line: lineNumber, limit: Self.maximumLineBytes)
        }
        let bytes = buffer[range]
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return nil }
        return (lineNumber, Substring(String(decoding: bytes, as: UTF8.self)))
    }

    private mutating func fill() throws(InputError) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        do {
            let data = try handle.read(upToCount: readSize) ?? Data()
            if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
        } catch {
            throw .readFailed(source: name, reason: error.localizedDescription)
        }
    }
}
