import Foundation
import Testing
@testable import EEGKit

/// Found by the red-team pass over every numeric option: values the argument parser
/// itself refuses (not a number at all) were echoed raw, so an ESC sequence or a bidi
/// override typed or pasted as an argument reached the terminal; and an empty
/// `--channels` list crashed analyze (SIGILL).
@Suite("Arguments echoed and channel lists, run as a process")
struct ArgumentEchoTests {
    @Test("a value the parser refuses is echoed escaped, exit 64, one line", arguments: [
        (["bench", "--rate", "\u{1B}[31m"], "The value '\\x1B[31m' is invalid for '--rate <hz>'"),
        (["analyze", "x.edf", "--jobs", "\u{202E}5"], "The value '\\u{202E}5' is invalid for '--jobs <jobs>'"),
        (["bandpower", "--channel-count", "\u{9B}2J"], "The value '\\x9B2J' is invalid for '--channel-count <channel-count>'"),
        (["stream", "--sim-channels", "\u{1B}]0;title\u{07}"], "The value '\\x1B]0;title\\x07' is invalid for '--sim-channels <sim-channels>'"),
    ])
    func parserEchoEscaped(arguments: [String], message: String) throws {
        let run = try EEGProcess(arguments, killAfter: 60)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr.debugDescription)")
        #expect(!run.stderr.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value) },
                "\(run.stderr.debugDescription)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("an empty --channels list is a usage error, not a crash", arguments: ["", ",", " , "])
    func emptyChannels(list: String) throws {
        let path = try OutputDestinationTests.hostileLabelFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try EEGProcess(["analyze", path, "--channels", list, "--format", "json"], killAfter: 60)
        #expect(run.status == 64, "\(run.status): \(run.stderr.prefix(300))")
        #expect(run.stderr.hasPrefix("eeg analyze: error: --channels names no channel (got '\(list)')"), "\(run.stderr.prefix(300))")
        #expect(run.stdout.isEmpty)
    }

    @Test("the library refuses an empty channel list too")
    func emptyChannelsLibrary() throws {
        let path = try OutputDestinationTests.hostileLabelFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        options.channels = []
        #expect(throws: AnalysisError.self) { try FileAnalyzer(options: options).analyze(path: path) }
    }
}
