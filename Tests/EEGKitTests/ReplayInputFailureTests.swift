import Foundation
import Testing

/// A recording that cannot be read to its end fails the replay with the reader's error
/// and its exit code, after every frame before the fault, instead of ending quietly
/// with exit 0 as if the file had been shorter.
@Suite("replay of an input that breaks part-way")
struct ReplayInputFailureTests {
    @Test("a bad CSV line: the frames before it, then one error line and exit 65")
    func badCSVLine() throws {
        let path = scratchPath("csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 3000 rows of two channels; row 1200 (file line 1202, after the header) is bad.
        var text = "a,b\n"
        for row in 0..<3000 { text += row == 1200 ? "1,abc\n" : "\(row),\(-row)\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let replay = try EEGProcess(["replay", path, "--rate", "250", "--speed", "max", "--emit", "samples", "--format", "csv"])
        #expect(replay.status == 65, "\(replay.stderr)")
        #expect(replay.stderr == "eeg replay: error: \(path) line 1202, column 2: 'abc' is not a number\n", "\(replay.stderr)")
        let rows = replay.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 1200, "every frame before the bad line is delivered")
        #expect(rows.last == "1199,1199.0,-1199.0")
    }
}
