// The CSV and raw float32 readers on arbitrary input: they either deliver whole frames
// of finite samples or throw an InputError; never a trap or unbounded memory.
import EEGKit
import Foundation
import FuzzSupport

private let scratch = ScratchFile(suffix: ".in")

runFuzzer { data, size in
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let mode = bytes.first else { return 0 }
    scratch.write(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))
    guard let input = try? InputFile(path: scratch.path, name: "fuzz") else { return 0 }
    let channels = Int(mode >> 1) % 16 + 1
    var reader: any FrameReader
    if mode & 1 == 0 {
        reader = RawFloat32Reader(input: input, channelCount: channels, chunkFrames: 64)
    } else {
        guard let csv = try? CSVFrameReader(input: input, declaredChannels: mode & 2 == 0 ? nil : channels) else { return 0 }
        reader = csv
    }
    var buffer: [Float] = []
    var total = 0
    while let frames = try? reader.nextChunk(into: &buffer), frames > 0 {
        invariant(buffer.count >= frames * reader.channelCount, "\(frames) frames in \(buffer.count) values")
        for value in buffer.prefix(frames * reader.channelCount) { invariant(value.isFinite, "sample \(value)") }
        total += frames
        invariant(total <= size, "\(total) frames from \(size) bytes")
    }
    return 0
}
