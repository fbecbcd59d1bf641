import Foundation
import Testing
import TestSupport
@testable import EEGFormats

func temporaryPath(_ ext: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).\(ext)").path
}

let start = DateComponents(year: 2026, month: 11, day: 26, hour: 9, minute: 30, second: 5)
let cytonStep = 4.5 / 24 / Double((1 << 23) - 1) * 1_000_000

func cytonChannels(_ n: Int, rate: Int) -> [EDFSignal] {
    (1...n).map { EDFSignal(label: "ch\($0)", physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: rate) }
}

func readAll(_ reader: EDFReader) throws -> (frames: [Float], annotations: [Annotation], starts: [Double]) {
    var frames: [Float] = [], annotations: [Annotation] = [], starts: [Double] = []
    var buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
    for r in 0..<reader.recordCount {
        let s = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
        frames += buffer
        starts.append(s)
    }
    annotations = try reader.allAnnotations()
    return (frames, annotations, starts)
}

@Suite("EDF+/BDF+ writer and reader")
struct EDFRoundTripTests {
    @Test("BDF+ keeps Cyton's 24-bit counts exactly")
    func bdfExact() throws {
        let path = temporaryPath("bdf")
        let counts: [Int32] = (0..<(8 * 750)).map { i in Int32((i * 7919) % 16_000_000) - 8_000_000 }
        let microvolts = counts.map { Float(Double($0) * cytonStep) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(8, rate: 250), start: start)
        try microvolts.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        #expect(writer.clippedSamples == 0)
        let reader = try EDFReader(path: path)
        #expect(reader.header.flavor == .bdf && reader.header.isPlus && reader.header.recordCount == 3)
        #expect(reader.sampleRate == 250 && reader.channelCount == 8 && reader.problems.isEmpty)
        let back = try readAll(reader).frames
        try #require(back.count == counts.count)
        // Every stored value is the same ADC count…
        let signal = reader.header.signals[0]
        var wrongCounts = 0, worst = 0.0
        for i in counts.indices {
            if signal.digital(back[i]).0 != counts[i] { wrongCounts += 1 }
            worst = max(worst, abs(Double(back[i]) - Double(counts[i]) * cytonStep))
        }
        #expect(wrongCounts == 0)
        // …and reads back as its µV value to float precision.
        #expect(worst <= 0.008)
        #expect(reader.header.start == start)
    }

    @Test("EDF+ stores within the documented quantisation (half a step of 0.1 µV over ±3276.7 µV)")
    func edfQuantisation() throws {
        let path = temporaryPath("edf")
        let channels = (1...2).map { EDFSignal(label: "Fp\($0)", physicalMinimum: -3276.8, physicalMaximum: 3276.7, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 256) }
        let values: [Float] = (0..<(2 * 512)).map { (i: Int) -> Float in
            let wave: Double = sin(Double(i) * 0.37) * 150
            return Float(wave + Double(i % 7))
        }
        let writer = try EDFWriter(path: path, flavor: .edf, channels: channels, start: start)
        try values.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        let back = try readAll(try EDFReader(path: path)).frames
        let step = 6553.5 / 65535
        #expect(zip(values, back).allSatisfy { abs(Double($0) - Double($1)) <= step / 2 + 1e-6 })
        // Out of range: clipped at the limits, and counted.
        let clipPath = temporaryPath("edf")
        let clipping = try EDFWriter(path: clipPath, flavor: .edf, channels: [channels[0]], start: start)
        try [Float](repeating: 5000, count: 256).withUnsafeBufferPointer { try clipping.append($0) }
        try clipping.close()
        #expect(clipping.clippedSamples == 256)
    }

    @Test("annotations, gaps and the closing padding come back with their times")
    func annotations() throws {
        let path = temporaryPath("bdf")
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(2, rate: 100), start: start)
        writer.annotate(Annotation(onset: 0, text: "Recording starts"))
        try [Float](repeating: 1, count: 2 * 150).withUnsafeBufferPointer { try writer.append($0) }
        writer.annotate(Annotation(onset: 1.5, text: "marker: eyes closed"))
        try writer.gap(frames: 30, cause: .other("ring buffer full"))
        try [Float](repeating: 2, count: 2 * 40).withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        let reader = try EDFReader(path: path)
        #expect(reader.recordCount == 3)
        let (frames, annotations, starts) = try readAll(reader)
        #expect(starts == [0, 1, 2])
        #expect(annotations.map(\.text) == ["Recording starts", "marker: eyes closed",
                                            "EEGKit: 30 samples lost (ring buffer full); zeros here are not data",
                                            "EEGKit: recording ended; the rest of this record is padding, not data"])
        #expect(annotations.map(\.onset) == [0, 1.5, 1.5, 2.2])
        #expect(annotations[2].duration == 0.3)
        #expect(annotations[3].duration == 0.8)
        // The gap is zeros in the signal, then the real samples continue.
        #expect(frames[2 * 150] == 0 && frames[2 * 179] == 0)
        #expect(abs(frames[2 * 180] - 2) < 0.05)
        #expect(try reader.allAnnotations() == annotations)
    }

    @Test("a recording that was never closed is valid up to its last whole record")
    func neverClosed() throws {
        let path = temporaryPath("bdf")
        var writer: EDFWriter? = try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(1, rate: 100), start: start)
        try [Float](repeating: 3, count: 350).withUnsafeBufferPointer { try writer!.append($0) }
        // Copy the file as a crash would leave it (before close writes the count).
        let crashed = temporaryPath("bdf")
        try FileManager.default.copyItem(atPath: path, toPath: crashed)
        writer = nil
        let reader = try EDFReader(path: crashed)
        #expect(reader.header.recordCount == -1)
        #expect(reader.recordCount == 3)  // the 4th record was still being filled
        #expect(reader.problems.first?.contains("not closed") == true)
        #expect(try readAll(reader).frames.count == 300)
    }

    @Test("refuses to overwrite an existing file unless asked")
    func overwrite() throws {
        let path = temporaryPath("edf")
        FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8))
        #expect(throws: EDFError.exists(path: path)) {
            // A 16-bit signal: a Cyton's 24-bit range does not fit EDF (refused before the file is looked at).
            try EDFWriter(path: path, flavor: .edf, channels: [EDFSignal(label: "C3", physicalMinimum: -100, physicalMaximum: 100, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 10)], start: start)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test("the MNE-written shared recording reads exactly as an independent parser read it")
    func otherTools() throws {
        let reader = try EDFReader(path: Fixtures.url("eeg/libgdf_mi128.edf").path)
        #expect(reader.channelLabels == ["eeg:C3", "eeg:Cz", "eeg:C4"])
        #expect(reader.sampleRate == 128)
        #expect(reader.frameCount == 49664)
        let frames = try readAll(reader).frames
        let independent = try Fixtures.float32("eeg/libgdf_mi128.f32")
        #expect(frames == independent)
        #expect(try reader.allAnnotations().count == 280)
    }
}

