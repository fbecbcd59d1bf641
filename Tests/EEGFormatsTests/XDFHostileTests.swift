import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// Crafted and truncated XDF files: each is refused with its exact error kind and the
/// byte offset of what is wrong, before anything is allocated from the lying number.
@Suite("XDF reader: hostile files")
struct XDFHostileTests {
    static let header = Array("<?xml version=\"1.0\"?><info><name>S</name><channel_count>2</channel_count><nominal_srate>10</nominal_srate><channel_format>int16</channel_format></info>".utf8)
    static let start = XDFChunk.magic + XDFChunk.encode(.fileHeader, content: Array("<info/>".utf8))
    static let withStream = withStreamHeader(header)
    /// A boundary chunk: damage before one is in the middle of the file, not a torn end.
    static let boundary = XDFChunk.encode(.boundary, content: XDFChunk.boundaryUUID)

    /// The file header and one stream header (stream 1) with `xml`.
    static func withStreamHeader(_ xml: [UInt8]) -> [UInt8] { start + XDFChunk.encode(.streamHeader, streamID: 1, content: xml) }

    func failure(_ bytes: [UInt8]) -> XDFError? {
        do {
            let reader = try XDFReader(bytes: bytes, name: "f.xdf")
            _ = try XDFRecording(reader: reader)
            return nil
        } catch {
            return error
        }
    }

    /// A samples chunk of stream 1 with `count` samples and `body` after the count.
    func samples(count: UInt8, _ body: [UInt8]) -> [UInt8] {
        XDFChunk.encode(.samples, streamID: 1, content: [1, count] + body)
    }

    @Test("not XDF: the magic number is checked at byte 0")
    func notXDF() {
        #expect(failure(Array("EDF:xxxx".utf8))?.kind == .notXDF)
        #expect(failure(Array("XD".utf8))?.kind == .truncated)
    }

    @Test("a chunk length width that is not 1, 4 or 8 is named at its byte")
    func badWidth() {
        let e = failure(Self.start + [3, 0, 0, 0] + Self.boundary)
        #expect(e?.kind == .badVariableLength && e?.offset == Self.start.count)
    }

    @Test("a chunk length running past the end with a boundary after it is truncated, at the chunk's first byte")
    func truncatedChunk() {
        let e = failure(Self.withStream + [1, 200, 3, 0, 1, 0, 0, 0] + Self.boundary)
        #expect(e?.kind == .truncated && e?.offset == Self.withStream.count)
    }

    @Test("the same damage at the end, with no boundary after it, is a problem, not a failure")
    func tornEndIsAProblem() throws {
        let whole = Self.withStream + samples(count: 1, [0, 1, 0, 2, 0])
        let reader = try XDFReader(bytes: Array(whole.dropLast(2)), name: "f.xdf")
        #expect(reader.problems.map(\.kind) == [.truncated] && reader.problems.first?.offset == Self.withStream.count)
        #expect(reader.streams.count == 1 && reader.streams[0].sampleCount == 0)
        let width = try XDFReader(bytes: Self.start + [3, 0, 0, 0], name: "f.xdf")
        #expect(width.problems.map(\.kind) == [.badVariableLength] && width.problems.first?.offset == Self.start.count)
    }

    @Test("a length below the tag's 2 bytes, or one beyond the chunk limit, is refused before reading")
    func badLengths() {
        #expect(failure(Self.start + [1, 1, 0] + Self.boundary)?.kind == .badChunkLength)
        var huge = Self.start + [8]
        XDFChunk.appendLittleEndian(UInt64.max, width: 8, to: &huge)
        let e = failure(huge + Self.boundary)
        #expect(e?.kind == .tooLarge && e?.offset == Self.start.count)
        #expect(failure(Self.start + [1, 4, 3, 0, 1, 0])?.kind == .badChunkLength)  // no room for a stream id
    }

    @Test("samples of a stream no header introduced")
    func unknownStream() {
        #expect(failure(Self.start + samples(count: 1, [0, 1, 0, 2, 0]))?.kind == .unknownStream)
        #expect(failure(Self.withStream + XDFChunk.encode(.streamHeader, streamID: 1, content: Self.header))?.kind == .unknownStream)
    }

