import ArgumentParser
import EEGKit
import Foundation

@main
struct EEG: ParsableCommand {
    static let configuration = CommandConfiguration(
        // Every command names itself: without a name, the parser derives one from the
        // type with String(describing:), whose conformance look-ups cost each run ~15 M
        // instructions at start-up (callgrind), as much as a minute of 8-ch data.
        commandName: "eeg",
        abstract: "Stream, record, replay and analyze EEG from brainwave headsets.",
        discussion: """
            Streams from an OpenBCI Cyton or the built-in simulated headset, computes \
            band powers and attention metrics that match scipy, records crash-safe \
            BDF+/EDF+ and replays it through the same pipeline.

            Examples:
              eeg stream --duration 30s                   # the simulated headset, live metrics
              eeg record --device cyton --out s01.bdf     # record a Cyton
              eeg replay s01.bdf --speed max > metrics.jsonl
              eeg bandpower --input s01.bdf --epoch 4s
              eeg devices
            """,
        // EEGKit's release and the C libraries loaded at run time; `eeg version` adds the
        // compiler and the system.
        version: VersionReport.summary,
        subcommands: [Stream.self, Record.self, Replay.self, Analyze.self, Merge.self, Slurm.self, Info.self, Repair.self, ImportSD.self, Devices.self, Impedance.self, Bandpower.self, Bench.self, UdevRules.self, Version.self]
    )

    /// Usage errors are one line on standard error — what is wrong, and where to look —
    /// with exit code 64; help, --version and the commands' own exit codes are handled as
    /// swift-argument-parser does.
    static func main() {
        // A reader that goes away (`eeg stream | head`) must not kill us mid-write: the
        // write fails with EPIPE and the command ends quietly (see `fail`). A file-size
        // limit (RLIMIT_FSIZE) must fail the write with EFBIG, reported and mapped to
        // exit 74, rather than kill the process with a core dump.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try DirectParse.command(arguments) ?? parseAsRoot(arguments)
            try command.run()
        } catch let error as ExitCode {
            exit(withError: error)
        } catch {
            let full = fullMessage(for: error)
            let isUsageError = exitCode(for: error) == .validationFailure && !full.isEmpty
            guard isUsageError else { exit(withError: error) }
            let command = arguments.first { !$0.hasPrefix("-") }.map { configuration.subcommands.map { $0._commandName }.contains($0) ? "eeg \($0)" : "eeg" } ?? "eeg"
            // The parser's message quotes the value as typed: escaped, so an ESC or a bidi
            // override in an argument is shown, not obeyed.
            writeStandardError("\(command): error: \(TerminalText.safe(message(for: error))) (see '\(command) --help')\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }
}
