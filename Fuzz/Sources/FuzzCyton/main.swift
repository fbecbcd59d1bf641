// The Cyton decoder (plain and Daisy) on arbitrary bytes: it must never trap, every frame
// it emits is finite and within the ADC's range at the default gain, and every gap it
// reports is a positive count.
@testable import EEGDevices
import FuzzSupport

private let fullScale = Float(Cyton.fullScale(gain: Cyton.defaultGain)) * 1.0001

runFuzzer { data, size in
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let mode = bytes.first else { return 0 }
    var decoder = CytonDecoder(daisy: mode & 1 == 1, gains: nil)
    let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    // Split at a point the input chooses, as a transport would.
    let split = body.isEmpty ? 0 : Int(mode >> 1) % body.count
    for part in [body[..<split], body[split...]] {
        decoder.decode(UnsafeRawBufferPointer(rebasing: part)) { event in
            switch event {
            case .frame(_, let samples, _):
                for value in samples { invariant(value.isFinite && abs(value) <= fullScale, "sample \(value) out of range") }
            case .gap(let gap):
                invariant(gap.frames > 0, "gap of \(gap.frames) frames")
            case .skipped(let count):
                invariant(count > 0, "skipped \(count) bytes")
            }
        }
    }
    return 0
}
