// The Cyton SD-card text decoder and its survey on arbitrary bytes: they must never trap
// or grow without bound; every frame is finite, within the ADC's range at the default
// gain and later than the one before; every gap is a positive count that ends where the
// next frame starts; every skipped line names a real place.
@testable import EEGDevices
import FuzzSupport

private let fullScale = Float(Cyton.fullScale(gain: Cyton.defaultGain)) * 1.0001

runFuzzer { data, size in
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let mode = bytes.first else { return 0 }
    let body = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    var survey = CytonSDSurvey()
    if (try? survey.scan(body)) != nil, let channels = try? survey.finish() {
        invariant(channels == 8 || channels == 16, "survey found \(channels) channels")
    }
    var decoder = CytonSDDecoder(channels: mode & 1 == 1 ? 16 : 8, sampleRate: mode & 2 == 0 ? 250 : 16000, strict: mode & 4 != 0)
    var lastIndex: Int64 = -1
    var expectedNext: Int64?
    let check: (CytonSDEvent) -> Void = { event in
        switch event {
        case .frame(let index, let samples):
            invariant(index > lastIndex, "frame \(index) after \(lastIndex)")
            if let expectedNext { invariant(index == expectedNext, "frame \(index), gap said \(expectedNext)") }
            expectedNext = nil
            lastIndex = index
            for value in samples { invariant(value.isFinite && abs(value) <= fullScale, "sample \(value) out of range") }
        case .gap(let gap):
            invariant(gap.frames > 0 && gap.beforeSampleIndex > lastIndex, "gap \(gap) after \(lastIndex)")
            expectedNext = gap.beforeSampleIndex
            lastIndex = gap.beforeSampleIndex - 1
        case .skipped(let problem):
            invariant(problem.line >= 1 && (1...CytonSD.maximumLineBytes + 1).contains(problem.column), "problem at \(problem)")
        }
    }
    // Split at a point the input chooses, as reads of a file would.
    let split = body.isEmpty ? 0 : Int(mode >> 3) * 7 % body.count
    do {
        for part in [body[..<split], body[split...]] { try decoder.decode(UnsafeRawBufferPointer(rebasing: part), check) }
        try decoder.finish(check)
    } catch is CytonSDError {
    } catch {
        invariant(false, "unexpected error \(error)")
    }
    return 0
}
