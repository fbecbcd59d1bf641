import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// The vector decoders give, bit for bit, the floats of the specification's formula
/// computed one sample at a time from bytes assembled one at a time (the reader's code
/// before it was vectorised, written out here independently).
@Suite("EDF/BDF sample decoding")
struct SampleDecodingTests {
    /// Scales that round differently: the common ones, an unbalanced range, a gain that is
    /// not a short binary fraction, and the extremes the header checks let through.
    static let signals: [EDFSignal] = [
        EDFSignal(label: "a", physicalMinimum: -3276.8, physicalMaximum: 3276.7, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 1),
        EDFSignal(label: "b", physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 1),
        EDFSignal(label: "c", physicalMinimum: -1000, physicalMaximum: 1000, digitalMinimum: -8_388_608, digitalMaximum: 8_388_607, samplesPerRecord: 1),
        EDFSignal(label: "d", physicalMinimum: 0.1, physicalMaximum: 7.3, digitalMinimum: -3, digitalMaximum: 11, samplesPerRecord: 1),
        EDFSignal(label: "e", physicalMinimum: -1e9, physicalMaximum: 1e9, digitalMinimum: 0, digitalMaximum: 1, samplesPerRecord: 1),
        EDFSignal(label: "f", physicalMinimum: 1e-7, physicalMaximum: 3e-7, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 1),
        // A digital minimum far outside either flavor's range (the decoders' exact
        // subtraction must not depend on the header's checks).
        EDFSignal(label: "g", physicalMinimum: -1, physicalMaximum: 1, digitalMinimum: -99_999_999, digitalMaximum: 99_999_999, samplesPerRecord: 1),
    ]

    /// The formula, one sample at a time.
    static func reference(_ digital: Int32, _ s: EDFSignal) -> Float {
        Float((Double(digital) - Double(s.digitalMinimum)) * s.gain + s.physicalMinimum)
    }

    /// Decodes `digital` from exactly `count × bytesPerSample` bytes (so a read past the
    /// run would be caught by AddressSanitizer) at `stride`, and compares every float's bits.
    static func check(_ flavor: EDFFlavor, _ digital: [Int32], stride: Int, _ s: EDFSignal) -> Int {
        let width = flavor.bytesPerSample
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, digital.count * width), alignment: 1)
        defer { bytes.deallocate() }
        for (i, d) in digital.enumerated() {
            for k in 0..<width { bytes[i * width + k] = UInt8(truncatingIfNeeded: d >> (8 * k)) }
        }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, digital.count * stride))
        defer { out.deallocate() }
        out.initialize(repeating: .nan)
        SampleDecoding.decode(flavor, UnsafeRawPointer(bytes.baseAddress!), count: digital.count, scale: SampleScale(s),
                              into: out.baseAddress!, stride: stride)
        var wrong = 0
        for (i, d) in digital.enumerated() where out[i * stride].bitPattern != reference(d, s).bitPattern { wrong += 1 }
        // Nothing between the strided samples is written.
        if stride > 1 { for i in 0..<(digital.count * stride) where i % stride != 0 && !out[i].isNaN { wrong += 1 } }
        return wrong
    }

    @Test("every 16-bit value, contiguous and strided, gives the formula's float exactly")
    func everyEDFValue() {
        let all = (Int32(Int16.min)...Int32(Int16.max)).map { $0 }
        for s in Self.signals {
            for stride in [1, 3, 8] {
                #expect(Self.check(.edf, all, stride: stride, s) == 0, "gain \(s.gain), stride \(stride)")
            }
        }
    }

    @Test("24-bit values across the range and at its edges give the formula's float exactly")
    func bdfValues() {
        let edges: [Int32] = [-8_388_608, -8_388_607, -8_388_606, -65_536, -256, -255, -1, 0, 1, 255, 256, 65_535, 8_388_606, 8_388_607]
        // A prime step over the whole range, so every byte position takes many values.
        let spread = stride(from: Int32(-8_388_608), through: 8_388_607, by: 251).map { $0 }
        let values = edges + spread
        for s in Self.signals {
            for stride in [1, 5, 64] {
                #expect(Self.check(.bdf, values, stride: stride, s) == 0, "gain \(s.gain), stride \(stride)")
            }
        }
    }

    @Test("runs of every short length: the vector loop's tail and its stop before the run's last bytes")
    func shortRuns() {
        let values: [Int32] = [-8_388_608, 8_388_607, -1, 0, 12345, -12345, 77, -4_000_000, 4_000_000, 3, -3, 65_536]
        for n in 0...values.count {
            let run = Array(values.prefix(n))
            #expect(Self.check(.bdf, run, stride: 1, Self.signals[2]) == 0, "BDF, \(n) samples")
            #expect(Self.check(.bdf, run, stride: 2, Self.signals[2]) == 0, "BDF strided, \(n) samples")
            let short = run.map { Int32(Int16(truncatingIfNeeded: $0)) }
            #expect(Self.check(.edf, short, stride: 1, Self.signals[0]) == 0, "EDF, \(n) samples")
            #expect(Self.check(.edf, short, stride: 2, Self.signals[0]) == 0, "EDF strided, \(n) samples")
        }
    }
}
