import ArgumentParser
import EEGKit
import Foundation

/// `eeg analyze --format shard`: one array task's share of a file list, written as a
/// shard file that `eeg merge` reads back.
extension Analyze {
    /// The recordings: the arguments, then the lines of --files-from.
    func allFiles() throws -> [String] {
        guard let filesFrom else { return files }
        do {
            return files + (try FileList.read(path: filesFrom))
        } catch {
            throw fail("analyze", error)
        }
    }

    func validateShardOutput() throws {
        if format == .shard {
            if report != nil { throw ValidationError("--report is written by 'eeg merge' from the shard files: give it there") }
            if saveCalibration != nil { throw ValidationError("--save-calibration is written by 'eeg merge' from the shard files: give it there") }
        }
        if forReport && format != .shard { throw ValidationError("--for-report keeps what 'eeg merge --report' needs in a shard file: it goes with --format shard") }
        if render != nil && format != .shard { throw ValidationError("--render writes a shard file's epochs as 'eeg merge' will write them: it goes with --format shard (give the output's format with --format)") }
        if skipDone && (format != .shard || out == nil) { throw ValidationError("--skip-done needs --format shard and --out FILE: it leaves a complete shard file as it is") }
    }

    /// Analyses this shard's files into the shard file: written to FILE.partial beside
    /// --out and renamed to FILE only once every file is in and the completion line
    /// written, so a task killed part-way leaves no FILE to mistake for a result. Files
    /// that fail are recorded in the shard (the merge reports them and exits as one run
    /// would): the task succeeds when its shard is complete.
    func runShard(_ all: [String], options: AnalysisOptions, stop: StopSignal) throws {
        let shard = try parsedShard() ?? Shard(index: 1, count: 1)
        var options = options
        // The epochs' spectra are most of a shard and only the report draws them.
        options.keepSpectra = forReport
        options.keepEpochs = false
        let writer = ShardWriter(plan: ShardPlan(paths: all, shards: shard.count), shard: shard, options: options, render: render)
        if skipDone, let out, isDone(out, writer.header) { return }
        // A regular file (or a new one) is written beside and renamed; a device or FIFO
        // named by --out is written through.
        let partial = out.flatMap { Self.isDevice($0) ? nil : $0 + ".partial" }
        let finished = try writeShard(writer, options: options, to: partial ?? out, stop: stop)
        guard finished.isComplete else {
            printStatus("shard \(writer.header.name) stopped after \(finished.filesDone) of its \(writer.header.assigned.count) files: \(partial ?? "the output") is incomplete; run the shard again")
            throw ExitCode(75)  // EX_TEMPFAIL: not a result, try again
        }
        if let out, let partial, rename(partial, out) != 0 {
            throw fail("analyze", WriteError(path: out, operation: "renaming \(partial) to it", errno: Errno(errno)))
        }
        let failed = finished.failedFiles
        printStatus("shard \(writer.header.name): \(finished.filesDone) files" + (failed > 0 ? " (\(failed) failed, recorded for eeg merge)" : "") + (out.map { " → \($0)" } ?? ""))
    }

    /// Whether `path` names something other than a regular file (a device, a FIFO).
    static func isDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG
    }

    /// Whether `out` is already this shard, complete (--skip-done); says which.
    private func isDone(_ out: String, _ header: ShardHeader) -> Bool {
        guard FileManager.default.fileExists(atPath: out) else { return false }
        do {
            if try ShardMerge.completeHeader(path: out) == header {
                printStatus("shard \(header.name): \(out) is complete (\(header.assigned.count) files): left as it is (--skip-done)")
                return true
            }
            printStatus("shard \(header.name): \(out) is another shard, plan or settings: analysing again")
        } catch {
            printStatus("shard \(header.name): \(TerminalText.safe("\(error)")): analysing again")
        }
        return false
    }

    /// The shard file's lines, header to completion line (the latter only when every
    /// file was reported).
    private func writeShard(_ writer: ShardWriter, options: AnalysisOptions, to path: String?, stop: StopSignal) throws -> ShardWriter {
        let sink: TextOutput
        var writer = writer
        do {
            sink = try path.map { try TextOutput(path: $0) } ?? TextOutput.standard
            try sink.write(try writer.headerLine())
        } catch {
            throw fail("analyze", error)
        }
        let state = analyse(writer.paths, options: options, into: sink, stop: stop, initial: EmitState(shardWriter: writer)) { event, s in
            Self.announce(event, &s)
            // Taken out while it writes: a copy left behind would make every epoch copy
            // the writer's rendered-text buffer (copy on write).
            guard var shardWriter = s.shardWriter.take() else { return nil }
            defer { s.shardWriter = shardWriter }
            do { return try shardWriter.line(for: event) } catch {
                s.shardFailure = "\(error)"
                return nil
            }
        }
        if let failure = state.writeFailure { throw fail("analyze", failure) }
        if let failure = state.shardFailure { throw fail("analyze", ShardError(path: path ?? "standard output", .malformed(failure))) }
        guard let written = state.shardWriter else { return writer }
        if written.isComplete {
            do { try sink.write(try written.trailerLine()) } catch { throw fail("analyze", error) }
        }
        return written
    }

    /// What a shard task says on standard error as its files end (the merge says it again).
    static func announce(_ event: BatchAnalysis.Event, _ s: inout EmitState) {
        switch event {
        case .end(let a): announce(a)
        case .failed(_, let message, let kind):
            announceFailure(message, command: "analyze")
            s.failures.append(kind)
        case .begin, .epoch: break
        }
    }
}
