import Foundation
import Testing
import TestSupport
@testable import EEGDSP

struct WelchCase: Decodable, CustomTestStringConvertible {
    let name: String
    let signal: String
    let sample_rate: Double
    let channels: Int
    let frames: Int
    let nperseg: Int
    let noverlap: Int
    let window: String
    let detrend: String
    let freqs: [Double]
    let psd: [[Double]]
    let band_powers: [[String: Double]]?
    var testDescription: String { name }
}

struct CaseFile<Case: Decodable>: Decodable { let cases: [Case] }

@Suite("Welch PSD against scipy.signal.welch")
struct WelchTests {
    static let cases: [WelchCase] = (try? Fixtures.json("dsp/welch.json", as: CaseFile<WelchCase>.self).cases) ?? []

    @Test("the fixture file is there and has cases")
    func fixturesPresent() {
        #expect(Self.cases.count >= 16)
    }

    @Test("PSD and band powers match to 1e-4 relative", arguments: cases)
    func matchesScipy(_ c: WelchCase) throws {
        let samples = try Fixtures.float32("dsp/" + c.signal)
        #expect(samples.count == c.frames * c.channels)
        let parameters = try WelchParameters(
            sampleRate: c.sample_rate, segmentLength: c.nperseg, overlap: c.noverlap,
            window: try #require(WindowFunction(name: c.window)), detrend: try #require(Detrend(rawValue: c.detrend)))
        #expect((0..<parameters.binCount).map(parameters.frequency(ofBin:)) == c.freqs)
        let welch = WelchEstimator(parameters)
        for channel in 0..<c.channels {
            var psd = [Double](repeating: 0, count: parameters.binCount)
            try samples.withUnsafeBufferPointer { s in
                try psd.withUnsafeMutableBufferPointer { try welch.psd(samples: s, channelCount: c.channels, channel: channel, into: $0) }
            }
            // A rectangular window on a mean-removed segment leaves the DC bin exactly 0 in
            // the reference; such bins are held to an absolute floor far below any real bin.
            let floor = (c.psd[channel].max() ?? 0) * 1e-9
            var worst = 0.0
            for k in psd.indices {
                let expected = c.psd[channel][k]
                let error = abs(psd[k] - expected) / max(abs(expected), floor)
                worst = max(worst, error)
            }
            #expect(worst <= 1e-4, "channel \(channel): worst relative PSD error \(worst)")

            if let reference = c.band_powers?[channel] {
                let integrator = try BandIntegrator(bands: .standard, parameters: parameters)
                var powers = [Double](repeating: 0, count: 5)
                psd.withUnsafeBufferPointer { p in powers.withUnsafeMutableBufferPointer { integrator.absolutePowers(psd: p, into: $0) } }
                let expected = BandSet.standard.bands.map { reference[$0.name]! }
                let (error, index) = worstRelativeError(powers, expected)
                #expect(error <= 1e-4, "channel \(channel) band \(index): relative error \(error)")
            }
        }
    }

    @Test("real EEG (libgdf MI128, C3/Cz/C4 at 128 Hz) gives the scipy band powers of its JSON")
    func realRecording() throws {
        struct Reference: Decodable {
            let channel_names: [String]
            let sampling_rate_hz: Double
            let n_samples: Int
            let band_powers_uv2: [String: [String: Double]]
        }
        let reference = try Fixtures.json("eeg/libgdf_mi128.json", as: Reference.self)
        let samples = try Fixtures.float32("eeg/libgdf_mi128.f32")
        let channels = reference.channel_names.count
        #expect(samples.count == reference.n_samples * channels)
        let parameters = try WelchParameters(sampleRate: reference.sampling_rate_hz)
        #expect(parameters.segmentLength == 256)
        let welch = WelchEstimator(parameters)
        let integrator = try BandIntegrator(bands: .standard, parameters: parameters)
        for (c, name) in reference.channel_names.enumerated() {
            var psd = [Double](repeating: 0, count: parameters.binCount)
            var powers = [Double](repeating: 0, count: 5)
            try samples.withUnsafeBufferPointer { s in
                try psd.withUnsafeMutableBufferPointer { try welch.psd(samples: s, channelCount: channels, channel: c, into: $0) }
            }
            psd.withUnsafeBufferPointer { p in powers.withUnsafeMutableBufferPointer { integrator.absolutePowers(psd: p, into: $0) } }
            let expected = BandSet.standard.bands.map { reference.band_powers_uv2[name]![$0.name]! }
            let (error, index) = worstRelativeError(powers, expected)
            #expect(error <= 1e-4, "\(name) band \(index): relative error \(error)")
        }
    }

    @Test("rejects what makes no sense, with the value in the message")
    func badParameters() throws {
        #expect(throws: DSPError.invalidSampleRate(0)) { try WelchParameters(sampleRate: 0) }
        #expect(throws: DSPError.self) { try WelchParameters(sampleRate: .nan) }
        #expect(throws: DSPError.invalidSegmentLength(1)) { try WelchParameters(sampleRate: 250, segmentLength: 1) }
        #expect(throws: DSPError.invalidOverlap(overlap: 500, segmentLength: 500)) {
            try WelchParameters(sampleRate: 250, segmentLength: 500, overlap: 500)
        }
        let p = try WelchParameters(sampleRate: 250)
        let welch = WelchEstimator(p)
        var psd = [Double](repeating: 0, count: p.binCount)
        let short = [Float](repeating: 1, count: 499)
        #expect(throws: DSPError.tooFewSamples(have: 499, need: 500)) {
            try short.withUnsafeBufferPointer { s in try psd.withUnsafeMutableBufferPointer { try welch.psd(samples: s, into: $0) } }
        }
        #expect(DSPError.tooFewSamples(have: 499, need: 500).description == "need at least 500 samples per channel for one window, got 499")
    }
}

@Suite("FFT plans")
struct FFTPlanTests {
    @Test("plans are cached per length and rigor; measured plans give the same spectrum; wisdom round-trips")
    func plans() throws {
        let planner = FFTPlanner.shared
        #expect(planner.realForward(length: 500) === planner.realForward(length: 500))
        let measured = planner.realForward(length: 500, rigor: .measure)
        #expect(measured !== planner.realForward(length: 500))
        let input = AlignedBuffer(count: 500)
        for i in 0..<500 { input.pointer[i] = Float(sin(Double(i) * 0.3) + Double(i % 7)) }
        let a = AlignedBuffer(count: 502), b = AlignedBuffer(count: 502)
        planner.realForward(length: 500).transform(input, into: a)
        measured.transform(input, into: b)
        for i in 0..<502 { #expect(abs(a.pointer[i] - b.pointer[i]) <= 1e-3 * max(1, abs(a.pointer[i]))) }
        // DC bin = Σx, computed independently.
        let sum = (0..<500).reduce(0.0) { $0 + Double(input.pointer[$1]) }
        #expect(abs(Double(a.pointer[0]) - sum) < 1e-3)
        let wisdom = planner.exportWisdom()
        #expect(wisdom.contains("fftw"))
        try planner.importWisdom(wisdom)
        #expect(throws: DSPError.wisdomRejected) { try planner.importWisdom("not wisdom") }
    }
}
