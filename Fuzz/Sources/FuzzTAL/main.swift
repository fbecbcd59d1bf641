// The EDF+ annotation (TAL) parser alone, on arbitrary annotation-signal bytes: no trap,
// finite onsets and durations, and output that cannot outgrow its input.
@testable import EEGFormats
import FuzzSupport

runFuzzer { data, size in
    let decoded = TAL.decode(UnsafeRawBufferPointer(start: data, count: size))
    invariant(decoded.recordStart?.isFinite ?? true, "record start \(String(describing: decoded.recordStart))")
    invariant(decoded.annotations.count <= size, "\(decoded.annotations.count) annotations from \(size) bytes")
    for annotation in decoded.annotations {
        invariant(annotation.onset.isFinite && (annotation.duration?.isFinite ?? true), "annotation \(annotation)")
    }
    return 0
}
