import Foundation
import Testing

/// A recording that stops mid-second fills its last record with zeros under a padding
/// annotation. Replay skips them; analyze must not take them for signal either.
@Suite("analyze and the padding of a recording's last record")
struct AnalyzePaddingTests {
    @Test("the epoch holding the padding is rejected as padding; the others are not")
    func paddingRejectsItsEpoch() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try EEGProcess(["record", "--out", path, "--duration", "15.5s", "--speed", "max"])
        #expect(record.status == 0, "\(record.stderr)")
        // 16 records of 1 s: the last half second is padding, inside epoch 3 (12–16 s).
        let analyze = try EEGProcess(["analyze", path, "--format", "jsonl", "--calibration-seconds", "4"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        let epochs = analyze.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["epoch"] != nil }
        try #require(epochs.count == 4, "\(analyze.stdout)")
        let reasons = epochs.map { ($0["reasons"] as? [String]) ?? [] }
        #expect(reasons[3].contains("end padding"), "\(reasons[3])")
        #expect((epochs[3]["rejected"] as? Bool) == true)
        for k in 0..<3 { #expect(!reasons[k].contains("end padding"), "epoch \(k): \(reasons[k])") }
    }
}
