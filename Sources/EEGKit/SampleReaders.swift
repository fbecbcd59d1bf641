import Foundation

/// Little-endian float32 frames, `channelCount` samples each.
public struct RawFloat32Reader: FrameSource {
    public let channelCount: Int
    public var labels: [String]? { nil }
    /// Frames in the file, when its size is known (set by ``FrameSourceFormat/open(_:channels:allowingGaps:checkingLiveRate:)``).
    public var storedFrameCount: Int?
    private let input: InputFile
    /// The bytes of a frame the last read ended inside (fewer than one frame's): they
    /// start the next chunk.
    private var carry: [UInt8] = []
    private var framesRead = 0
    private var bytesRead = 0
    private let chunkBytes: Int

    /// The most channels a frame may have (as `--channels` allows).
    public static let maximumChannels = 4096

    /// `chunkFrames` frames are read at a time, but never more than 4 MiB, so memory is
    /// bounded whatever the channel count. A `channelCount` outside 1…4096 is reported
    /// by the first `nextChunk` as ``InputError/badChannelCount(source:count:limit:)``.
    public init(input: InputFile, channelCount: Int, chunkFrames: Int = 16_384) {
        self.input = input
        self.channelCount = channelCount
        let frameBytes = 4 * min(max(channelCount, 1), Self.maximumChannels)
        chunkBytes = frameBytes * min(max(chunkFrames, 1), max(1, (4 << 20) / frameBytes))
    }

    /// Reads straight into `buffer`'s storage (the file's little-endian float32 is the
    /// host's own layout; no intermediate byte buffer, no per-sample decoding), then scans
    /// the chunk once for non-finite values. `buffer` keeps its storage from call to call:
    /// no allocation once it has grown to a chunk.
    public mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int {
        guard (1...Self.maximumChannels).contains(channelCount) else {
            throw .badChannelCount(source: input.name, count: channelCount, limit: Self.maximumChannels)
        }
        let frameBytes = channelCount * 4, capacity = chunkBytes / 4
        if buffer.count > capacity { buffer.removeLast(buffer.count - capacity) }
        if buffer.count < capacity { buffer.append(contentsOf: repeatElement(0, count: capacity - buffer.count)) }
        var filled = carry.count
        if filled > 0 { buffer.withUnsafeMutableBytes { $0.copyBytes(from: carry) } }
        let (input, chunkBytes) = (input, chunkBytes)
        while filled < frameBytes {
            let start = filled
            let count = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(InputError) in try input.readSome(into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<chunkBytes])) }
            }.get()
            bytesRead += count
            if count == 0 {
                guard filled == 0 else { throw .notWholeFrames(source: input.name, bytes: bytesRead, channels: channelCount) }
                buffer.removeAll(keepingCapacity: true)
                return 0
            }
            filled += count
        }
        let frames = filled / frameBytes, used = frames * frameBytes
        carry.removeAll(keepingCapacity: true)
        buffer.withUnsafeBytes { carry.append(contentsOf: $0[used..<filled]) }
        buffer.removeLast(capacity - frames * channelCount)
        #if _endian(big)
        for i in buffer.indices { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
        #endif
        if let bad = Self.firstNonFinite(buffer) {
            throw .nonFinite(source: input.name, frame: framesRead + bad / channelCount, channel: bad % channelCount)
        }
        framesRead += frames
        return frames
    }

    /// The index of the first NaN or ±∞ in `values`, if any. The common case (none) is one
    /// vectorisable pass: an all-ones exponent plus one carries into the sign bit.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        let any = values.withUnsafeBufferPointer { p in
            var carry: UInt32 = 0
            for v in p { carry |= ((v.bitPattern & 0x7F80_0000) &+ 0x0080_0000) & 0x8000_0000 }
            return carry != 0
        }
        return any ? values.firstIndex { !$0.isFinite } : nil
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
    /// A bad line met after good ones in the same chunk: thrown by the next call, so the
    /// frames before it are delivered first.
    private var deferredError: InputError?

    /// Reads the header (if any) and the first row to learn the channel count.
    public init(input: InputFile, declaredChannels: Int?) throws(InputError) {
        name = input.name
        lines = LineReader(input: input)
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
        if let error = deferredError {
            deferredError = nil
            throw error
        }
        buffer.removeAll(keepingCapacity: true)
        var frames = 0
        if let row = pending {
            buffer += row
            frames = 1
            pending = nil
        }
        do {
            while frames < 8192, try appendRow(to: &buffer) { frames += 1 }
        } catch {
            guard frames > 0 else { throw error }
            buffer.removeLast(buffer.count - frames * channelCount)
            deferredError = error
        }
        return frames
    }

    /// Appends the next line's values; false at the end of the input.
    private mutating func appendRow(to buffer: inout [Float]) throws(InputError) -> Bool {
        guard let (number, line) = try lines.next() else { return false }
        let expected = channelCount + (skipFirstColumn ? 1 : 0)
        var fields = Self.fields(of: line, maxSplits: expected)
        guard fields.count == expected else {
            let found = fields.count > expected ? line.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) } : fields.count
            throw .csvColumnCount(source: name, line: number, expected: expected, found: found)
        }
        if skipFirstColumn { fields.removeFirst() }
        for (offset, field) in fields.enumerated() {
            buffer.append(try Self.value(field.trimmingCharacters(in: .whitespaces), line: number, column: offset + 1 + (skipFirstColumn ? 1 : 0), name: name))
        }
        return true
    }
}

