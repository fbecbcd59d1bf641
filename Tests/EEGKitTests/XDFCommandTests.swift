import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// XDF files on the command line: `info` describes the streams, and a file cut short or
/// not XDF at all gives one line naming the file and the byte, and exit 65 from every
/// command that reads it.
@Suite("XDF on the command line", .serialized)
struct XDFCommandTests {
    @Test("info names the three streams, the EEG duration and the markers of an EEGKit recording")
    func info() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try EEGProcess(["record", "--out", path, "--duration", "2s", "--sim-speed", "max", "--markers-from-stdin"], stdin: Data("go\n".utf8)).status == 0)
        let info = try EEGProcess(["info", path])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("XDF, 3 streams; EEG from stream 1 'EEGKit': 2.0 s at 250 Hz, 0 gaps"))
        #expect(info.stdout.contains("stream 3: 'EEGKit markers' (Markers), 1 × string at irregular rate, 3 samples"))
        #expect(info.stdout.contains("Marker: go"))
        let json = try EEGProcess(["info", path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "XDF" && object["duration_s"] as? Double == 2)
    }

    @Test("a file cut inside a chunk, and one that is not XDF: exit 65, one line with the byte", arguments: ["info", "replay", "analyze"])
    func malformed(command: String) throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try EEGProcess(["record", "--out", path, "--duration", "1s", "--sim-speed", "max"]).status == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count - 3).write(to: URL(fileURLWithPath: path))
        let cut = try EEGProcess(command == "replay" ? ["replay", path, "--speed", "max"] : [command, path])
        #expect(cut.status == 65, "\(cut.stderr)")
        #expect(cut.stderr.contains("\(path): at byte ") && cut.stderr.contains("runs past the end of the file"), "\(cut.stderr)")
        #expect(cut.stderr.split(separator: "\n").count == 1, "\(cut.stderr)")
        try Data("XDF? no".utf8).write(to: URL(fileURLWithPath: path))
        let other = try EEGProcess([command, path])
        #expect(other.status == 65 && other.stderr.contains("not an XDF file"), "\(other.stderr)")
    }

    @Test("record refuses an existing .xdf without --force (exit 64) and writes one with it")
    func exists() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("old".utf8))
        #expect(try EEGProcess(["record", "--out", path, "--duration", "1s", "--sim-speed", "max"]).status == 64)
        #expect(try EEGProcess(["record", "--out", path, "--duration", "1s", "--sim-speed", "max", "--force"]).status == 0)
        #expect(try XDFReader(path: path).streams.count == 3)
    }
}
