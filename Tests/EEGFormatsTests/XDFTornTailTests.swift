import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// A recording whose end was lost (power cut after the last flush: a torn last chunk, or
/// the file's extended size left as zeros) is read up to the damage, with a problem that
/// names its kind and byte; damage with a boundary chunk after it is still refused.
@Suite("XDF reader: torn or zero-filled end")
struct XDFTornTailTests {
    /// Where each chunk starts, walked by hand from the chunk lengths (independent of the reader).
    static func chunkStarts(_ bytes: [UInt8]) -> [(start: Int, tag: UInt16)] {
        var starts: [(Int, UInt16)] = [], p = 4
        while p < bytes.count {
            let width = Int(bytes[p])
            let length = Int(XDFByteSource.littleEndian(bytes[(p + 1)..<(p + 1 + width)]))
            let tagAt = p + 1 + width
            starts.append((p, UInt16(bytes[tagAt]) | UInt16(bytes[tagAt + 1]) << 8))
            p = tagAt + length
        }
        return starts
    }

    /// The round-trip recording (100 + 150 frames, a boundary, then 120 frames) as bytes.
    static func recording() throws -> (bytes: [UInt8], values: [Float]) {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values = try XDFRoundTripTests().write(path)
        return (Array(try Data(contentsOf: URL(fileURLWithPath: path))), values)
    }

    func frames(_ recording: XDFRecording) throws -> [Float] {
        var all: [Float] = [], values: [Float] = [], stamps: [Double] = [], last = 0.0
        for chunk in recording.stream.chunks {
            try recording.reader.decodeNumeric(chunk, of: recording.stream, last: &last, values: &values, timestamps: &stamps)
            all += values
        }
        return all
    }

    @Test("cut anywhere inside the last EEG chunk: every frame before it is read, the problem names the chunk's byte")
    func cutInsideLastChunk() throws {
        let (bytes, written) = try Self.recording()
        // The EEG stream is stream 1; its last samples chunk holds the 120 frames after the gap.
        let samples = Self.chunkStarts(bytes).filter { $0.tag == XDFChunk.Tag.samples.rawValue && bytes[$0.start + 1 + Int(bytes[$0.start]) + 2] == 1 }
        let last = try #require(samples.last).start
        let next = try #require(Self.chunkStarts(bytes).first { $0.start > last }).start
        for cut in [last + 1, last + 2, last + 4, last + 9, (last + next) / 2, next - 1] {
            let reader = try XDFReader(bytes: Array(bytes[..<cut]), name: "cut.xdf")
            #expect(reader.problems.map(\.kind) == [.truncated], "cut at \(cut)")
            #expect(reader.problems.first?.offset == last, "cut at \(cut)")
            let recording = try XDFRecording(reader: reader)
            #expect(recording.stream.sampleCount == 250)
            #expect(try frames(recording).map(\.bitPattern) == written[..<(250 * 3)].map(\.bitPattern))
            #expect(recording.annotations.contains { $0.onset == 0.5 && $0.kind == .marker("stimulus A") })
        }
    }

    @Test("4 KiB of zeros after a whole recording: all of it is read, the zeros are one problem at their first byte")
    func zeroFilledEnd() throws {
        let (bytes, written) = try Self.recording()
        let reader = try XDFReader(bytes: bytes + [UInt8](repeating: 0, count: 4096), name: "zeros.xdf")
        #expect(reader.problems.map(\.kind) == [.badVariableLength])
        #expect(reader.problems.first?.offset == bytes.count)
        #expect(reader.problems.first?.description.contains("4096 bytes from byte \(bytes.count)") == true)
        let recording = try XDFRecording(reader: reader)
        #expect(try frames(recording).map(\.bitPattern) == written.map(\.bitPattern))
        #expect(recording.annotations.count == 5 && recording.gaps.count == 1)
    }

    @Test("an intact file has no problems")
    func intact() throws {
        #expect(try XDFReader(bytes: try Self.recording().bytes, name: "ok.xdf").problems.isEmpty)
    }

    @Test("damage with a boundary chunk after it is in the middle: refused with its kind and byte")
    func damageInTheMiddle() throws {
        let (bytes, _) = try Self.recording()
        let boundary = try #require(Self.chunkStarts(bytes).first { $0.tag == XDFChunk.Tag.boundary.rawValue }).start
        let firstSamples = try #require(Self.chunkStarts(bytes).first { $0.tag == XDFChunk.Tag.samples.rawValue }).start
        #expect(firstSamples < boundary)
        var damaged = bytes
        damaged[firstSamples] = 0  // the length's width byte
        do {
            _ = try XDFReader(bytes: damaged, name: "mid.xdf")
            Issue.record("a damaged chunk before a boundary was accepted")
        } catch {
            #expect(error.kind == .badVariableLength && error.offset == firstSamples)
        }
    }
}
