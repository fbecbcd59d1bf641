import EEGCore

/// Reads the structure of an XDF file — its streams (headers as ``StreamInfo``), where
/// each stream's samples chunks are, and its clock offsets — in one pass over the chunk
/// headers, and decodes samples chunks on request.
///
/// Every byte is hostile until checked: each length is checked against the bytes left
/// in the file before anything is read or allocated for it, a chunk larger than
/// ``maxChunkBytes`` or a header larger than ``maxHeaderBytes`` is refused, and so are
/// more than ``maxStreams`` streams, ``maxTotalHeaderBytes`` of stream headers in all or
/// ``maxChunks`` samples chunks; a description's elements other than the channels are
/// dropped. Errors are ``XDFError``s with a kind and the byte offset. A torn or
/// zero-filled end is not an error but one of ``problems``. Chunks of kinds XDF 1.0 does
/// not define are skipped, as the specification asks of readers.
///
/// Not thread-safe: one thread reads.
public final class XDFReader {
    /// Where a stream's samples chunk lies: its sample values start at `offset` (after the
    /// stream id and sample count) and take `length` bytes.
    public struct SampleChunk: Sendable, Equatable {
        public let offset: Int
        public let length: Int
        public let sampleCount: Int
    }

    /// One stream of the file.
    public struct Stream: Sendable {
        public let id: UInt32
        public let info: StreamInfo
        /// The byte its header chunk starts at.
        public let headerOffset: Int
        public internal(set) var chunks: [SampleChunk] = []
        public internal(set) var sampleCount = 0
        /// Clock offset measurements: at `time` (the recording computer's clock) the
        /// stream's clock was `value` seconds behind (add `value` to its timestamps).
        public internal(set) var clockOffsets: [(time: Double, value: Double)] = []
    }

    public static let maxChunkBytes = 64 << 20
    public static let maxHeaderBytes = 1 << 20
    /// Stream header bytes a file may hold in all: the parsed trees take about 10× their
    /// bytes while parsing, so 1024 headers of 1 MB would need several GB.
    public static let maxTotalHeaderBytes = 16 << 20
    public static let maxStreams = 1024
    public static let maxChunks = 4_000_000
    public static let maxClockOffsets = 1_000_000

    public let path: String
    public private(set) var streams: [Stream] = []
    /// What was wrong but did not stop the reading: a torn or zero-filled end (a chunk
    /// whose length is unreadable or runs past the end, with no boundary chunk after it)
    /// ends the scan there; everything before it is read. Kind and byte offset as thrown
    /// errors have them.
    public private(set) var problems: [XDFError] = []
    private var headerBytes = 0
    let source: XDFByteSource

    /// Opens and scans `path`.
    public convenience init(path: String) throws(XDFError) {
        try self.init(source: XDFByteSource(path: path))
    }

    /// Scans an XDF file held in memory (`name` is used in messages).
    public convenience init(bytes: [UInt8], name: String) throws(XDFError) {
        try self.init(source: XDFByteSource(bytes: bytes, name: name))
    }

    init(source: XDFByteSource) throws(XDFError) {
        self.source = source
        path = source.name
        guard try source.read(4, at: 0) == XDFChunk.magic else {
            throw XDFError(.notXDF, path: path, offset: 0, "the file does not start with 'XDF:': not an XDF file")
        }
        var offset = 4
        var chunkCount = 0
        while offset < source.size {
            let frame: (content: Int, end: Int)
            do throws(XDFError) {
                frame = try chunkFrame(at: offset)
            } catch {
                // A torn or zero-filled end (power lost after the last flush) loses only
                // itself; a damaged chunk with a boundary after it is damage in the middle.
                if case .io = error.kind { throw error }
                guard try !boundaryFollows(offset) else { throw error }
                problems.append(XDFError(error.kind, path: path, offset: error.offset ?? offset,
                                         "\(error.detail); the \(source.size - offset) bytes from byte \(offset) to the end are ignored (a torn or zero-filled end: everything before is read)"))
                break
            }
            try scanChunk(at: offset, content: frame.content, end: frame.end, chunkCount: &chunkCount)
            offset = frame.end
        }
    }

