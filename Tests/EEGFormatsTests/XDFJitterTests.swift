import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// LSL streams stamped in bursts (an outlet behind a 16 ms USB latency timer pushes 4
/// samples 0.1 ms apart, then nothing for 16 ms) are jitter, not gaps: frames keep their
/// count, markers land near their sample; a real gap is still found with its size.
@Suite("XDF: bursty timestamps")
struct XDFJitterTests {
    static let rate = 250.0
    static let start = 5000.0
    /// How late a bursty stamp is on average: (12 + 8 + 4 + 0) / 4 ms, plus (0 + 0.1 + 0.2 + 0.3) / 4 ms.
    static let meanLateness = 0.006 + 0.00015

    /// The time sample `i` was measured, and the timestamp a bursty outlet gives it: that of
    /// the last sample of its burst of 4 (16 ms later at most), plus 0.1 ms per place.
    static func stamp(_ i: Int) -> Double {
        start + Double((i / 4) * 4 + 3) / rate + Double(i % 4) * 0.0001
    }

    /// A LabRecorder-like file: a 250 Hz int16 stream (sample i has value i % 30000) of
    /// the samples `indices`, 100 a chunk, and a marker stream with `markers` (true times).
    static func file(indices: [Int], markers: [(String, Double)]) -> [UInt8] {
        func header(_ name: String, _ format: String, _ rate: Double) -> [UInt8] {
            Array("<?xml version=\"1.0\"?><info><name>\(name)</name><type>EEG</type><channel_count>1</channel_count><nominal_srate>\(rate)</nominal_srate><channel_format>\(format)</channel_format></info>".utf8)
        }
        var bytes = XDFChunk.magic + XDFChunk.encode(.fileHeader, content: Array("<?xml version=\"1.0\"?><info><version>1.0</version></info>".utf8))
        bytes += XDFChunk.encode(.streamHeader, streamID: 1, content: header("Bursty", "int16", rate))
        bytes += XDFChunk.encode(.streamHeader, streamID: 2, content: header("Markers", "string", 0))
        for chunkStart in stride(from: 0, to: indices.count, by: 100) {
            let part = indices[chunkStart..<min(chunkStart + 100, indices.count)]
            var content: [UInt8] = []
            XDFChunk.appendVariableLength(UInt64(part.count), to: &content)
            for i in part {
                content.append(8)
                XDFChunk.appendDouble(stamp(i), to: &content)
                XDFChunk.appendLittleEndian(UInt64(i % 30000), width: 2, to: &content)
            }
            bytes += XDFChunk.encode(.samples, streamID: 1, content: content)
        }
        for (text, time) in markers {
            var content: [UInt8] = [1, 1, 8]
            XDFChunk.appendDouble(time, to: &content)
            XDFChunk.appendVariableLength(UInt64(text.utf8.count), to: &content)
            bytes += XDFChunk.encode(.samples, streamID: 2, content: content + Array(text.utf8))
        }
        return bytes
    }

    @Test("10 s stamped in bursts of 4: no gaps, 2500 frames on 2500 positions, the marker at 4 s less the mean lateness of the stamps")
    func burstsAreNotGaps() throws {
        let bytes = Self.file(indices: Array(0..<2500), markers: [("at 4 s", Self.start + 4)])
        let recording = try XDFRecording(reader: XDFReader(bytes: bytes, name: "bursty.xdf"))
        #expect(recording.gaps.isEmpty)
        #expect(recording.stream.sampleCount == 2500)
        #expect(recording.timelineIndex(ofStoredFrame: 2499) == 2499)
        let marker = try #require(recording.annotations.first)
        // The EEG stamps are 0–12 ms (+ 0–0.3 ms) late, 6.15 ms on average: the fitted line
        // carries that mean lateness, so the marker sits 6.15 ms (1.5 samples) early — the
        // neighbouring-difference timeline had it 12 ms early on a 1.75× too long timeline.
        #expect(abs(marker.onset - (4 - Self.meanLateness)) < 1e-4, "onset \(marker.onset)")
        #expect(abs(recording.fittedPeriod - 1 / Self.rate) < 1e-6)
    }

