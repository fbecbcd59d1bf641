import Foundation
import Testing
import TestSupport
@testable import EEGDSP

struct FilterCase: Decodable, CustomTestStringConvertible {
    let name: String
    let kind: String
    let btype: String?
    let order: Int?
    let cutoff: [Double]?
    let frequency: Double?
    let q: Double?
    let sample_rate: Double
    let sos: [[Double]]
    let signal: String
    let frames: Int
    let sosfilt: String
    let sosfiltfilt: String
    let range: Double
    var testDescription: String { name }
}

@Suite("Filters against scipy.signal")
struct FilterTests {
    static let cases: [FilterCase] = (try? Fixtures.json("dsp/filters.json", as: CaseFile<FilterCase>.self).cases) ?? []

    func design(_ c: FilterCase) throws -> SecondOrderSections {
        if c.kind == "notch" {
            return try Butterworth.notch(frequency: c.frequency!, quality: c.q!, sampleRate: c.sample_rate)
        }
        let kind = try #require(Butterworth.Kind(rawValue: c.btype!))
        return try Butterworth.design(kind, order: c.order!, cutoff: c.cutoff!, sampleRate: c.sample_rate)
    }

    @Test("the fixture file is there and has cases")
    func fixturesPresent() { #expect(Self.cases.count >= 40) }

    @Test("designs equal scipy's sos, section by section", arguments: cases)
    func coefficients(_ c: FilterCase) throws {
        let sos = try design(c)
        try #require(sos.sections.count == c.sos.count, "\(sos.sections.count) sections, scipy has \(c.sos.count)")
        for (s, (mine, theirs)) in zip(sos.sections, c.sos).enumerated() {
            let scale = theirs.map(abs).max()!
            for i in 0..<6 {
                #expect(abs(mine[i] - theirs[i]) <= 1e-9 * scale, "section \(s) coefficient \(i): \(mine[i]) vs \(theirs[i])")
            }
        }
    }

    @Test("causal filtering equals sosfilt, also fed in uneven blocks", arguments: cases)
    func causal(_ c: FilterCase) throws {
        let x = try Fixtures.float32("dsp/" + c.signal)
        let expected = try Fixtures.float32("dsp/" + c.sosfilt)
        let sos = try design(c)
        let tolerance = 1e-5 * c.range

        var whole = x
        CausalFilter(sos, channelCount: 1).process(&whole)
        #expect(maxDifference(whole, expected) <= tolerance)

        // Blocks of 1, 2, 3, ... samples through one filter give the same signal.
        let filter = CausalFilter(sos, channelCount: 1)
        var blocked = x
        var start = 0, size = 1
        blocked.withUnsafeMutableBufferPointer { all in
            while start < all.count {
                let end = min(start + size, all.count)
                filter.process(UnsafeMutableBufferPointer(rebasing: all[start..<end]))
                start = end
                size += 1
            }
        }
        #expect(blocked == whole)
    }

    @Test("zero-phase filtering equals sosfiltfilt", arguments: cases)
    func zeroPhase(_ c: FilterCase) throws {
        let x = try Fixtures.float32("dsp/" + c.signal)
        let expected = try Fixtures.float32("dsp/" + c.sosfiltfilt)
        let y = try zeroPhaseFilter(try design(c), x)
        #expect(maxDifference(y, expected) <= 1e-5 * c.range)
    }

    @Test("channels of interleaved frames are filtered independently")
    func interleaved() throws {
        let sos = try Butterworth.design(.bandpass, order: 4, cutoff: [1, 45], sampleRate: 250)
        let a = (0..<1000).map { Float(sin(Double($0) * 0.3) * 40 + 100) }
        let b = (0..<1000).map { Float(cos(Double($0) * 0.05) * 10 - 30) }
        var frames = [Float]()
        for i in 0..<1000 { frames += [a[i], b[i]] }
        CausalFilter(sos, channelCount: 2).process(&frames)
        var fa = a, fb = b
        CausalFilter(sos, channelCount: 1).process(&fa)
        CausalFilter(sos, channelCount: 1).process(&fb)
        #expect(stride(from: 0, to: 2000, by: 2).map { frames[$0] } == fa)
        #expect(stride(from: 1, to: 2000, by: 2).map { frames[$0] } == fb)
    }

    @Test("impossible designs are refused with a reason")
    func badDesigns() {
        #expect(throws: DSPError.invalidFilter("cutoff 130.0 Hz must lie strictly between 0 and the Nyquist frequency 125.0 Hz")) {
            try Butterworth.design(.lowpass, order: 4, cutoff: [130], sampleRate: 250)
        }
        #expect(throws: DSPError.invalidFilter("band edges must be increasing, got 45.0-1.0 Hz")) {
            try Butterworth.design(.bandpass, order: 4, cutoff: [45, 1], sampleRate: 250)
        }
        #expect(throws: DSPError.invalidFilter("a bandpass filter takes 2 cutoff frequencies, got 1")) {
            try Butterworth.design(.bandpass, order: 4, cutoff: [10], sampleRate: 250)
        }
        #expect(throws: DSPError.invalidFilter("Butterworth order must be 1...24, got 0")) {
            try Butterworth.design(.lowpass, order: 0, cutoff: [10], sampleRate: 250)
        }
        #expect(throws: DSPError.self) { try Butterworth.notch(frequency: 60, sampleRate: 100) }
        // scipy: padlen 15 for this design, so 16 samples are the minimum.
        #expect(throws: DSPError.tooFewSamples(have: 10, need: 16)) {
            try zeroPhaseFilter(try Butterworth.design(.bandpass, order: 2, cutoff: [1, 40], sampleRate: 250), [Float](repeating: 0, count: 10))
        }
    }

    @Test("detrend equals scipy.signal.detrend")
    func detrending() throws {
        struct DetrendCase: Decodable { let input: [Double]; let constant: [Double]; let linear: [Double] }
        let c = try Fixtures.json("dsp/detrend.json", as: CaseFile<DetrendCase>.self).cases[0]
        var constant = c.input, linear = c.input
        detrend(&constant, .constant)
        detrend(&linear, .linear)
        #expect(zip(constant, c.constant).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(linear, c.linear).allSatisfy { abs($0 - $1) < 1e-9 })
    }
}

extension CausalFilter {
    func process(_ samples: inout [Float]) { samples.withUnsafeMutableBufferPointer { process($0) } }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "lengths differ: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs(Double($1.0) - Double($1.1))) }
}
