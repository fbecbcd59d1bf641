import EEGCore
import Foundation
import Testing
import TestSupport
@testable import EEGDSP

struct WindowReferences: Decodable {
    struct Window: Decodable { let end_frame: Int; let band_powers: [[String: Double]] }
    struct Epoch: Decodable { let start_s: Double; let band_powers: [[String: Double]] }
    let sliding: [Window]
    let epochs: [Epoch]
}

@Suite("Live analyzer")
struct LiveAnalyzerTests {
    /// The real recording through a ring and the analyzer (no pre-filter), compared with
    /// scipy's band powers of the same 4 s windows.
    @Test("updates every 0.25 s with scipy's band powers of each 4 s window")
    func matchesScipyWindows() throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128_windows.json", as: WindowReferences.self)
        let samples = try Fixtures.float32("eeg/libgdf_mi128.f32")
        var config = LiveAnalyzerConfiguration(sampleRate: 128, channelCount: 3)
        config.bandPass = nil
        let analyzer = try LiveAnalyzer(config)
        let (producer, consumer) = try FrameRing.create(channels: 3, capacity: 4096)

        var updates: [(Int64, [Double])] = []
        let frames = reference.sliding.last!.end_frame + 100
        var next = 0
        while next < frames {
            // Uneven pushes, as USB transfers would arrive.
            let count = min(37, frames - next)
            samples.withUnsafeBufferPointer { s in
                _ = producer.push(UnsafeBufferPointer(rebasing: s[(next * 3)..<((next + count) * 3)]), firstSampleIndex: Int64(next))
            }
            next += count
            analyzer.drain(consumer) { update in updates.append((update.sampleIndex, Array(update.bandPowers))) }
        }
        try #require(updates.count >= reference.sliding.count)
        for (window, update) in zip(reference.sliding, updates) {
            #expect(update.0 == Int64(window.end_frame - 1))
            let expected = window.band_powers.flatMap { channel in BandSet.standard.bands.map { channel[$0.name]! } }
            let (error, index) = worstRelativeError(update.1, expected)
            #expect(error <= 1e-4, "window ending at frame \(window.end_frame): value \(index) off by \(error)")
        }
    }

    /// A live session sleeps until `framesUntilNextUpdate` frames are in, so the count must
    /// be exact: one frame at a time, an update comes exactly when the count was 1, and
    /// never earlier; a gap restarts it at a whole window. 62.5-frame hops at 250 Hz
    /// alternate 63 and 62 frames (rounded per update, no drift).
    @Test("framesUntilNextUpdate counts down to each update exactly, across uneven hops and a gap")
    func framesUntilNextUpdate() throws {
        var config = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        config.bandPass = nil
        let analyzer = try LiveAnalyzer(config)
        #expect(analyzer.framesUntilNextUpdate == 1000)
        var updatesAt: [Int64] = []
        var countsAfterUpdates: [Int] = []
        var index: Int64 = 0
        for frame in 0..<3000 {
            if frame == 1600 { index += 40 }  // a gap: 40 frames the device never sent
            let before = analyzer.framesUntilNextUpdate
            var updated = false
            let samples: [Float] = [Float(sin(Double(frame) * 0.3)), Float(cos(Double(frame) * 0.7))]
            samples.withUnsafeBufferPointer { s in
                analyzer.process(s, firstSampleIndex: index) { _ in updated = true }
            }
            if updated {
                updatesAt.append(index)
                countsAfterUpdates.append(analyzer.framesUntilNextUpdate)
            }
            // A gap restarts the count, so only a contiguous frame is held to it.
            if frame != 1600 { #expect(updated == (before == 1), "frame \(frame): count was \(before), update \(updated)") }
            index += 1
        }
        // First window full at index 999; hops of 63, 62, ...; restart after the gap at
        // frame 1600 (index 1640): the next window is full at index 2639.
        #expect(updatesAt.prefix(4) == [999, 1062, 1124, 1187])
        #expect(countsAfterUpdates.prefix(3) == [63, 62, 63])
        #expect(!updatesAt.contains { $0 > 1599 + 40 && $0 < 2639 })
        #expect(updatesAt.contains(2639))
    }

    @Test("a gap restarts the window and is counted; scores stay unavailable while calibrating")
    func gapsAndCalibration() throws {
        var config = LiveAnalyzerConfiguration(sampleRate: 100, channelCount: 2)
        config.calibrationSeconds = 10
        let analyzer = try LiveAnalyzer(config)
        let signal = (0..<4000).flatMap { i -> [Float] in
            let t = Double(i) / 100
            return [Float(10 * sin(2 * .pi * 10 * t) + 5 * sin(2 * .pi * 20 * t + Double(i % 7))), Float(8 * sin(2 * .pi * 6 * t))]
        }
        var times: [Double] = []
        var lost: [Int] = []
        var attention: [Double?] = []
        signal.withUnsafeBufferPointer { s in
            analyzer.process(UnsafeBufferPointer(rebasing: s[0..<(1000 * 2)]), firstSampleIndex: 0) { u in
                times.append(u.time); lost.append(u.droppedFrames); attention.append(u.scores.attention)
            }
            // 50 frames missing, then the rest.
            analyzer.process(UnsafeBufferPointer(rebasing: s[(1050 * 2)...]), firstSampleIndex: 1050) { u in
                times.append(u.time); lost.append(u.droppedFrames); attention.append(u.scores.attention)
            }
        }
        // 4 s window at 100 Hz: first update at frame 400, then every 25 frames to 1000.
        let updateFrames: [Int] = times.map { Int(($0 * 100).rounded()) }
        let expectedBeforeGap: [Int] = (0..<25).map { 400 + 25 * $0 }
        #expect(Array(updateFrames.prefix(25)) == expectedBeforeGap)
        // After the gap the next update needs a full new window: frame 1050 + 400.
        #expect(updateFrames[25] == 1450)
        #expect(lost[24] == 0 && lost[25] == 50)
        // Calibration runs to 10 s: no score before, scores after.
        for (t, a) in zip(times, attention) {
            if t <= 10 { #expect(a == nil) } else { #expect(a != nil) }
        }
    }

    @Test("refuses a window shorter than a Welch segment, or a channel it does not have")
    func badConfigurations() {
        var short = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        short.windowSeconds = 1
        #expect(throws: DSPError.tooFewSamples(have: 250, need: 500)) { try LiveAnalyzer(short) }
        var pair = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        pair.asymmetryPair = ChannelPair(left: 0, right: 5)
        #expect(throws: DSPError.invalidConfiguration("asymmetry pair refers to a channel the stream does not have")) {
            try LiveAnalyzer(pair)
        }
        var metric = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        metric.metricChannels = [0, 2]
        #expect(throws: DSPError.invalidConfiguration("metric channel 3 does not exist (the stream has 2)")) {
            try LiveAnalyzer(metric)
        }
        var hop = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        hop.hopSeconds = 0
        #expect(throws: DSPError.invalidConfiguration("hop must be a positive number of seconds")) { try LiveAnalyzer(hop) }
    }
}