    @Test("2 s missing (samples 1000–1499) in the same bursty stream: one gap of 500 frames, the marker after it in place")
    func realGapFound() throws {
        let kept = Array(0..<1000) + Array(1500..<2500)
        let bytes = Self.file(indices: kept, markers: [("at 8 s", Self.start + 8)])
        let recording = try XDFRecording(reader: XDFReader(bytes: bytes, name: "gap.xdf"))
        #expect(recording.gaps == [FrameGap(frames: 500, beforeSampleIndex: 1500, cause: .notRecorded)])
        #expect(recording.timelineIndex(ofStoredFrame: 1999) == 2499)
        let marker = try #require(recording.annotations.first)
        #expect(abs(marker.onset - (8 - Self.meanLateness)) < 1e-4, "onset \(marker.onset)")
    }

    @Test("exact timestamps with one frame missing still give a one-frame gap")
    func singleFrameGapInExactStamps() throws {
        var bytes = XDFChunk.magic + XDFChunk.encode(.fileHeader, content: Array("<info/>".utf8))
        bytes += XDFChunk.encode(.streamHeader, streamID: 1, content: Array("<info><name>E</name><channel_count>1</channel_count><nominal_srate>100</nominal_srate><channel_format>int8</channel_format></info>".utf8))
        var content: [UInt8] = []
        let indices = Array(0..<50) + Array(51..<100)
        XDFChunk.appendVariableLength(UInt64(indices.count), to: &content)
        for i in indices {
            content.append(8)
            XDFChunk.appendDouble(20 + Double(i) / 100, to: &content)
            content.append(UInt8(i))
        }
        bytes += XDFChunk.encode(.samples, streamID: 1, content: content)
        let recording = try XDFRecording(reader: XDFReader(bytes: bytes, name: "one.xdf"))
        #expect(recording.gaps == [FrameGap(frames: 1, beforeSampleIndex: 51, cause: .notRecorded)])
    }
}

/// The timestamps-only decode that places frames gives what the full decode gives, and
/// refuses what it refuses.
@Suite("XDF: timestamps-only decode")
struct XDFTimestampDecodeTests {
    @Test("every chunk of a bursty file and of a file with deduced stamps: the same timestamps as the full decode")
    func sameStamps() throws {
        let bursty = XDFJitterTests.file(indices: Array(0..<250) + Array(300..<520), markers: [])
        // One stored stamp, then 3 deduced ones (width byte 0) at 10 Hz.
        let deduced = XDFHostileTests.withStream + XDFChunk.encode(.samples, streamID: 1, content: [1, 4, 8]
            + { var d: [UInt8] = []; XDFChunk.appendDouble(7.5, to: &d); return d }() + [1, 0, 2, 0, 0, 3, 0, 4, 0, 0, 5, 0, 6, 0, 0, 7, 0, 8, 0])
        for bytes in [bursty, deduced] {
            let reader = try XDFReader(bytes: bytes, name: "t.xdf")
            let stream = reader.streams[0]
            var lastFull = 0.0, lastStamps = 0.0, values: [Float] = [], full: [Double] = [], only: [Double] = []
            var allFull: [Double] = [], allOnly: [Double] = []
            for chunk in stream.chunks {
                try reader.decodeNumeric(chunk, of: stream, last: &lastFull, values: &values, timestamps: &full)
                try reader.decodeTimestamps(chunk, of: stream, last: &lastStamps, timestamps: &only)
                allFull += full
                allOnly += only
            }
            #expect(allOnly.map(\.bitPattern) == allFull.map(\.bitPattern) && allOnly.count == stream.sampleCount)
        }
        let reader = try XDFReader(bytes: deduced, name: "t.xdf")
        var stamps: [Double] = [], last = 0.0
        try reader.decodeTimestamps(reader.streams[0].chunks[0], of: reader.streams[0], last: &last, timestamps: &stamps)
        #expect(stamps == [7.5, 7.6, 7.699999999999999, 7.799999999999999])
    }

    @Test("a chunk with a byte left over after its samples is refused at that byte, as by the full decode")
    func leftover() throws {
        let bytes = XDFHostileTests.withStream + XDFChunk.encode(.samples, streamID: 1, content: [1, 1, 0, 1, 0, 2, 0, 9])
        let reader = try XDFReader(bytes: bytes, name: "t.xdf")
        var stamps: [Double] = [], last = 0.0
        do {
            try reader.decodeTimestamps(reader.streams[0].chunks[0], of: reader.streams[0], last: &last, timestamps: &stamps)
            Issue.record("a leftover byte was accepted")
        } catch {
            #expect(error.kind == .badSamples && error.offset == XDFHostileTests.withStream.count + 8 + 2 + 5)
        }
    }
}
