import ArgumentParser
import EEGKit
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",  // see EEG.configuration: a derived name costs ~1–3 M instructions at start
        abstract: "Merge the shard files of 'eeg analyze --format shard' into what one run over all the files writes.",
        discussion: """
            Reads the shard files of an array job (eeg analyze --shard I/N --format shard) \
            and writes, byte for byte, what one 'eeg analyze' over the whole file list \
            writes: the files in the list's order, the "All files" table, CSV, JSON or \
            JSON lines, and the HTML report. Every shard must be there and complete: a \
            shard that is missing or was cut short (no completion line, a wrong \
            checksum) is named and nothing is written (exit 66 missing, 65 cut short or \
            not from the same run). Files that failed in their shard are reported as \
            failed, as one run reports them, and the exit code is the one that run \
            would have ended with.

            Examples:
              eeg merge shards/shard-*.jsonl --format csv --out results.csv
              eeg merge shards/shard-*.jsonl --report report.html > results.jsonl
            """
    )

    @Argument(help: ArgumentHelp("Shard files (eeg analyze --format shard --out …).", valueName: "shard"))
    var shards: [String] = []

    @Option(help: "table, csv, jsonl or json (default: the shards' own format when they were rendered with --render; else table on a terminal, jsonl otherwise).")
    var format: AnalysisFormat?

    @Option(help: .resultsFile)
    var out: String?

    @Option(help: ArgumentHelp("Also write the HTML report one run with --report writes.", valueName: "file.html"))
    var report: String?

    @Option(name: .customLong("save-calibration"), help: ArgumentHelp("Save the first file's score baselines, as one run with --save-calibration does.", valueName: "file"))
    var saveCalibration: String?

    func validate() throws {
        if shards.isEmpty { throw ValidationError("give the shard files, e.g. eeg merge shards/shard-*.jsonl") }
    }

    func run() throws {
        let merge: ShardMerge
        do { merge = try ShardMerge(paths: shards) } catch { throw fail("merge", error) }
        // Rendered shards hold their epochs as one format's text: without --format, that one.
        let renderer = AnalysisRenderer(format: format ?? merge.renderedFormat ?? (standardOutputIsTerminal && out == nil ? .table : .jsonl))
        // Refused before --out is opened (and emptied).
        do { try merge.checkMerges(into: renderer.format, keepEpochs: report != nil) } catch { throw fail("merge", error) }
        let sink: TextOutput
        do { sink = try out.map { try TextOutput(path: $0) } ?? TextOutput.standard } catch { throw fail("merge", error) }
        // The events one run would have reported, through the code that renders them there.
        var state = Analyze.EmitState()
        do {
            try merge.replay(format: renderer.format, keepEpochs: report != nil) { piece in
                let text: String?
                switch piece {
                case .event(let event): text = Analyze.render(event, renderer, &state, command: "merge")
                case .text(let rendered):
                    // Epochs a rendered shard holds as this format's text already.
                    text = rendered
                    state.firstEpoch = false
                }
                guard let text, !text.isEmpty, state.writeFailure == nil else { return }
                do throws(WriteError) { try sink.write(text) } catch { state.writeFailure = error }
            }
        } catch {
            throw fail("merge", error)
        }
        if let failure = state.writeFailure { throw fail("merge", failure) }
        do { try sink.write(renderer.finish(state.analyses, anyFile: state.any)) } catch { throw fail("merge", error) }
        try Analyze.writeReport(state.analyses, to: report, command: "merge")
        try Analyze.saveCalibration(state.analyses, to: saveCalibration, command: "merge")
        printStatus("merged \(merge.shardCount) shard\(merge.shardCount == 1 ? "" : "s"): \(merge.fileCount) files, \(state.failures.count) failed")
        try Analyze.exitForFailures(state.failures)
    }
}
