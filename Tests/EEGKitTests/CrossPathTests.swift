import EEGKit
import Foundation
import Testing
import TestSupport

/// One recording through the three paths that compute band powers — live replay
/// (``LiveAnalyzer``), analyze (``FileAnalyzer``) and bandpower (``BandpowerAnalyzer``) —
/// with the same settings: no pre-filter, 4 s windows, 2 s Hann Welch segments, the
/// standard bands. Live window k is the update whose last frame is (k + 1) · 512 − 1
/// (updates come every 0.25 s = 32 frames from the first full window, so it is update
/// 16·k); analyze's and bandpower's epoch k cover frames [512·k, 512·(k + 1)). What is
/// compared: every channel's absolute and relative band powers, the four ratios, and the
/// per-channel quality (live and analyze), against each other and against scipy's
/// band powers of the same epochs.
@Suite("Cross-path agreement")
struct CrossPathTests {
    struct Window { var powers: [Double]; var relative: [Double]; var ratios: BandRatios; var quality: [SignalQuality] }

    static let rate = 128.0, channels = 3, epochFrames = 512

    static func live(_ samples: [Float]) throws -> [Window] {
        var configuration = LiveAnalyzerConfiguration(sampleRate: rate, channelCount: channels)
        configuration.bandPass = nil
        let analyzer = try LiveAnalyzer(configuration)
        var windows: [Window] = []
        samples.withUnsafeBufferPointer { s in
            analyzer.process(s, firstSampleIndex: 0) { u in
                guard (u.sampleIndex + 1) % Int64(epochFrames) == 0 else { return }
                windows.append(Window(powers: Array(u.bandPowers), relative: Array(u.relativePowers), ratios: u.ratios, quality: Array(u.quality)))
            }
        }
        return windows
    }

    static func analyze(_ path: String) throws -> [Window] {
        var options = AnalysisOptions()
        options.rawSampleRate = rate
        options.rawChannelCount = channels
        options.calibrationSeconds = 0
        let analysis = try FileAnalyzer(options: options).analyze(path: path)
        return analysis.epochs.map { e in
            Window(powers: e.channels.flatMap(\.absolute), relative: e.channels.flatMap(\.relative), ratios: e.ratios, quality: e.channels.map(\.quality))
        }
    }

    static func bandpower(_ samples: [Float]) throws -> [Window] {
        var options = BandpowerOptions(layout: .test(rate: rate, channels: channels))
        options.epochSeconds = 4
        let analyzer = try BandpowerAnalyzer(options)
        samples.withUnsafeBufferPointer { analyzer.consume($0) }
        return try analyzer.finish().epochs!.map { e in
            Window(powers: e.summary.channels.flatMap(\.absolute), relative: e.summary.channels.flatMap(\.relative), ratios: e.summary.ratios, quality: [])
        }
    }

    @Test("live replay, analyze and bandpower give the same band powers at matching windows")
    func samePowers() throws {
        let path = Fixtures.url("eeg/libgdf_mi128.f32").path
        let samples = try Fixtures.float32("eeg/libgdf_mi128.f32")
        let live = try Self.live(samples), offline = try Self.analyze(path), bandpower = try Self.bandpower(samples)
        let epochs = samples.count / Self.channels / Self.epochFrames
        try #require(epochs >= 10)
        #expect(live.count == epochs && offline.count == epochs && bandpower.count == epochs)
        for k in 0..<min(live.count, offline.count, bandpower.count) {
            // Float precision: the three paths run the same arithmetic on the same floats.
            #expect(worstRelativeError(live[k].powers, offline[k].powers).0 <= 1e-12, "epoch \(k): live vs analyze")
            #expect(worstRelativeError(bandpower[k].powers, offline[k].powers).0 <= 1e-12, "epoch \(k): bandpower vs analyze")
            #expect(worstRelativeError(live[k].relative, bandpower[k].relative).0 <= 1e-12, "epoch \(k): relative powers")
            #expect(live[k].ratios == offline[k].ratios && bandpower[k].ratios == offline[k].ratios, "epoch \(k): ratios")
            #expect(live[k].quality == offline[k].quality, "epoch \(k): quality")
        }
    }

    @Test("the agreed band powers are scipy's for those epochs")
    func matchScipy() throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128_windows.json", as: EpochReferences.self)
        let offline = try Self.analyze(Fixtures.url("eeg/libgdf_mi128.f32").path)
        try #require(!reference.epochs.isEmpty)
        for (k, epoch) in reference.epochs.enumerated() where k < offline.count {
            #expect(abs(epoch.start_s - Double(k) * 4) < 1e-9)
            let expected = epoch.band_powers.flatMap { channel in BandSet.standard.bands.map { channel[$0.name]! } }
            #expect(worstRelativeError(offline[k].powers, expected).0 <= 1e-4, "epoch \(k)")
        }
    }

    struct EpochReferences: Decodable {
        struct Epoch: Decodable { let start_s: Double; let band_powers: [[String: Double]] }
        let epochs: [Epoch]
    }
}
