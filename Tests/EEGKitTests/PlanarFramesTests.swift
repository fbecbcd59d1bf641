import Testing
@testable import EEGKit

/// PlanarFrames against a plain model (an array per channel): whatever mix of appends,
/// growth, compaction and removal, each channel holds exactly the frames appended and not
/// yet removed, in order.
@Suite("Planar frame buffer")
struct PlanarFramesTests {
    @Test("appends through reserve and from interleaved chunks, removals, growth and compaction keep every channel's frames")
    func againstModel() {
        let frames = PlanarFrames(channelCount: 3)
        var model: [[Float]] = [[], [], []]
        var next: Float = 0
        // Chunk sizes that force growth, then compaction (removals make room at the front).
        let steps: [(append: Int, remove: Int)] = [(5, 0), (7, 3), (1, 9), (20, 0), (0, 10), (13, 5), (300, 200), (4, 120), (64, 0)]
        for (k, step) in steps.enumerated() {
            if k % 2 == 0 {
                let (start, stride) = frames.reserve(appending: step.append)
                #expect(stride >= frames.frameCount + step.append)
                for c in 0..<3 {
                    for f in 0..<step.append { start[c * stride + f] = next + Float(c) * 0.25 + Float(f) }
                    model[c] += (0..<step.append).map { next + Float(c) * 0.25 + Float($0) }
                }
                frames.didAppend(step.append)
            } else {
                // Interleaved frames 5 wide; channels 4, 0 and 2 kept, in that order.
                let chunk = (0..<(step.append * 5)).map { next + Float($0) }
                chunk.withUnsafeBufferPointer { frames.appendInterleaved($0, frames: step.append, width: 5, channels: [4, 0, 2]) }
                for (c, column) in [4, 0, 2].enumerated() { model[c] += (0..<step.append).map { chunk[$0 * 5 + column] } }
            }
            next += 1000
            frames.removeFirst(step.remove)
            for c in 0..<3 { model[c].removeFirst(step.remove) }
            #expect(frames.frameCount == model[0].count)
            for c in 0..<3 { #expect(Array(frames.channel(c)) == model[c], "step \(k), channel \(c)") }
        }
    }
}
