import Foundation
import Testing
@testable import EEGDSP

/// Z = √2 · Vrms / 6 nA − 2.2 kΩ (the OpenBCI GUI's formula), with Vrms from the
/// band-passed channel: checked against hand-computed values and synthetic drives.
@Suite("Lead-off impedance")
struct LeadOffImpedanceTests {
    @Test("the formula, hand-computed: 100 µV RMS → √2 · 100e-6 / 6e-9 − 2200 = 21370.226 Ω; never below 0")
    func formula() {
        #expect(abs(LeadOffImpedance.ohms(rmsMicrovolts: 100) - 21_370.226039551585) < 1e-6)
        #expect(LeadOffImpedance.ohms(rmsMicrovolts: 1) == 0)
    }

    @Test("a drive sine under an electrode offset, 10 Hz EEG and 50 Hz mains reads its impedance within 0.5 %",
          arguments: [(250.0, 31.25), (250.0, 31.2), (250.0, 31.5), (125.0, 31.25)])
    func synthetic(rate: Double, hertz: Double) throws {
        for impedance in [1_000.0, 8_000.0, 47_000.0, 500_000.0] {
            let peak = 6e-9 * (impedance + 2_200) * 1e6  // µV
            let samples = (0..<Int(3 * rate)).map { n -> Float in
                let t = Double(n) / rate
                return Float(-3_500 + peak * sin(2 * .pi * hertz * t + 0.3) + 40 * sin(2 * .pi * 10 * t) + 20 * sin(2 * .pi * 50 * t))
            }
            let reading = try LeadOffImpedance.measure(samples, sampleRate: rate)
            #expect(abs(reading.ohms / impedance - 1) < 0.005, "\(impedance) Ω at \(hertz) Hz, \(rate) Hz: \(reading.ohms)")
        }
    }

    @Test("too short a signal, or a non-finite sample, is refused with a DSPError")
    func refused() {
        #expect(throws: DSPError.tooFewSamples(have: 100, need: 258)) { try LeadOffImpedance.measure([Float](repeating: 0, count: 100), sampleRate: 250) }
        var samples = [Float](repeating: 0, count: 600)
        samples[300] = .nan
        #expect(throws: DSPError.nonFiniteSample(frame: 300, channel: 0)) { try LeadOffImpedance.measure(samples, sampleRate: 250) }
    }
}