    /// The chunk at `offset`: where its tag starts and where it ends, checked against the file.
    private func chunkFrame(at offset: Int) throws(XDFError) -> (content: Int, end: Int) {
        var at = offset
        let length = try variableLength(at: &at, what: "a chunk length")
        guard length >= 2, length <= UInt64(Self.maxChunkBytes) else {
            throw XDFError(length < 2 ? .badChunkLength : .tooLarge, path: path, offset: offset,
                           "a chunk of \(length) bytes (tag included): expected 2 to \(Self.maxChunkBytes)")
        }
        let end = at + Int(length)
        guard end <= source.size else {
            throw XDFError(.truncated, path: path, offset: offset, "a chunk of \(length) bytes runs past the end of the file at byte \(source.size)")
        }
        return (at, end)
    }

    /// Whether a boundary chunk's UUID occurs after `offset` (read a block at a time).
    private func boundaryFollows(_ offset: Int) throws(XDFError) -> Bool {
        let uuid = XDFChunk.boundaryUUID, block = 1 << 20
        var from = offset + 1
        while source.size - from >= uuid.count {
            let bytes = try source.read(min(block + uuid.count - 1, source.size - from), at: from)
            if bytes.count >= uuid.count {
                for i in 0...(bytes.count - uuid.count) where bytes[i] == uuid[0] && bytes[i..<(i + uuid.count)].elementsEqual(uuid) { return true }
            }
            from += block
        }
        return false
    }

    /// Records what the chunk whose tag starts at `content` says.
    private func scanChunk(at offset: Int, content: Int, end: Int, chunkCount: inout Int) throws(XDFError) {
        var at = content
        let tagBytes = try source.read(2, at: at)
        let tag = XDFChunk.Tag(rawValue: UInt16(tagBytes[0]) | UInt16(tagBytes[1]) << 8)
        at += 2
        guard let tag, tag.hasStreamID else { return }  // file header, boundary, or a kind to skip
        guard end - at >= 4 else {
            throw XDFError(.badChunkLength, path: path, offset: offset, "a \(tag) chunk of \(end - content) bytes has no room for its stream id")
        }
        let id = try uint32(at: at)
        at += 4
        switch tag {
        case .streamHeader: try addStream(id: id, at: at, end: end, chunkOffset: offset)
        case .samples:
            chunkCount += 1
            guard chunkCount <= Self.maxChunks else { throw XDFError(.tooLarge, path: path, offset: offset, "more than \(Self.maxChunks) samples chunks") }
            try addSamples(stream: try streamIndex(id, offset), at: at, end: end)
        case .clockOffset: try addClockOffset(stream: try streamIndex(id, offset), at: at, end: end)
        default: break  // a footer only summarises what the chunks say
        }
    }

    private func streamIndex(_ id: UInt32, _ offset: Int) throws(XDFError) -> Int {
        guard let index = streams.firstIndex(where: { $0.id == id }) else {
            throw XDFError(.unknownStream, path: path, offset: offset, "a chunk of stream \(id), which no stream header before it introduces")
        }
        return index
    }

