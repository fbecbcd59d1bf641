import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// What the XDF sink writes, read back by the XDF reader: the same samples (float32,
/// bit for bit), labels, markers at their samples, gaps in time where frames were lost.
@Suite("XDF: write then read")
struct XDFRoundTripTests {
    static let layout = StreamLayout(labels: ["Fp1", "Fp2", "O1"], sampleRate: 100, fullScale: 187_500, source: "test source")

    /// Stream headers as a session gives them (EEGKit's SessionStreamInfos.make, by hand here).
    static func streams(metrics: [String], layout: StreamLayout = layout) -> SessionStreamInfos {
        SessionStreamInfos(
            eeg: StreamInfo(name: "S", type: "EEG", channelCount: layout.channelCount, nominalRate: layout.sampleRate, channelFormat: .float32,
                            sourceID: "sim-1", channels: layout.labels.map { .init(label: $0, unit: "microvolts", type: "EEG") }),
            metrics: metrics.isEmpty ? nil : StreamInfo(name: "S-metrics", type: "Metrics", channelCount: metrics.count, nominalRate: 4, channelFormat: .float32,
                                                        sourceID: "sim-1-metrics", channels: metrics.map { .init(label: $0, unit: "", type: "Metric") }),
            markers: StreamInfo(name: "S-markers", type: "Markers", channelCount: 1, nominalRate: 0, channelFormat: .string, sourceID: "sim-1-markers"))
    }

    /// 250 frames, a 30-frame gap, 120 more; markers at 0.5 s and after the gap; two
    /// metric samples.
    func write(_ path: String) throws -> [Float] {
        let sink = try XDFRecordingSink(path: path, layout: Self.layout, streams: Self.streams(metrics: ["engagement", "attention"]),
                                        overwrite: false, clock: FixedRecordingClock(origin: 1000, rate: 100))
        let values = (0..<(370 * 3)).map { Float(sin(Double($0) * 0.37) * 50) + 0.123 }
        sink.annotate(.recordingStarted(source: "test"), onset: 0)
        try values.withUnsafeBufferPointer { all in
            try sink.append(UnsafeBufferPointer(rebasing: all[0..<(100 * 3)]))
            sink.annotate(.marker("stimulus A"), onset: 0.5)
            try sink.append(UnsafeBufferPointer(rebasing: all[(100 * 3)..<(250 * 3)]))
            try sink.gap(frames: 30, cause: .ringOverflow)
            try sink.append(UnsafeBufferPointer(rebasing: all[(250 * 3)...]))
        }
        sink.annotate(.marker("after the gap"))
        try [Float(0.5), Float.nan].withUnsafeBufferPointer { try sink.appendMetrics($0, atFrame: 399) }
        sink.annotate(.recordingEnded)
        try sink.close()
        return values
    }

