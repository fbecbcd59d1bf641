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
        #expect(info.stdout.contains("stream 3: 'EEGKit-markers' (Markers), 1 × string at irregular rate, 3 samples"))
        #expect(info.stdout.contains("Marker: go"))
        let json = try EEGProcess(["info", path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "XDF" && object["duration_s"] as? Double == 2)
    }

    @Test("a torn end is read up to the damage with a warning naming the byte; damage before a boundary, or not XDF: exit 65, one line", arguments: ["info", "replay", "analyze"])
    func malformed(command: String) throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try EEGProcess(["record", "--out", path, "--duration", "1s", "--sim-speed", "max"]).status == 0)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count - 3).write(to: URL(fileURLWithPath: path))
        let arguments = command == "replay" ? ["replay", path, "--speed", "max"] : [command, path]
        let cut = try EEGProcess(arguments)
        #expect(cut.status == 0, "\(cut.stderr)")
        let said = command == "info" ? cut.stdout : cut.stderr
        #expect(said.contains("\(path): at byte ") && said.contains("runs past the end of the file") && said.contains("to the end are ignored"), "\(said)")
        if command == "info" {
            #expect(cut.stdout.contains("  problems:\n    - "), "\(cut.stdout)")
        } else {
            #expect(cut.stderr.hasPrefix("eeg \(command): warning: ") && cut.stderr.split(separator: "\n").count == 1, "\(cut.stderr)")
            if command == "analyze" { #expect(cut.stdout.contains("\"summary\""), "\(cut.stdout)") }
        }
        // A width byte of 3 with a boundary chunk after it is damage in the middle.
        try (whole + Data([3]) + Data(XDFChunk.encode(.boundary, content: XDFChunk.boundaryUUID))).write(to: URL(fileURLWithPath: path))
        let middle = try EEGProcess(arguments)
        #expect(middle.status == 65, "\(middle.stderr)")
        #expect(middle.stderr.contains("\(path): at byte \(whole.count): a chunk length of width 3"), "\(middle.stderr)")
        #expect(middle.stderr.split(separator: "\n").count == 1, "\(middle.stderr)")
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

    /// A file with two regular streams, A (1 channel of 1s) and B (2 channels of 2s and 3s), at 10 Hz.
    static func twoStreams(_ path: String) throws {
        let writer = try XDFWriter(path: path, overwrite: false)
        for (id, name, count) in [(UInt32(1), "A", 1), (2, "B", 2)] {
            let info = StreamInfo(name: name, type: "EEG", channelCount: count, nominalRate: 10, channelFormat: .float32, sourceID: name,
                                  channels: (0..<count).map { .init(label: "\(name)\($0)", unit: "microvolts", type: "EEG") })
            try writer.writeStreamHeader(id: id, xml: info.xml(includingDescription: true))
        }
        let a = [Float](repeating: 1, count: 50), b = (0..<100).map { Float(2 + $0 % 2) }
        try a.withUnsafeBufferPointer { try writer.writeSamples(id: 1, frames: $0, channels: 1, firstTimestamp: 5) }
        try b.withUnsafeBufferPointer { try writer.writeSamples(id: 2, frames: $0, channels: 2, firstTimestamp: 5) }
        try writer.close()
    }

    @Test("--stream picks the EEG stream by name in info and replay; a name no regular stream has is exit 64")
    func streamByName() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.twoStreams(path)
        #expect(try EEGProcess(["info", path]).stdout.contains("EEG from stream 1 'A'"))
        #expect(try EEGProcess(["info", path, "--stream", "B"]).stdout.contains("EEG from stream 2 'B': 5.0 s at 10 Hz"))
        let replay = try EEGProcess(["replay", path, "--stream", "B", "--speed", "max", "--emit", "samples"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.split(separator: "\n").first == #"{"sample": 0, "B0": 2.0, "B1": 3.0}"#)
        let missing = try EEGProcess(["replay", path, "--stream", "C", "--speed", "max"])
        #expect(missing.status == 64 && missing.stderr.contains("no numeric stream with a regular rate named 'C'"), "\(missing.stderr)")
        let notXDF = try EEGProcess(["info", Fixtures.url("eeg/libgdf_mi128.edf").path, "--stream", "B"])
        #expect(notXDF.status == 64 && notXDF.stderr.contains("--stream chooses a stream of an XDF file"), "\(notXDF.stderr)")
    }
}
