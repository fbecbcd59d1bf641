import Foundation
import Testing

/// The same recording through the three commands, as a user runs them: `eeg replay`
/// (the live pipeline, band-pass off), `eeg analyze` and `eeg bandpower --epoch` (no
/// filter) give the same band powers at matching windows — epoch k and the live window
/// ending at frame 1000·(k+1) − 1 — to the 6 significant digits replay prints.
@Suite("replay, analyze and bandpower agree on a recording")
struct CommandCrossPathTests {
    typealias Object = [String: Any]

    static func lines(_ text: String) -> [Object] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? Object }
    }

    /// `channels[c].band_power` of a result object, keyed by label then band.
    static func powers(_ object: Object) -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for channel in object["channels"] as? [Object] ?? [] {
            if let label = channel["label"] as? String, let bands = channel["band_power"] as? [String: Double] { result[label] = bands }
        }
        return result
    }

    @Test("band powers agree at every matching window")
    func agree() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try EEGProcess(["record", "--out", path, "--duration", "40s", "--speed", "max"])
        try #require(record.status == 0, "\(record.stderr)")
        let replay = try EEGProcess(["replay", path, "--speed", "max", "--filter", "off", "--format", "jsonl"])
        let analyze = try EEGProcess(["analyze", path, "--format", "jsonl"])
        let bandpower = try EEGProcess(["bandpower", "--input", path, "--epoch", "4s", "--format", "json"])
        try #require(replay.status == 0 && analyze.status == 0 && bandpower.status == 0, "\(replay.stderr)\(analyze.stderr)\(bandpower.stderr)")

        let live = Dictionary(Self.lines(replay.stdout).compactMap { line in (line["sample"] as? Int).map { ($0, Self.powers(line)) } },
                              uniquingKeysWith: { a, _ in a })
        let epochs = Self.lines(analyze.stdout).filter { $0["epoch"] != nil }
        let bandpowerEpochs = try #require((try JSONSerialization.jsonObject(with: Data(bandpower.stdout.utf8)) as? Object)?["epochs"] as? [Object])
        try #require(epochs.count == 10 && bandpowerEpochs.count == 10, "\(epochs.count) analyze epochs, \(bandpowerEpochs.count) bandpower epochs")
        var compared = 0
        for k in 0..<10 {
            let offline = Self.powers(epochs[k])
            let whole = Self.powers(bandpowerEpochs[k])
            let window = try #require(live[1000 * (k + 1) - 1], "no live window ends at frame \(1000 * (k + 1) - 1)")
            #expect(offline.count == 8 && whole.count == 8 && window.count == 8)
            for (label, bands) in offline {
                for (band, value) in bands {
                    let other = try #require(whole[label]?[band]), shown = try #require(window[label]?[band])
                    #expect(abs(other - value) <= 1e-12 * abs(value), "epoch \(k) \(label) \(band): analyze \(value), bandpower \(other)")
                    // replay prints 6 significant digits: within half a unit of the 6th.
                    #expect(abs(shown - value) <= 5e-6 * abs(value), "epoch \(k) \(label) \(band): analyze \(value), replay \(shown)")
                    compared += 1
                }
            }
        }
        #expect(compared == 10 * 8 * 5)
    }
}