    @Test("a sample count that cannot fit in the chunk is refused before allocating")
    func countTooLarge() {
        // 200 samples × (1 + 2 × 2) bytes do not fit in 5 bytes.
        let e = failure(Self.withStream + samples(count: 200, [0, 1, 0, 2, 0]))
        #expect(e?.kind == .badSamples && e?.offset == Self.withStream.count + 8)
    }

    @Test("a timestamp width other than 0 or 8, a non-finite timestamp, and bytes left over")
    func badSampleBytes() {
        let base = Self.withStream.count + 8 + 2  // chunk: width, length, tag (2), id (4); then the count (2)
        let width = failure(Self.withStream + samples(count: 1, [4, 1, 0, 2, 0]))
        #expect(width?.kind == .badSamples && width?.offset == base)
        var infinite: [UInt8] = [8]
        XDFChunk.appendDouble(.infinity, to: &infinite)
        let e = failure(Self.withStream + samples(count: 1, infinite + [1, 0, 2, 0]))
        #expect(e?.kind == .badSamples && e?.offset == base + 1)
        let extra = failure(Self.withStream + samples(count: 1, [0, 1, 0, 2, 0, 9]))
        #expect(extra?.kind == .badSamples && extra?.offset == base + 5)
    }

    @Test("a stream header that is not the XML it must be, or lacks its channel format")
    func badHeader() {
        let malformed = failure(Self.start + XDFChunk.encode(.streamHeader, streamID: 1, content: Array("<info><name>".utf8)))
        #expect(malformed?.kind == .badHeader)
        let missing = Array("<info><name>S</name><channel_count>2</channel_count><nominal_srate>10</nominal_srate></info>".utf8)
        #expect(failure(Self.start + XDFChunk.encode(.streamHeader, streamID: 1, content: missing))?.kind == .badHeader)
    }

    @Test("a clock offset chunk shorter than its two doubles")
    func shortClockOffset() {
        #expect(failure(Self.withStream + XDFChunk.encode(.clockOffset, streamID: 1, content: [0, 0, 0]))?.kind == .badSamples)
    }

    @Test("a file with only string streams has no EEG to read")
    func noEEG() {
        let markers = Array("<info><name>M</name><channel_count>1</channel_count><nominal_srate>0</nominal_srate><channel_format>string</channel_format></info>".utf8)
        let e = failure(Self.start + XDFChunk.encode(.streamHeader, streamID: 1, content: markers))
        #expect(e?.kind == .streamNotFound)
    }

    @Test("chunks of kinds XDF 1.0 does not define are skipped; int16 samples read as their values")
    func unknownTagSkipped() throws {
        let bytes = Self.withStream + XDFChunk.encode(.init(rawValue: 5)!, content: XDFChunk.boundaryUUID) + [1, 3, 99, 0, 7]
            + samples(count: 2, [0, 1, 0, 0xFE, 0xFF, 0, 3, 0, 4, 0])
        let recording = try XDFRecording(reader: XDFReader(bytes: bytes, name: "f.xdf"))
        var values: [Float] = [], stamps: [Double] = [], last = 0.0
        try recording.reader.decodeNumeric(recording.stream.chunks[0], of: recording.stream, last: &last, values: &values, timestamps: &stamps)
        #expect(values == [1, -2, 3, 4] && stamps == [0.1, 0.2])
    }

    @Test("stream headers are capped per file (maxTotalHeaderBytes), and their description extras are not kept")
    func headerMemory() throws {
        // 17 headers of about 1 MB each: each within the per-header limit, 17 MB in all.
        let pad = String(repeating: "a", count: XDFReader.maxHeaderBytes - 400)
        var bytes = Self.start
        var offsets: [Int] = []
        for id in 1...17 {
            offsets.append(bytes.count)
            let xml = "<info><name>S\(id)</name><channel_count>1</channel_count><nominal_srate>10</nominal_srate><channel_format>int16</channel_format><desc><pad>\(pad)</pad></desc></info>"
            bytes += XDFChunk.encode(.streamHeader, streamID: UInt32(id), content: Array(xml.utf8))
        }
        let e = failure(bytes)
        #expect(e?.kind == .tooLarge && e?.offset == offsets[16], "\(String(describing: e))")
        let one = try XDFReader(bytes: Array(bytes[..<offsets[1]]), name: "f.xdf")
        #expect(one.streams.count == 1 && one.streams[0].info.descriptionExtras.isEmpty)
    }
}