    @Test("samples, labels, the gap and the markers come back as written")
    func roundTrip() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try write(path)
        let recording = try XDFRecording(path: path)
        #expect(recording.stream.info.channels.map(\.label) == ["Fp1", "Fp2", "O1"])
        #expect(recording.stream.info.channels.allSatisfy { $0.unit == "microvolts" })
        #expect(recording.sampleRate == 100 && recording.firstTimestamp == 1000)
        var read: [Float] = [], values: [Float] = [], stamps: [Double] = [], last = 0.0
        var allStamps: [Double] = []
        for chunk in recording.stream.chunks {
            try recording.reader.decodeNumeric(chunk, of: recording.stream, last: &last, values: &values, timestamps: &stamps)
            read += values
            allStamps += stamps
        }
        #expect(read.map(\.bitPattern) == written.map(\.bitPattern))
        #expect(abs(allStamps[249] - 1002.49) < 1e-9 && allStamps[250] == 1002.8)
        #expect(recording.runs == [.init(storedStart: 0, timelineStart: 0), .init(storedStart: 250, timelineStart: 280)])
        #expect(recording.gaps == [FrameGap(frames: 30, beforeSampleIndex: 280, cause: .notRecorded)])
        #expect(recording.timelineIndex(ofStoredFrame: 369) == 399)
        let kinds = recording.annotations.map { ($0.onset, $0.kind) }
        #expect(kinds.count == 5)
        #expect(kinds[0] == (0, .recordingStarted(source: "test")))
        #expect(kinds[1] == (0.5, .marker("stimulus A")))
        #expect(kinds[2] == (2.5, .samplesLost(count: 30, cause: .ringOverflow)))
        #expect(recording.annotations[2].duration == 0.3)
        #expect(kinds[3] == (4.0, .marker("after the gap")))
        #expect(kinds[4] == (4.0, .recordingEnded))
        let metrics = try #require(recording.reader.streams.first { $0.info.name == "S-metrics" })
        #expect(metrics.info.channels.map(\.label) == ["engagement", "attention"] && metrics.sampleCount == 1)
    }

    @Test("pieces never cross a gap: the chunk holding the gap's far side starts a piece")
    func pieces() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try write(path)
        let recording = try XDFRecording(path: path)
        #expect(recording.pieces.map(\.count) == [100, 150, 120])
        #expect(recording.pieces.map(\.chunk) == [0, 1, 2])
    }

    @Test("clock offsets: none leave timestamps alone, one is added, several give their least-squares line")
    func clockCorrection() {
        #expect(XDFRecording.correction([])(5) == 5)
        #expect(XDFRecording.correction([(time: 10, value: 0.25)])(5) == 5.25)
        // offset = 0.1 + 0.01·t exactly: at t = 100, 100 + 0.1 + 1.
        let line = XDFRecording.correction([(0, 0.1), (10, 0.2), (20, 0.3)])
        #expect(abs(line(100) - 101.1) < 1e-12)
    }

    @Test("discarding a recording that never started leaves no file")
    func discard() throws {
        let path = temporaryPath("xdf")
        let sink = try XDFRecordingSink(path: path, layout: Self.layout, streams: XDFRoundTripTests.streams(metrics: []), overwrite: false)
        #expect(FileManager.default.fileExists(atPath: path))
        sink.discard()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

/// Review #6 and #3: timestamps start at the first frame, not when the file was created;
/// a crafted rate cannot make the timeline's arithmetic trap.
@Suite("XDF: clock anchor and hostile rates")
struct XDFAnchorTests {
    final class Reading: @unchecked Sendable { var now = 10.0 }

    @Test("the start marker made before the first frame gets the first frame's timestamp, not the creation time")
    func anchoredAtFirstFrame() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reading = Reading()
        let clock = AnchoredMonotonicClock(sampleRate: 100) { reading.now }
        let sink = try XDFRecordingSink(path: path, layout: XDFRoundTripTests.layout, streams: XDFRoundTripTests.streams(metrics: []), overwrite: false, clock: clock)
        sink.annotate(.recordingStarted(source: "test"), onset: 0)
        reading.now = 20  // the device took 10 s to deliver
        let frames = [Float](repeating: 1, count: 30)
        try frames.withUnsafeBufferPointer { try sink.append($0) }
        try sink.close()
        let recording = try XDFRecording(path: path)
        #expect(recording.firstTimestamp == 20)
        let markers = try #require(recording.reader.streams.first { $0.info.name == "S-markers" })
        var last = 0.0
        let stamps = try recording.reader.decodeStrings(markers.chunks[0], of: markers, last: &last).map(\.timestamp)
        #expect(stamps == [20])
        #expect(recording.annotations.first?.onset == 0)
    }

    @Test("a nominal rate of 1e300 Hz with a timestamp jump is refused as a bad header, not a trap")
    func hugeRate() throws {
        let header = Array("<info><name>S</name><channel_count>1</channel_count><nominal_srate>1e300</nominal_srate><channel_format>float32</channel_format></info>".utf8)
        var samples: [UInt8] = [1, 2]
        for t in [0.0, 1.0] {
            samples.append(8)
            XDFChunk.appendDouble(t, to: &samples)
            samples += [0, 0, 0x80, 0x3F]
        }
        let bytes = XDFHostileTests.withStreamHeader(header) + XDFChunk.encode(.samples, streamID: 1, content: samples)
        do {
            _ = try XDFRecording(reader: XDFReader(bytes: bytes, name: "f.xdf"))
            Issue.record("a 1e300 Hz stream was accepted")
        } catch {
            #expect(error.kind == .badHeader)
        }
    }
}
