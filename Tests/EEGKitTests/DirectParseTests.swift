import Foundation
import Testing
import TestSupport

/// `eeg analyze` and `eeg bandpower` are parsed directly, not through the whole command
/// tree (DirectParse, for start-up speed). Everything they print — results, help, usage
/// and error lines, completion scripts, the help dump the man pages are made from — must
/// be what the whole tree gives: each command line runs both ways (EEG_PARSE_WHOLE_TREE=1
/// forces the tree) and the two runs must agree byte for byte, with the same exit status.
@Suite("Direct parsing of analyze and bandpower gives the whole tree's results and texts")
struct DirectParseTests {
    /// 20 s of 4-channel float32 at 250 Hz, in a fresh folder the command lines run in.
    static let folder: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-direct-parse-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var samples = [Float](repeating: 0, count: 250 * 20 * 4)
        for i in samples.indices {
            let t = Double(i / 4) / 250, channel = Double(i % 4)
            samples[i] = Float(20 * sin(2 * .pi * (9 + channel) * t) + 5 * sin(2 * .pi * 21 * t + channel))
        }
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("small.f32").path, contents: samples.withUnsafeBytes { Data($0) })
        return dir.path
    }()

    static let layout = ["--rate", "250", "--channel-count", "4"]

    static let commandLines: [[String]] = [
        // Results, every format.
        ["analyze", "small.f32"] + layout + ["--format", "csv"],
        ["analyze", "small.f32"] + layout + ["--format", "jsonl", "-j", "1"],
        ["analyze", "small.f32"] + layout + ["--format", "json", "--epoch", "2s", "--filter", "1-40", "--notch", "50"],
        ["analyze", "small.f32"] + layout + ["--format", "table", "--labels", "a,b,c,d", "--channels", "a,b", "--pair", "a:b"],
        ["analyze", "--input-format", "f32", "small.f32"] + layout + ["--calibration-seconds", "10", "--format", "csv"],
        ["bandpower", "--input", "small.f32"] + layout + ["--format", "csv", "--epoch", "4"],
        ["bandpower", "--input", "small.f32"] + layout + ["--format", "json"],
        ["bandpower", "--input", "small.f32", "--rate", "250", "--channels", "4", "--format", "csv"],  // the deprecated spelling's warning
        // Help, version, completion scripts and the help dump, asked for after the command.
        ["analyze", "--help"], ["analyze", "-h"], ["analyze", "-help"], ["analyze", "--help-hidden"], ["bandpower", "--help"],
        ["analyze", "small.f32"] + layout + ["-h"],
        ["analyze", "--version"], ["analyze", "small.f32"] + layout + ["--version"],
        ["analyze", "--generate-completion-script", "bash"], ["bandpower", "--generate-completion-script", "zsh"],
        ["analyze", "--generate-completion-script"], ["analyze", "--experimental-dump-help"],
        ["analyze", "---completion", "--", "--format", ""],
        // Usage errors and failures.
        ["analyze"], ["analyze", "--bogus"], ["analyze", "x.edf", "--shard", "3/2"], ["analyze", "--epoch"],
        ["analyze", "small.f32", "--input-format", "f32", "--rate", "250"], ["analyze", "small.f32", "--jobs", "0"],
        ["analyze", "small.f32"] + layout + ["--epoch", "0s"], ["analyze", "small.f32"] + layout + ["--format", "nope"],
        ["analyze", "--out", "--help", "small.f32"], ["analyze", "--", "--help"], ["analyze", "help"] + layout,
        ["analyze", "missing.f32"] + layout, ["analyze", "small.f32", "--rate", "250", "--channel-count", "3"],
        ["analyze", "small.f32"] + layout + ["--calibration", "not-here.json"], ["analyze", "small.f32"] + layout + ["extra.f32"],
        ["bandpower"], ["bandpower", "--channel-count", "2"], ["bandpower", "--rate", "250", "--bogus"],
        ["bandpower", "--input", "small.f32"] + layout + ["--nperseg", "100", "--window-seconds", "2"],
        ["bandpower", "--input", "small.f32"] + layout + ["--bands", "alpha:13-8"],
        // The whole tree's own texts, for the record (no direct parsing involved).
        ["help", "analyze"], ["help", "bandpower"], ["--generate-completion-script", "bash"], ["--experimental-dump-help"],
    ]

    @Test("same status, standard output and standard error both ways", arguments: commandLines)
    func sameBothWays(arguments: [String]) throws {
        let direct = try EEGProcess(arguments, killAfter: 120, workingDirectory: Self.folder)
        let tree = try EEGProcess(arguments, killAfter: 120, workingDirectory: Self.folder, environment: ["EEG_PARSE_WHOLE_TREE": "1"])
        #expect(direct.status == tree.status, "\(arguments): exit \(direct.status) direct, \(tree.status) through the tree")
        #expect(direct.stdout == tree.stdout, "\(arguments): standard output differs")
        #expect(direct.stderr == tree.stderr, "\(arguments): standard error differs\n\(direct.stderr)\n---\n\(tree.stderr)")
        #expect(direct.status != 137, "\(arguments) hung")
    }

    /// A command without its own name gets one derived by String(describing:), which
    /// costs every start of `eeg` 1–3 M instructions of runtime conformance look-ups
    /// (callgrind): every command states its name. Read from the sources, as the
    /// executable's types are not importable.
    @Test("every command names itself")
    func commandsNameThemselves() throws {
        let sources = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Sources/eeg")
        var checked = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            let declarations = text.components(separatedBy: "ParsableCommand {").dropFirst()
            for declaration in declarations {
                let configuration = try #require(declaration.range(of: "CommandConfiguration("), "\(file): a command without a configuration")
                let head = declaration[configuration.upperBound...].prefix(500)  // comments may come first
                #expect(head.contains("commandName:"), "\(file): a command without commandName")
                checked += 1
            }
        }
        #expect(checked >= 16, "found only \(checked) commands")
    }
}
