/// The XDF 1.0 container's vocabulary: the magic number, the chunk tags, the boundary
/// chunk's UUID and the little-endian encodings chunks are built from.
///
/// A file is `XDF:` followed by chunks. Each chunk is `[NumLengthBytes: 1, 4 or 8]
/// [Length: that many bytes, little-endian][Tag: UInt16][Content]`, where Length counts
/// the tag and the content. Chunks of a stream (header, samples, clock offset, footer)
/// start their content with the stream's id (UInt32).
public enum XDFChunk {
    /// The chunk kinds XDF 1.0 defines.
    public enum Tag: UInt16, Sendable, CaseIterable {
        case fileHeader = 1
        case streamHeader = 2
        case samples = 3
        case clockOffset = 4
        case boundary = 5
        case streamFooter = 6

        /// Whether the content starts with a stream id.
        public var hasStreamID: Bool { self != .fileHeader && self != .boundary }
    }

    /// The first four bytes of every XDF file.
    public static let magic: [UInt8] = Array("XDF:".utf8)

    /// The content of every boundary chunk: a fixed UUID a reader can search for to find
    /// its way after a damaged chunk.
    public static let boundaryUUID: [UInt8] = [0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F,
                                               0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4]

    /// Bytes a variable-length integer of `value` takes after its count byte: 1, 4 or 8,
    /// the smallest that holds it.
    public static func variableLengthWidth(_ value: UInt64) -> Int {
        value <= UInt64(UInt8.max) ? 1 : value <= UInt64(UInt32.max) ? 4 : 8
    }

    /// Appends `value` as a variable-length integer: its width (1, 4 or 8), then the
    /// value in that many little-endian bytes.
    public static func appendVariableLength(_ value: UInt64, to bytes: inout [UInt8]) {
        let width = variableLengthWidth(value)
        bytes.append(UInt8(width))
        appendLittleEndian(value, width: width, to: &bytes)
    }

    /// Appends the low `width` bytes of `value`, least significant first.
    static func appendLittleEndian(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        appendLittleEndian(UInt64(value), width: 4, to: &bytes)
    }

    static func appendDouble(_ value: Double, to bytes: inout [UInt8]) {
        appendLittleEndian(value.bitPattern, width: 8, to: &bytes)
    }

    /// A whole chunk: length, tag, the stream id (for stream chunks), then `content`.
    public static func encode(_ tag: Tag, streamID: UInt32? = nil, content: [UInt8]) -> [UInt8] {
        let length = UInt64(2 + (streamID == nil ? 0 : 4) + content.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(length) + 9)
        appendVariableLength(length, to: &bytes)
        appendLittleEndian(UInt64(tag.rawValue), width: 2, to: &bytes)
        if let streamID { appendUInt32(streamID, to: &bytes) }
        bytes += content
        return bytes
    }
}
