import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// A clock that starts at a fixed time: timestamps are `origin + frame / rate`.
final class FixedRecordingClock: RecordingClock, @unchecked Sendable {
    let origin: Double
    let rate: Double
    init(origin: Double, rate: Double) { self.origin = origin; self.rate = rate }
    func timestamp(ofFrame frame: Int64) -> Double { origin + Double(frame) / rate }
    func now() -> Double { origin }
}

/// The XDF container, byte by byte against the specification (sccn/xdf wiki,
/// "Specifications"): variable-length integers, chunk lengths that count the tag,
/// stream ids, per-sample timestamp bytes, the boundary UUID.
@Suite("XDF writer: bytes")
struct XDFWriterTests {
    func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test("variable-length integers take 1, 4 or 8 bytes after their width byte")
    func variableLength() {
        var out: [UInt8] = []
        XDFChunk.appendVariableLength(255, to: &out)
        XDFChunk.appendVariableLength(256, to: &out)
        XDFChunk.appendVariableLength(0x1_0000_0000, to: &out)
        #expect(out == [1, 0xFF, 4, 0x00, 0x01, 0x00, 0x00, 8, 0, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test("a file with a header, two float32 samples, a string sample and a boundary is the bytes the specification gives")
    func smallFile() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try XDFWriter(path: path, overwrite: false)
        try writer.writeStreamHeader(id: 7, xml: "<i/>")
        let frames: [Float] = [1.0, -2.0]
        try frames.withUnsafeBufferPointer { try writer.writeSamples(id: 7, frames: $0, channels: 1, firstTimestamp: 0.5) }
        try writer.writeSample(id: 9, strings: ["hi"], timestamp: 2.0)
        try writer.writeBoundary()
        try writer.close()
        let fileHeader = Array("<?xml version=\"1.0\"?>\n<info><version>1.0</version></info>".utf8)
        var expected = Array("XDF:".utf8) + [1, UInt8(2 + fileHeader.count), 1, 0] + fileHeader
        expected += [1, 10, 2, 0, 7, 0, 0, 0] + Array("<i/>".utf8)
        // 2 (tag) + 4 (id) + 2 (count) + 1 + 8 + 4 (first) + 1 + 4 (second) = 26
        expected += [1, 26, 3, 0, 7, 0, 0, 0, 1, 2]
        expected += [8, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F, 0x00, 0x00, 0x80, 0x3F]  // 0.5, 1.0f
        expected += [0, 0x00, 0x00, 0x00, 0xC0]  // deduced timestamp, -2.0f
        // 2 + 4 + 2 + 1 + 8 + 2 ("hi" length) + 2 = 21
        expected += [1, 21, 3, 0, 9, 0, 0, 0, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0x40, 1, 2] + Array("hi".utf8)
        expected += [1, 18, 5, 0] + XDFChunk.boundaryUUID
        #expect(try bytes(path) == expected)
        #expect(writer.bytesWritten == expected.count)
    }

    @Test("a chunk longer than 255 bytes has a 4-byte length")
    func longChunk() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try XDFWriter(path: path, overwrite: false)
        let start = writer.bytesWritten
        let frames = [Float](repeating: 0, count: 100)
        try frames.withUnsafeBufferPointer { try writer.writeSamples(id: 1, frames: $0, channels: 1, firstTimestamp: 0) }
        try writer.close()
        let chunk = Array(try bytes(path)[start...])
        let length = 2 + 4 + 2 + 9 + 4 + 99 * 5
        #expect(Array(chunk[0..<7]) == [4, UInt8(length & 0xFF), UInt8(length >> 8), 0, 0, 3, 0])
        #expect(chunk.count == 5 + length)
    }

    @Test("an existing file is refused unless overwriting is asked for")
    func exists() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data([1]))
        #expect(throws: XDFError(.exists, path: path, "exists")) { try XDFWriter(path: path, overwrite: false) }
        let writer = try XDFWriter(path: path, overwrite: true)
        try writer.close()
        #expect(try bytes(path).prefix(4) == ArraySlice(XDFChunk.magic))
    }
}
