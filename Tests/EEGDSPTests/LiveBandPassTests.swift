import EEGCore
import Foundation
import Testing
import TestSupport
@testable import EEGDSP

/// `--filter` in the live commands: the analyzer's causal band-pass against scipy.
@Suite("Live analyzer band-pass")
struct LiveBandPassTests {
    /// The recording filtered with scipy's `sosfilt(butter(4, [2, 30], 'bandpass'))` from
    /// its first sample, then scipy's Welch band powers of each 4 s window
    /// (Fixtures/dsp/generate.py, `live_bandpass`).
    @Test("a 2–30 Hz band-pass gives scipy's band powers of the causally filtered windows")
    func bandPassMatchesScipy() throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128_live_2_30.json", as: WindowReferences.self)
        let samples = try Fixtures.float32("eeg/libgdf_mi128.f32")
        var config = LiveAnalyzerConfiguration(sampleRate: 128, channelCount: 3)
        config.bandPass = 2...30
        let analyzer = try LiveAnalyzer(config)
        var updates: [(Int64, [Double])] = []
        let frames = try #require(reference.sliding.last).end_frame
        samples.withUnsafeBufferPointer { s in
            // Uneven blocks, as transfers arrive: the filter state carries across them.
            var next = 0
            while next < frames {
                let count = min(29, frames - next)
                analyzer.process(UnsafeBufferPointer(rebasing: s[(next * 3)..<((next + count) * 3)]), firstSampleIndex: Int64(next)) { u in
                    updates.append((u.sampleIndex, Array(u.bandPowers)))
                }
                next += count
            }
        }
        try #require(updates.count == reference.sliding.count)
        for (window, update) in zip(reference.sliding, updates) {
            #expect(update.0 == Int64(window.end_frame - 1))
            let expected = window.band_powers.flatMap { channel in BandSet.standard.bands.map { channel[$0.name]! } }
            // Bands in the pass band to 1e-4; delta and gamma, attenuated by the filter
            // to a small fraction of the total, to 1e-3 of their value.
            let (error, index) = worstRelativeError(update.1, expected)
            #expect(error <= 1e-3, "window ending at frame \(window.end_frame): value \(index) off by \(error)")
        }
        // The filter did something: the unfiltered windows' delta powers are far larger.
        let unfiltered = try Fixtures.json("eeg/libgdf_mi128_windows.json", as: WindowReferences.self)
        let delta = { (r: WindowReferences) in r.sliding.last!.band_powers[0]["delta"]! }
        #expect(delta(reference) < 0.5 * delta(unfiltered))
    }
}