/// Lines of a file read in blocks; a line ends at LF, CR LF or a lone CR, and blank
/// lines are skipped. Line numbers count from 1. Memory is bounded: a line longer than
/// `maximumLineBytes` is an error, not a growing buffer.
struct LineReader {
    /// 1 MiB: 4096 channels of 20-character numbers fit many times over.
    static let maximumLineBytes = 1 << 20
    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    private let input: InputFile
    private let name: String
    private let readSize: Int
    /// Bytes read sit in `buffer[..<filled]`; the array only grows (to the longest line
    /// plus one read), so reading allocates nothing once it has.
    private var buffer: [UInt8] = []
    private var filled = 0
    /// Where the next line starts in `buffer`.
    private var start = 0
    /// Bytes from `start` up to here hold no line end (so they are not searched again).
    private var scanned = 0
    private var atEnd = false
    private var lineNumber = 0

    init(input: InputFile, readSize: Int = 1 << 16) {
        self.input = input
        name = input.name
        self.readSize = readSize
    }

    mutating func next() throws(InputError) -> (Int, Substring)? {
        while true {
            if let end = buffer[max(start, scanned)..<filled].firstIndex(where: { $0 == Self.lf || $0 == Self.cr }) {
                // A CR at the end of what was read may be the first half of CR LF.
                if buffer[end] == Self.cr && end + 1 == filled && !atEnd { scanned = end; try fill(); continue }
                let next = buffer[end] == Self.cr && end + 1 < filled && buffer[end + 1] == Self.lf ? end + 2 : end + 1
                let line = try take(start..<end)
                start = next
                scanned = next
                if let line { return line }
                continue
            }
            scanned = filled
            guard filled - start <= Self.maximumLineBytes else {
                throw .lineTooLong(source: name, line: lineNumber + 1, limit: Self.maximumLineBytes)
            }
            if atEnd {
                guard start < filled else { return nil }
                let line = try take(start..<filled)
                start = filled
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
        let (kept, from) = (filled - start, start)
        if start > 0 {
            // Move the unfinished line to the front (memmove) and read after it.
            buffer.withUnsafeMutableBytes { raw in raw.baseAddress!.copyMemory(from: raw.baseAddress! + from, byteCount: kept) }
            filled = kept
            scanned -= start
            start = 0
        }
        if buffer.count < filled + readSize { buffer += repeatElement(0, count: filled + readSize - buffer.count) }
        let input = input, end = filled
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(InputError) in try input.readSome(into: UnsafeMutableRawBufferPointer(rebasing: raw[end..<(end + readSize)])) }
        }.get()
        filled += count
        if count == 0 { atEnd = true }
    }
}
