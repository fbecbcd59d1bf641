import EEGCore
import Testing
@testable import EEGDevices

/// An SD-card file written by hand from the firmware's documented format, with its own
/// arithmetic (no code shared with the decoder): hex digits are produced nibble by nibble.
struct SDFileWriter {
    var text = ""

    static func hex(_ value: Int, digits: Int) -> String {
        let alphabet = Array("0123456789ABCDEF")
        var out = ""
        for shift in stride(from: 4 * (digits - 1), through: 0, by: -4) { out.append(alphabet[(value >> shift) & 0xF]) }
        return out
    }

    /// A sample line: counter, channel counts (24-bit two's complement), optional aux.
    mutating func sample(_ counter: Int, _ counts: [Int], aux: [Int]? = nil) {
        var fields = [Self.hex(counter & 0xFF, digits: 2)] + counts.map { Self.hex($0 & 0xFF_FFFF, digits: 6) }
        if let aux { fields += aux.map { Self.hex($0 & 0xFFFF, digits: 4) } }
        text += fields.joined(separator: ",") + "\n"
    }

    mutating func stamp(_ label: String, milliseconds: Int) { text += "%\(label) AT\n\(Self.hex(milliseconds, digits: 8))\n" }

    mutating func footer(rate: Int) {
        text += "\n%SamplingFreq:\n\(Self.hex(rate, digits: 5))\n%Total time mS:\n00001388\n%min Write time uS:\n000001F4\n"
        text += "%max Write time uS:\n00000BB8\n%Over:\n00000001\n%block, uS\n0000000A,00000BB8\n"
    }

    var bytes: [UInt8] { Array(text.utf8) }
}

struct SDDecoded {
    var frames: [(index: Int64, samples: [Float])] = []
    var gaps: [FrameGap] = []
    var skipped: [CytonSDProblem] = []
}

func decodeSD(_ bytes: [UInt8], channels: Int = 8, rate: Int = 250, strict: Bool = false, pieceSize: Int? = nil) throws -> SDDecoded {
    var decoder = CytonSDDecoder(channels: channels, sampleRate: rate, strict: strict)
    var out = SDDecoded()
    let handle: (CytonSDEvent) throws -> Void = { event in
        switch event {
        case .frame(let index, let samples): out.frames.append((index, Array(samples)))
        case .gap(let gap): out.gaps.append(gap)
        case .skipped(let problem): out.skipped.append(problem)
        }
    }
    let size = max(1, pieceSize ?? bytes.count)
    var start = 0
    while start < bytes.count {
        let piece = Array(bytes[start..<min(bytes.count, start + size)])
        try piece.withUnsafeBytes { try decoder.decode($0, handle) }
        start += size
    }
    try decoder.finish(handle)
    return out
}

func surveySD(_ bytes: [UInt8]) throws -> (channels: Int, rate: Int?) {
    var survey = CytonSDSurvey()
    try bytes.withUnsafeBytes { raw in try survey.scan(raw) }
    let channels = try survey.finish()
    return (channels, survey.statedRate)
}

/// Within one float step of the hand-computed value.
func closeTo(_ value: Float, _ expected: Double) -> Bool {
    abs(Double(value) - expected) <= abs(expected) * 1.2e-7 + 1e-9
}

