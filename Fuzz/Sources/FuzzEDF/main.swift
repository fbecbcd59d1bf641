// The EDF/EDF+/BDF/BDF+ reader, header to last record with its annotations (TAL), on
// arbitrary files: it must never trap, never allocate more than the file could hold,
// and everything it accepts is finite.
import EEGFormats
import FuzzSupport

private let scratch = ScratchFile(suffix: ".edf")

runFuzzer { data, size in
    scratch.write(UnsafeRawBufferPointer(start: data, count: size))
    guard let reader = try? EDFReader(path: scratch.path) else { return 0 }
    let samplesPerRecord = reader.framesPerRecord * reader.channelCount
    // Each sample takes at least 2 bytes of the file: a record the file cannot hold was
    // accepted from the header alone.
    invariant(samplesPerRecord >= 1 && samplesPerRecord <= reader.fileSize / 2, "\(samplesPerRecord) samples per record in a \(reader.fileSize)-byte file")
    invariant(reader.sampleRate.isFinite && reader.sampleRate > 0, "sample rate \(reader.sampleRate)")
    invariant(reader.duration.isFinite && reader.duration >= 0, "duration \(reader.duration)")
    let frames = UnsafeMutableBufferPointer<Float>.allocate(capacity: samplesPerRecord)
    defer { frames.deallocate() }
    var previousStart = -Double.infinity
    for index in 0..<reader.recordCount {
        guard let start = try? reader.readRecord(index, into: frames) else { break }
        invariant(start.isFinite && start >= previousStart, "record \(index) starts at \(start)")
        previousStart = start
        for value in frames { invariant(value.isFinite, "record \(index) has a sample \(value)") }
    }
    // Annotations are streamed: checked one by one, none kept.
    try? reader.forEachAnnotation { annotation in
        invariant(annotation.onset.isFinite && (annotation.duration?.isFinite ?? true), "annotation \(annotation)")
    }
    return 0
}