    private func addStream(id: UInt32, at: Int, end: Int, chunkOffset: Int) throws(XDFError) {
        if streams.contains(where: { $0.id == id }) {
            throw XDFError(.unknownStream, path: path, offset: chunkOffset, "a second header for stream \(id)")
        }
        guard streams.count < Self.maxStreams else { throw XDFError(.tooLarge, path: path, offset: chunkOffset, "more than \(Self.maxStreams) streams") }
        guard end - at <= Self.maxHeaderBytes else {
            throw XDFError(.tooLarge, path: path, offset: chunkOffset, "a stream header of \(end - at) bytes (at most \(Self.maxHeaderBytes))")
        }
        headerBytes += end - at
        guard headerBytes <= Self.maxTotalHeaderBytes else {
            throw XDFError(.tooLarge, path: path, offset: chunkOffset, "stream headers of more than \(Self.maxTotalHeaderBytes) bytes in all")
        }
        var info: StreamInfo
        do {
            info = try StreamInfo(xml: try source.read(end - at, at: at))
        } catch let error as StreamInfoError {
            var offset = at
            if case .malformedXML(let inside, _) = error { offset += inside }
            throw XDFError(.badHeader, path: path, offset: offset, "the header of stream \(id): \(error)")
        } catch let error as XDFError {
            throw error
        } catch {
            throw XDFError(.badHeader, path: path, offset: at, "the header of stream \(id): \(error)")
        }
        // Nothing reads the description's other elements; kept, they would pin the trees.
        info.descriptionExtras = []
        streams.append(Stream(id: id, info: info, headerOffset: chunkOffset))
    }

    private func addSamples(stream index: Int, at start: Int, end: Int) throws(XDFError) {
        var at = start
        let count = try variableLength(at: &at, what: "a sample count", limit: end)
        let info = streams[index].info
        // Each sample takes at least its timestamp byte and, per channel, its value (or a
        // string's length width byte and one length byte).
        let minimum = 1 + info.channelCount * (info.channelFormat.byteWidth ?? 2)
        guard count <= UInt64(end - at) / UInt64(minimum) else {
            throw XDFError(.badSamples, path: path, offset: start, "\(count) samples of stream \(streams[index].id) cannot fit in the chunk's \(end - at) bytes")
        }
        streams[index].chunks.append(SampleChunk(offset: at, length: end - at, sampleCount: Int(count)))
        streams[index].sampleCount += Int(count)
    }

    private func addClockOffset(stream index: Int, at: Int, end: Int) throws(XDFError) {
        guard end - at >= 16 else {
            throw XDFError(.badSamples, path: path, offset: at, "a clock offset chunk with \(end - at) bytes after its stream id (expected 16)")
        }
        guard streams[index].clockOffsets.count < Self.maxClockOffsets else {
            throw XDFError(.tooLarge, path: path, offset: at, "more than \(Self.maxClockOffsets) clock offsets")
        }
        let bytes = try source.read(16, at: at)
        let time = Double(bitPattern: XDFByteSource.littleEndian(bytes[0..<8]))
        let value = Double(bitPattern: XDFByteSource.littleEndian(bytes[8..<16]))
        guard time.isFinite, value.isFinite else {
            throw XDFError(.badSamples, path: path, offset: at, "a clock offset that is not a finite number (\(time), \(value))")
        }
        streams[index].clockOffsets.append((time, value))
    }

    /// A variable-length integer at `at` (moved past it), within `limit` (default: the file).
    func variableLength(at: inout Int, what: String, limit: Int? = nil) throws(XDFError) -> UInt64 {
        let start = at
        let end = limit ?? source.size
        guard at < end else { throw XDFError(.truncated, path: path, offset: at, "the data ends inside \(what)") }
        let width = Int(try source.read(1, at: at)[0])
        guard width == 1 || width == 4 || width == 8 else {
            throw XDFError(.badVariableLength, path: path, offset: start, "\(what) of width \(width) (expected 1, 4 or 8)")
        }
        guard at + 1 + width <= end else { throw XDFError(.truncated, path: path, offset: start, "the data ends inside \(what)") }
        let value = XDFByteSource.littleEndian(try source.read(width, at: at + 1)[...])
        at += 1 + width
        return value
    }

    private func uint32(at: Int) throws(XDFError) -> UInt32 {
        UInt32(truncatingIfNeeded: XDFByteSource.littleEndian(try source.read(4, at: at)[...]))
    }
}