@Suite("EDF reader on malformed files")
struct EDFMalformedTests {
    func sample() throws -> [UInt8] {
        let path = temporaryPath("edf")
        let channels = [EDFSignal(label: "C3", physicalMinimum: -100, physicalMaximum: 100, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 10)]
        let writer = try EDFWriter(path: path, flavor: .edf, channels: channels, start: start)
        try [Float](repeating: 1, count: 30).withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func read(_ bytes: [UInt8]) throws -> EDFReader {
        let path = temporaryPath("edf")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try EDFReader(path: path)
    }

    func expectError(_ bytes: [UInt8], contains text: String) {
        do {
            _ = try read(bytes)
            Issue.record("no error; expected one containing '\(text)'")
        } catch {
            #expect("\(error)".contains(text), "\(error)")
        }
    }

    func patch(_ bytes: [UInt8], _ offset: Int, _ text: String) -> [UInt8] {
        var b = bytes
        for (i, c) in text.utf8.enumerated() { b[offset + i] = c }
        return b
    }

    @Test("each error names the field, its byte offset and what was expected")
    func fields() throws {
        let good = try sample()
        _ = try read(good)
        expectError(Array(good.prefix(100)), contains: "file ends at byte 100, inside the fixed header")
        expectError(patch(good, 0, "PK\u{3}\u{4}    "), contains: "header field 'version' at byte 0")
        expectError(patch(good, 184, "1234    "), contains: "'number of bytes in header' at byte 184 is '1234', expected 768")
        expectError(patch(good, 236, "abc     "), contains: "'number of data records' at byte 236 is 'abc'")
        expectError(patch(good, 168, "32.13.26"), contains: "'startdate' at byte 168")
        expectError(patch(good, 252, "0   "), contains: "'number of signals' at byte 252")
        // Two signals (C3 and the annotations): signal 1's physical minimum lives at
        // 256 + 2 × (16 + 80 + 8) = 464, its digital minimum at 464 + 2 × 16 = 496.
        expectError(patch(good, 464, "low     "), contains: "'physical minimum of signal 1' at byte 464 is 'low', expected a number")
        expectError(patch(good, 496, "40000   "), contains: "'digital minimum of signal 1' at byte 496 is '40000', expected an integer from -32768 to 32767")
        expectError(Array(good.prefix(600)), contains: "inside the signal headers")
        expectError(patch(good, 236, "9       "), contains: "'number of data records' at byte 236 says 9 data records but the file holds 3")
        expectError(Array(good.dropLast(5)), contains: "says 3 data records but the file holds 2 plus")
    }

    @Test("a directory, or a file that does not exist")
    func notFiles() {
        #expect(throws: EDFError.self) { try EDFReader(path: "/no/such.edf") }
        do {
            _ = try EDFReader(path: FileManager.default.temporaryDirectory.path)
            Issue.record("a directory was accepted")
        } catch {
            #expect("\(error)".contains("is a directory"))
        }
    }

    @Test("random garbage never crashes the reader, and every rejection is an EDFError")
    func garbage() throws {
        // Seeded, so a crash found here is found again on the next run.
        var generator = SplitMix64(seed: 0xEE6_0ED)
        let good = try sample()
        var rejected = 0
        for _ in 0..<300 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...20, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
            do {
                let reader = try read(bytes)
                var buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
                for r in 0..<reader.recordCount { try buffer.withUnsafeMutableBufferPointer { _ = try reader.readRecord(r, into: $0) } }
                _ = try reader.allAnnotations()
            } catch {
                #expect(error is EDFError, "\(error)")
                rejected += 1
            }
        }
        // Half the cases truncate the file, so most must be refused rather than read.
        #expect(rejected > 100)
    }
}

/// A small deterministic generator (SplitMix64, Steele et al. 2014).
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
