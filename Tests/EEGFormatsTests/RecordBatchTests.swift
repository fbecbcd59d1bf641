import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// The reader reads records in batches (``RecordBatch``) and decodes each channel's run
/// on its own: whatever order records are asked for, and whichever way they are laid out,
/// the floats are those of one record read and decoded at a time.
@Suite("EDF/BDF reading in batches of records")
struct RecordBatchTests {
    /// A BDF+ file of `seconds` 1 s records, 8 channels at 250 Hz, more records than one
    /// batch holds; returns its path and the frames written.
    static func bdf(seconds: Int) throws -> (String, [Float]) {
        let path = temporaryPath("bdf")
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(8, rate: 250), start: start)
        let frames = (0..<(seconds * 250 * 8)).map { i in Float((i * 7919) % 300_001 - 150_000) * 0.37 }
        try frames.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        return (path, frames)
    }

    /// Record `r` of `reader`, read alone by a fresh reader (no batch shared).
    static func alone(_ path: String, _ r: Int) throws -> [Float] {
        let reader = try EDFReader(path: path)
        var frames = [Float](repeating: .nan, count: reader.framesPerRecord * reader.channelCount)
        try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(r, into: $0) }
        return frames
    }

    @Test("records read backwards, at random and forwards give the same floats")
    func anyOrder() throws {
        let (path, written) = try Self.bdf(seconds: 120)
        let reader = try EDFReader(path: path)
        let perRecord = reader.framesPerRecord * reader.channelCount
        try #require(reader.recordCount == 120 && RecordBatch.targetBytes / reader.header.recordBytes < 120)
        var frames = [Float](repeating: .nan, count: perRecord)
        var forwards: [Float] = []
        for r in 0..<reader.recordCount {
            try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(r, into: $0) }
            forwards += frames
        }
        // What was written, to the file's quantisation (a step is 0.022 µV).
        #expect(zip(forwards, written).allSatisfy { abs($0 - $1) <= 0.012 })
        var generator = SystemRandomNumberGenerator()
        let order = Array((0..<reader.recordCount).reversed()) + (0..<40).map { _ in Int.random(in: 0..<120, using: &generator) }
        for r in order {
            try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(r, into: $0) }
            #expect(frames == Array(forwards[(r * perRecord)..<((r + 1) * perRecord)]), "record \(r)")
        }
        #expect(try Self.alone(path, 77) == Array(forwards[(77 * perRecord)..<(78 * perRecord)]))
    }

    @Test("channel by channel gives each channel's interleaved floats, for any channel order and row stride")
    func planar() throws {
        let (path, _) = try Self.bdf(seconds: 3)
        let reader = try EDFReader(path: path)
        let n = reader.framesPerRecord, width = reader.channelCount
        var interleaved = [Float](repeating: .nan, count: n * width)
        let channels = [5, 0, 7, 5], stride = n + 3
        var planar = [Float](repeating: .nan, count: channels.count * stride)
        for r in 0..<reader.recordCount {
            let start = try interleaved.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
            let same = try planar.withUnsafeMutableBufferPointer { try reader.readRecord(r, channels: channels, into: $0.baseAddress!, channelStride: stride) }
            #expect(start == same)
            for (k, c) in channels.enumerated() {
                let run = Array(planar[(k * stride)..<(k * stride + n)])
                let column = (0..<n).map { interleaved[$0 * width + c] }
                let untouched = planar[(k * stride + n)..<((k + 1) * stride)].allSatisfy { $0.isNaN }
                #expect(run == column, "record \(r), channel \(c)")
                #expect(untouched, "beyond channel \(c)'s run")
            }
        }
    }

    @Test("a file cut short after opening: the records before the cut read, the torn one is named with its offsets")
    func shrankAfterOpening() throws {
        let (path, _) = try Self.bdf(seconds: 100)
        let reader = try EDFReader(path: path)
        let recordBytes = reader.header.recordBytes, headerBytes = reader.header.headerBytes
        let cut = headerBytes + 90 * recordBytes + recordBytes / 2
        #expect(truncate(path, off_t(cut)) == 0)
        var frames = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
        for r in 0..<90 { try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(r, into: $0) } }
        let expected = EDFError.truncated(path: path, need: headerBytes + 91 * recordBytes, have: cut, what: "data record 90")
        #expect(throws: expected) { try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(90, into: $0) } }
        #expect(throws: expected) {
            try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(90, channels: [0], into: $0.baseAddress!, channelStride: reader.framesPerRecord) }
        }
        // Past the cut entirely: nothing of the record is there.
        let gone = EDFError.truncated(path: path, need: headerBytes + 96 * recordBytes, have: headerBytes + 95 * recordBytes, what: "data record 95")
        #expect(throws: gone) { try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(95, into: $0) } }
    }
}
