// The EDF+ annotation (TAL) parser alone, on arbitrary annotation-signal bytes: no trap,
// finite onsets and durations, and output that cannot outgrow its input.
@testable import EEGFormats
import FuzzSupport

runFuzzer { data, size in
    var count = 0
    // Malformed lists are refused (a thrown TAL.Malformed); what is accepted is finite,
    // in range, and no more annotations than bytes.
    try? TAL.scan(UnsafeRawBufferPointer(start: data, count: size), timekeeping: { start in
        invariant(start.isFinite && start >= 0 && start <= EDFLimits.maxSeconds, "record start \(start)")
    }) { onset, duration, text in
        count += 1
        invariant(onset.isFinite && onset >= 0 && onset <= EDFLimits.maxSeconds, "onset \(onset)")
        invariant(duration.map { $0.isFinite && $0 >= 0 && $0 <= EDFLimits.maxSeconds } ?? true, "duration \(String(describing: duration))")
        invariant(!text.isEmpty, "an empty annotation reported")
    }
    invariant(count <= size, "\(count) annotations from \(size) bytes")
    return 0
}
