// The XDF reader on arbitrary bytes: the chunk scan, stream headers (StreamInfo and
// its XML parser), every samples chunk of every stream decoded, clock offsets applied,
// the EEG timeline and the markers. It must never trap, never allocate more than the
// input could hold, and everything it accepts is finite and in order.
import EEGFormats
import FuzzSupport

runFuzzer { data, size in
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let reader = try? XDFReader(bytes: bytes, name: "fuzz.xdf") else { return 0 }
    for stream in reader.streams {
        var last = 0.0, values: [Float] = [], stamps: [Double] = []
        for chunk in stream.chunks {
            invariant(chunk.offset + chunk.length <= size && chunk.sampleCount <= chunk.length, "chunk \(chunk) in \(size) bytes")
            if stream.info.channelFormat == .string {
                guard let samples = try? reader.decodeStrings(chunk, of: stream, last: &last) else { break }
                invariant(samples.count == chunk.sampleCount, "\(samples.count) string samples of \(chunk.sampleCount)")
                invariant(samples.allSatisfy { $0.timestamp.isFinite }, "a timestamp that is not finite")
            } else {
                guard (try? reader.decodeNumeric(chunk, of: stream, last: &last, values: &values, timestamps: &stamps)) != nil else { break }
                invariant(values.count == chunk.sampleCount * stream.info.channelCount, "\(values.count) values for \(chunk.sampleCount) samples")
                invariant(stamps.allSatisfy(\.isFinite), "a timestamp that is not finite")
            }
        }
    }
    guard let recording = try? XDFRecording(reader: reader) else { return 0 }
    var previous = -1
    for f in stride(from: 0, to: recording.stream.sampleCount, by: max(1, recording.stream.sampleCount / 64)) {
        let index = recording.timelineIndex(ofStoredFrame: f)
        invariant(index > previous, "stored frame \(f) at timeline \(index) after \(previous)")
        previous = index
    }
    invariant(recording.pieces.reduce(0) { $0 + $1.count } == recording.stream.sampleCount, "pieces do not cover the samples")
    invariant(recording.gaps.allSatisfy { $0.frames > 0 }, "an empty gap")
    invariant(recording.annotations.allSatisfy { $0.onset.isFinite && $0.onset >= 0 && ($0.duration?.isFinite ?? true) }, "an annotation out of range")
    return 0
}
