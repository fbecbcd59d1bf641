import EEGDSP
import EEGKit
import Foundation
import Testing

/// `eeg analyze` cuts epochs out of chunks read from the file: each epoch's numbers must be
/// those of the window analysis run on that epoch cut by hand from the whole signal — with
/// channels selected out of order, an epoch straddling the reader's chunk boundary
/// (16,384 frames), and the zero-phase filter's 2 s margins clipped at the file's ends.
@Suite("Epoch cutting")
struct EpochCuttingTests {
    static let rate = 128.0, channels = 3, frames = 20_000, epochFrames = 512

    /// Channel c, frame f: alpha, a channel-dependent rhythm, a DC offset and drift.
    static func sample(_ f: Int, _ c: Int) -> Float {
        let t = Double(f) / rate
        return Float(40 + 10 * Double(c) + 12 * sin(2 * .pi * 10 * t) + 5 * sin(2 * .pi * (3 + 4 * Double(c)) * t + Double(f % 7))
                     + 0.001 * Double(f))
    }

    static func writeFile() throws -> String {
        var values: [Float] = []
        for f in 0..<frames { for c in 0..<channels { values.append(sample(f, c)) } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-cut-\(UUID().uuidString).f32").path
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    /// What each epoch must hold: selected channels, planar, filtered over the epoch and its
    /// margins (clipped at the file's ends) when a filter is given.
    static func expected(selected: [Int], filter: SecondOrderSections?) throws -> [[Double]] {
        let window = try WindowAnalyzer(welch: WelchParameters(sampleRate: rate), bands: .standard,
                                        channelCount: selected.count, frameCount: epochFrames)
        let margin = filter == nil ? 0 : Int(2 * rate)
        var powers: [[Double]] = []
        for k in 0..<(frames / epochFrames) {
            let start = k * epochFrames, from = max(0, start - margin), to = min(frames, start + epochFrames + margin)
            var raw: [Float] = [], filtered: [Float] = []
            for c in selected {
                let held = (from..<to).map { sample($0, c) }
                raw += held[(start - from)..<(start - from + epochFrames)]
                if let filter { filtered += try zeroPhaseFilter(filter, held)[(start - from)..<(start - from + epochFrames)] }
            }
            raw.withUnsafeBufferPointer { r in
                filtered.withUnsafeBufferPointer { s in
                    window.analyze(raw: .planar(r.baseAddress!, frameCount: epochFrames),
                                   filtered: filter == nil ? nil : .planar(s.baseAddress!, frameCount: epochFrames))
                }
            }
            powers.append(Array(window.bandPowers))
        }
        return powers
    }

    @Test("epochs equal the window analysis of hand-cut epochs, across chunk boundaries, with and without the filter",
          arguments: [false, true])
    func epochsMatchHandCut(filtered: Bool) throws {
        let path = try Self.writeFile()
        defer { unlink(path) }
        var options = AnalysisOptions()
        options.rawSampleRate = Self.rate
        options.rawChannelCount = Self.channels
        options.rawLabels = ["a", "b", "c"]
        options.channels = ["c", "a"]
        options.bandPass = filtered ? 1...30 : nil
        options.keepSpectra = false
        let analysis = try FileAnalyzer(options: options).analyze(path: path)
        let filter = try AnalysisFilter.design(bandPass: options.bandPass, notch: nil, sampleRate: Self.rate)
        let expected = try Self.expected(selected: [2, 0], filter: filter)
        #expect(analysis.epochs.count == Self.frames / Self.epochFrames)
        for (epoch, want) in zip(analysis.epochs, expected) {
            #expect(epoch.channels.flatMap(\.absolute) == want, "epoch \(epoch.index)")
        }
    }
}
