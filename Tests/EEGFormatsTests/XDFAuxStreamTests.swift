import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// The aux stream of an XDF recording (a Cyton's accelerometer, analog inputs, marker
/// codes, board clock): one float32 sample per EEG frame, bit for bit as appended, with
/// the EEG frame's timestamp, a gap jumping both streams alike; the EEG stream stays
/// EEG only and is still the one read as EEG.
@Suite("XDF: the aux stream")
struct XDFAuxStreamTests {
    static let auxiliary = [
        AuxiliarySignal(label: "accel_x", unit: "g", minimum: -4.096, maximum: 4.096, digitalMinimum: -32768, digitalMaximum: 32767,
                        framesPerSample: 10, transducer: "accelerometer", channelType: "ACCEL"),
        AuxiliarySignal(label: "board_time", unit: "ms", minimum: 0, maximum: 16_777_215, digitalMinimum: -(1 << 23), digitalMaximum: (1 << 23) - 1,
                        framesPerSample: 1, transducer: "board clock", channelType: "SYSCLOCK"),
    ]

    static var layout: StreamLayout {
        var layout = XDFRoundTripTests.layout
        layout.auxiliary = auxiliary
        return layout
    }

    static var streams: SessionStreamInfos {
        var streams = XDFRoundTripTests.streams(metrics: [], layout: layout)
        streams.aux = StreamInfo(name: "S-aux", type: "Aux", channelCount: 2, nominalRate: 100, channelFormat: .float32, sourceID: "sim-1-aux",
                                 channels: auxiliary.map { .init(label: $0.label, unit: $0.unit, type: $0.channelType) })
        return streams
    }

    /// A sink with the aux stream, stamping frame f at origin + f / 100.
    static func sink(_ path: String, origin: Double) throws -> XDFRecordingSink {
        try XDFRecordingSink(path: path, layout: layout, streams: streams, overwrite: false, clock: FixedRecordingClock(origin: origin, rate: 100))
    }

    /// Every sample of stream `id`, with its timestamps.
    static func read(_ reader: XDFReader, id: UInt32) throws -> (values: [Float], stamps: [Double]) {
        let stream = try #require(reader.streams.first { $0.id == id })
        var all: [Float] = [], stamps: [Double] = [], values: [Float] = [], chunkStamps: [Double] = [], last = 0.0
        for chunk in stream.chunks {
            try reader.decodeNumeric(chunk, of: stream, last: &last, values: &values, timestamps: &chunkStamps)
            all += values
            stamps += chunkStamps
        }
        return (all, stamps)
    }

    @Test("aux values bit for bit, at the EEG frames' timestamps, across a gap; the header's labels, units and types; EEG still stream 1")
    func roundTrip() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try Self.sink(path, origin: 500)
        let eeg = (0..<(60 * 3)).map { Float($0) * 0.25 - 7 }
        // 16777215 (2^24 − 1) is the largest board_time: exact in float32.
        var aux: [Float] = []
        for f in 0..<60 {
            let accel = Float(f / 10) * 0.000125 - 1
            let boardTime: Float = f == 59 ? 16_777_215 : Float(f * 4)
            aux += [accel, boardTime]
        }
        try eeg.withUnsafeBufferPointer { eeg in
            try aux.withUnsafeBufferPointer { aux in
                try sink.append(UnsafeBufferPointer(rebasing: eeg[0..<(25 * 3)]), auxiliary: UnsafeBufferPointer(rebasing: aux[0..<(25 * 2)]))
                try sink.gap(frames: 5, cause: .notReceived)
                try sink.append(UnsafeBufferPointer(rebasing: eeg[(25 * 3)...]), auxiliary: UnsafeBufferPointer(rebasing: aux[(25 * 2)...]))
            }
        }
        try sink.close()

        let reader = try XDFReader(path: path)
        #expect(reader.streams.map(\.id) == [1, 3, 4])
        let header = try #require(reader.streams.first { $0.id == XDFRecordingSink.StreamID.aux }).info
        #expect(header.name == "S-aux" && header.type == "Aux" && header.channelFormat == .float32 && header.nominalRate == 100)
        #expect(header.channels == [.init(label: "accel_x", unit: "g", type: "ACCEL"), .init(label: "board_time", unit: "ms", type: "SYSCLOCK")])
        let eegRead = try Self.read(reader, id: 1), auxRead = try Self.read(reader, id: 4)
        #expect(eegRead.values.map { $0.bitPattern } == eeg.map { $0.bitPattern })
        #expect(auxRead.values.map { $0.bitPattern } == aux.map { $0.bitPattern })
        #expect(auxRead.stamps == eegRead.stamps)
        // Frame 25 comes after the 5 lost frames: stamped as recording frame 30.
        #expect(auxRead.stamps.count == 60 && auxRead.stamps[24] == 500 + 24.0 / 100 && auxRead.stamps[25] == 500 + 30.0 / 100)
        // The EEG stream is still the one read as EEG, with its 3 channels only.
        let recording = try XDFRecording(path: path)
        #expect(recording.stream.id == 1 && recording.stream.info.channelCount == 3)
    }

    @Test("frames appended without aux values add no aux samples (nothing invented); without an aux stream, none is written")
    func nothingInvented() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try Self.sink(path, origin: 0)
        try [Float](repeating: 1, count: 30).withUnsafeBufferPointer { try sink.append($0) }
        try sink.close()
        let reader = try XDFReader(path: path)
        #expect(reader.streams.first { $0.id == 4 }?.sampleCount == 0)
        #expect(reader.streams.first { $0.id == 1 }?.sampleCount == 10)

        let plain = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: plain) }
        let noAux = try XDFRecordingSink(path: plain, layout: XDFRoundTripTests.layout, streams: XDFRoundTripTests.streams(metrics: []), overwrite: false,
                                         clock: FixedRecordingClock(origin: 0, rate: 100))
        try [Float](repeating: 1, count: 30).withUnsafeBufferPointer { try noAux.append($0, auxiliary: UnsafeBufferPointer(start: nil, count: 0)) }
        try noAux.close()
        #expect(try XDFReader(path: plain).streams.map(\.id) == [1, 3])
    }

    @Test("with no stream typed EEG (a LabRecorder file of --lsl-type ExG), the aux and metrics streams are not read as EEG")
    func companionsNotEEG() throws {
        let path = temporaryPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try XDFWriter(path: path, overwrite: false)
        let aux = try #require(Self.streams.aux)
        let exg = StreamInfo(name: "S", type: "ExG", channelCount: 2, nominalRate: 100, channelFormat: .float32, sourceID: "x",
                             channels: [.init(label: "a", unit: "microvolts", type: "EEG"), .init(label: "b", unit: "microvolts", type: "EEG")])
        let metrics = StreamInfo(name: "S-metrics", type: "Metrics", channelCount: 1, nominalRate: 4, channelFormat: .float32, sourceID: "x-metrics")
        try writer.writeStreamHeader(id: 7, xml: aux.xml(includingDescription: true))
        try writer.writeStreamHeader(id: 8, xml: metrics.xml(includingDescription: true))
        try writer.writeStreamHeader(id: 9, xml: exg.xml(includingDescription: true))
        try [Float](repeating: 1, count: 4).withUnsafeBufferPointer { try writer.writeSamples(id: 9, frames: $0, channels: 2, firstTimestamp: 10) }
        try writer.close()
        #expect(try XDFRecording(path: path).stream.id == 9)
        #expect(try XDFRecording(path: path, streamName: "S-aux").stream.id == 7)
    }
}
