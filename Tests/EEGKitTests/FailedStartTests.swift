import Foundation
import Testing
import TestSupport

/// A recording whose device never starts leaves nothing behind: no file that would block
/// the next attempt without --force, no empty raw capture.
@Suite("a failed start leaves no files")
struct FailedStartTests {
    @Test("record from a Cyton that never answers the soft reset: exit 69, no recording, no raw capture")
    func silentBoard() throws {
        // A pseudo-terminal whose other end (the "board") reads nothing and says nothing.
        let master = PTY.openMaster(O_RDWR | O_NOCTTY)
        try #require(master >= 0 && PTY.grant(master) == 0 && PTY.unlock(master) == 0)
        defer { close(master) }
        let port = String(cString: try #require(PTY.slaveName(master)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-failed-start-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("s.bdf").path, raw = folder.appendingPathComponent("s.raw").path

        let run = try EEGProcess(["record", "--device", "cyton", "--port", port, "--out", out, "--raw-capture", raw], killAfter: 60)
        #expect(run.status == 69, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("eeg record: error:") && run.stderr.contains("soft reset"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "a recording of a session that never started was left behind")
        #expect(!FileManager.default.fileExists(atPath: raw), "an empty raw capture was left behind")
    }
}