@Suite("Cyton SD-card files: the pure decoder")
struct CytonSDDecoderTests {
    @Test("24-bit two's-complement hex becomes the µV computed by hand at gain 24")
    func handComputedValues() throws {
        var file = SDFileWriter()
        // 4.5 V / 24 / (2^23 - 1) per count: 0x7FFFFF is exactly +187500 µV.
        file.sample(0, [0x7FFFFF, 0x800000, 0xFFFFFF, 0x000001, 0x123456, 0, 0x400000, 0xC00000])
        let out = try decodeSD(file.bytes)
        let samples = try #require(out.frames.first?.samples)
        let expected: [Double] = [187_500, -187_500.02235174447, -0.022351744455307063, 0.022351744455307063,
                                  26_666.659315426266, 0, 93_750.01117587223, -93_750.01117587223]
        for (value, want) in zip(samples, expected) { #expect(closeTo(value, want), "\(value) vs \(want)") }
        #expect(out.frames.count == 1 && out.gaps.isEmpty && out.skipped.isEmpty)
    }

    @Test("Daisy lines hold 16 channels; aux values are read past, not kept")
    func daisy() throws {
        var file = SDFileWriter()
        file.sample(1, Array(0..<16), aux: [0x10, -16, 0x2000])
        file.sample(2, Array(repeating: -1, count: 16))
        #expect(try surveySD(file.bytes).channels == 16)
        let out = try decodeSD(file.bytes, channels: 16)
        #expect(out.frames.map(\.index) == [0, 1])
        #expect(closeTo(out.frames[0].samples[15], 15 * 0.022351744455307063))
        #expect(closeTo(out.frames[1].samples[8], -0.022351744455307063))
        // An 8-channel line in a 16-channel file is skipped, not read as a frame.
        file.sample(3, Array(repeating: 0, count: 8))
        let mixed = try decodeSD(file.bytes, channels: 16)
        #expect(mixed.frames.count == 2)
        #expect(mixed.skipped.first?.reason == .fieldCount(found: 9, channels: 16))
    }

    @Test("counter jumps are gaps; the 255 → 0 wrap is not")
    func counter() throws {
        var file = SDFileWriter()
        for n in [253, 254, 255, 0, 1, 4] { file.sample(n, Array(repeating: n, count: 8)) }
        let out = try decodeSD(file.bytes)
        #expect(out.frames.map(\.index) == [0, 1, 2, 3, 4, 7])
        #expect(out.gaps == [FrameGap(frames: 2, beforeSampleIndex: 7, cause: .notReceived)])
    }

    @Test("stop/start stamps between samples are a pause as long as the board's clock says")
    func pause() throws {
        var file = SDFileWriter()
        file.stamp("STOP", milliseconds: 100)  // the stamp that opens a recording: no pause
        for n in 0..<3 { file.sample(n, Array(repeating: 0, count: 8)) }
        file.stamp("START", milliseconds: 1000)
        file.stamp("STOP", milliseconds: 3000)
        for n in 0..<2 { file.sample(n, Array(repeating: 0, count: 8)) }  // the counter restarts
        let out = try decodeSD(file.bytes)
        // 2000 ms at 250 Hz = 500 samples not recorded.
        #expect(out.gaps == [FrameGap(frames: 500, beforeSampleIndex: 503, cause: .notRecorded)])
        #expect(out.frames.map(\.index) == [0, 1, 2, 503, 504])
        #expect(out.skipped.isEmpty)
    }

    @Test("a line cut off at the end is skipped, counted and one lost sample; so is one before the unused space")
    func tornEnd() throws {
        var file = SDFileWriter()
        file.sample(0, Array(repeating: 1, count: 8))
        file.sample(1, Array(repeating: 1, count: 8))
        for tail in [Array("02,00001".utf8), Array("02,00001".utf8) + [0, 0, 0, 0], Array("02,00001".utf8) + [0xFF, 0xFF]] {
            let out = try decodeSD(file.bytes + tail)
            #expect(out.frames.count == 2)
            #expect(out.skipped == [CytonSDProblem(line: 3, column: 9, reason: .torn)])
            #expect(out.gaps == [FrameGap(frames: 1, beforeSampleIndex: 3, cause: .notReceived)])
        }
        // Unused space after whole lines is no problem at all.
        let clean = try decodeSD(file.bytes + [UInt8](repeating: 0, count: 512))
        #expect(clean.skipped.isEmpty && clean.gaps.isEmpty)
    }

    @Test("a garbage line in the middle is skipped with its line and column; the counter shows the sample it held")
    func garbageMiddle() throws {
        var file = SDFileWriter()
        file.sample(0, Array(repeating: 0, count: 8))
        file.text += "01,00000G,000000\n"
        file.sample(2, Array(repeating: 0, count: 8))
        let out = try decodeSD(file.bytes)
        #expect(out.skipped == [CytonSDProblem(line: 2, column: 9, reason: .notHex(byte: UInt8(ascii: "G")))])
        #expect(out.gaps == [FrameGap(frames: 1, beforeSampleIndex: 2, cause: .notReceived)])
        #expect(out.skipped[0].description == "line 2, column 9: 'G' is not a hex digit")
        #expect(throws: CytonSDError.malformedLine(source: "", problem: out.skipped[0])) {
            _ = try decodeSD(file.bytes, strict: true)
        }
    }

    @Test("fed one byte at a time, the decoder finds what it finds in one piece")
    func pieces() throws {
        var file = SDFileWriter()
        file.stamp("STOP", milliseconds: 5)
        for n in 0..<20 where n != 7 { file.sample(n, (0..<8).map { $0 * n - 50 }, aux: n % 10 == 0 ? [1, 2, 3] : nil) }
        file.footer(rate: 250)
        let bytes = file.bytes + Array("garbage\n0".utf8)
        let whole = try decodeSD(bytes), single = try decodeSD(bytes, pieceSize: 1)
        #expect(whole.frames.map(\.index) == single.frames.map(\.index))
        #expect(whole.frames.map(\.samples) == single.frames.map(\.samples))
        #expect(whole.gaps == single.gaps && whole.skipped == single.skipped)
        #expect(whole.frames.count == 19 && whole.skipped.count == 2)  // "garbage", and the torn "0"
    }

