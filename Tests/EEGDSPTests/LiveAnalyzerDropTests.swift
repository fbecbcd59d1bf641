import EEGCore
import Foundation
import Testing
@testable import EEGDSP

/// The `dropped` count of the live analyzer: a frame lost to a full ring is one lost
/// frame, whether the analyzer learns of it from the ring's in-band count or from the
/// jump in the sample index it causes — so a live session (which sees both) and the
/// replay of its recording (which sees only the jump) report the same number.
@Suite("Live analyzer drop counting")
struct LiveAnalyzerDropTests {
    static func sine(_ frames: Int) -> [Float] {
        (0..<frames).flatMap { i -> [Float] in [Float(10 * sin(Double(i) * 0.3)), Float(5 * cos(Double(i) * 0.7))] }
    }

    @Test("a ring drop is counted once, the same as the bare index jump a replay sees")
    func ringDropCountedOnce() throws {
        let config = LiveAnalyzerConfiguration(sampleRate: 100, channelCount: 2)
        let samples = Self.sine(2000)
        // Live: a ring of 1024 frames filled by frames 0…1023; the 30 offered next do
        // not fit and are dropped; the rest arrive after the reader caught up.
        let (producer, consumer) = try FrameRing.create(channels: 2, capacity: 1024)
        let live = try LiveAnalyzer(config)
        var liveLost: [Int] = []
        samples.withUnsafeBufferPointer { s in
            #expect(producer.push(UnsafeBufferPointer(rebasing: s[0..<(1024 * 2)]), firstSampleIndex: 0) == 1024)
            #expect(producer.push(UnsafeBufferPointer(rebasing: s[(1024 * 2)..<(1054 * 2)]), firstSampleIndex: 1024) == 0)
            live.drain(consumer) { liveLost.append($0.droppedFrames) }
            #expect(producer.push(UnsafeBufferPointer(rebasing: s[(1054 * 2)..<(2000 * 2)]), firstSampleIndex: 1054) == 946)
        }
        live.drain(consumer) { liveLost.append($0.droppedFrames) }
        #expect(consumer.droppedFrameCount == 30)

        // Replay: the same frames, the lost ones simply absent.
        let replay = try LiveAnalyzer(config)
        var replayLost: [Int] = []
        samples.withUnsafeBufferPointer { s in
            replay.process(UnsafeBufferPointer(rebasing: s[0..<(1024 * 2)]), firstSampleIndex: 0) { replayLost.append($0.droppedFrames) }
            replay.process(UnsafeBufferPointer(rebasing: s[(1054 * 2)..<(2000 * 2)]), firstSampleIndex: 1054) { replayLost.append($0.droppedFrames) }
        }
        #expect(liveLost.last == 30, "live counted \(liveLost.last ?? -1) lost frames for 30 dropped")
        #expect(replayLost == liveLost)
        #expect(liveLost.count > 2)
    }
}