    @Test("the survey reads the footer's rate and refuses rates the board cannot record")
    func statedRate() throws {
        var file = SDFileWriter()
        file.sample(0, Array(repeating: 0, count: 8))
        file.footer(rate: 500)
        #expect(try surveySD(file.bytes).rate == 500)
        var absurd = SDFileWriter()
        absurd.sample(0, Array(repeating: 0, count: 8))
        absurd.footer(rate: 0xFFFFF)
        #expect(throws: CytonSDError.unsupportedRate(source: "", line: 4, rate: 1_048_575)) { try surveySD(absurd.bytes) }
        var zero = SDFileWriter()
        zero.footer(rate: 0)
        #expect(throws: CytonSDError.unsupportedRate(source: "", line: 3, rate: 0)) { try surveySD(zero.bytes) }
        var twice = file
        twice.footer(rate: 1000)
        #expect(throws: CytonSDError.conflictingRates(source: "", line: 17, first: 500, second: 1000)) { try surveySD(twice.bytes) }
    }

    @Test("hostile lines: absurd channel counts, endless lines, a clock that implies days of pause")
    func hostile() throws {
        let wide = "00," + Array(repeating: "000000", count: 1000).joined(separator: ",") + "\n"
        #expect(throws: CytonSDError.noSamples(source: "", firstProblem: CytonSDProblem(line: 1, column: 257, reason: .tooLong))) {
            try surveySD(Array(wide.utf8))
        }
        let seventeen = "00," + Array(repeating: "000000", count: 17).joined(separator: ",") + "\n"
        #expect(throws: CytonSDError.noSamples(source: "", firstProblem: CytonSDProblem(line: 1, column: 1, reason: .fieldCount(found: 18, channels: nil)))) {
            try surveySD(Array(seventeen.utf8))
        }
        let endless = [UInt8](repeating: UInt8(ascii: "A"), count: 100_000)
        let out = try decodeSD(endless)
        #expect(out.skipped == [CytonSDProblem(line: 1, column: 257, reason: .tooLong)] && out.frames.isEmpty)
        var clock = SDFileWriter()
        clock.sample(0, Array(repeating: 0, count: 8))
        clock.stamp("START", milliseconds: 0)
        clock.stamp("STOP", milliseconds: 0xFFFF_FFFF)
        clock.sample(0, Array(repeating: 0, count: 8))
        #expect(throws: CytonSDError.pausesTooLong(source: "", line: 6, milliseconds: 0xFFFF_FFFF)) { _ = try decodeSD(clock.bytes) }
    }

    /// Each line repeats the counter, which reads as a whole cycle (255 samples) lost: by
    /// hand, line k has read k samples and claims 255·(k − 1) missing, and the bound is
    /// 2¹⁸ + 16·k, first passed at k = 1098 (279,735 > 279,712; at k = 1097, 279,480 ≤ 279,696).
    @Test("filler is capped against the samples read: repeated counters and long pauses cannot balloon the output")
    func fillerCap() throws {
        var repeated = SDFileWriter()
        for _ in 0..<1097 { repeated.sample(7, Array(repeating: 1, count: 8)) }
        let allowed = try decodeSD(repeated.bytes)
        #expect(allowed.frames.count == 1097 && allowed.gaps.reduce(0) { $0 + $1.frames } == 255 * 1096)
        repeated.sample(7, Array(repeating: 1, count: 8))
        #expect(throws: CytonSDError.gapsTooLong(source: "", line: 1098, missing: 279_735, read: 1098)) { _ = try decodeSD(repeated.bytes) }

        // 20 s of pause at 16 kHz is 320,000 frames of filler after one sample read.
        var paused = SDFileWriter()
        paused.sample(0, Array(repeating: 0, count: 8))
        paused.stamp("START", milliseconds: 0)
        paused.stamp("STOP", milliseconds: 20_000)
        paused.sample(0, Array(repeating: 0, count: 8))
        #expect(throws: CytonSDError.gapsTooLong(source: "", line: 6, missing: 320_000, read: 1)) { _ = try decodeSD(paused.bytes, rate: 16000) }
        // The same pause at 250 Hz is 5,000 frames: converted.
        #expect(try decodeSD(paused.bytes).gaps == [FrameGap(frames: 5000, beforeSampleIndex: 5001, cause: .notRecorded)])
    }
}
