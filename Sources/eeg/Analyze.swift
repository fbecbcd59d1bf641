import ArgumentParser
import EEGKit
import Foundation
import Synchronization

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyze recordings epoch by epoch: band powers, ratios, scores, quality, summaries.",
        discussion: """
            For each file (EDF, EDF+, BDF, BDF+; float32 with --rate/--channel-count, and \
            --labels to name its channels) and \
            each epoch: absolute and relative band powers per channel, engagement \
            β/(α+θ), θ/β, α/β, θ/α, frontal alpha asymmetry for --pair, the 0–100 \
            attention/relaxation/workload scores (calibrated on the first minute, or \
            --calibration), signal quality, and the annotations in the epoch. Epochs \
            with artifacts, flat or railed channels or lost samples are marked rejected, \
            not dropped; summaries use the good ones. Files are read streaming (memory \
            does not grow with their length) and analysed in parallel, output in the \
            order given.

            Cluster array jobs: give every job the same file list and --shard I/N \
            (e.g. in Slurm: --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT); \
            job I takes files I, I+N, I+2N, … with no coordination.

            Examples:
              eeg analyze session.bdf
              eeg analyze data/*.edf -j 2 --format csv --out results.csv
              eeg analyze s01.bdf --channels Fp1,Fp2 --filter 1-45 --notch 50 --pair Fp1:Fp2
              eeg analyze data/*.bdf --shard 3/16 --format jsonl --out shard3.jsonl
              eeg analyze s01.bdf s02.bdf --report lab-meeting.html --format csv --out s.csv
            """
    )

    @Argument(help: ArgumentHelp("Recordings to analyze.", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("Epoch length, e.g. 4s.", valueName: "duration"))
    var epoch = DurationArgument(argument: "4")

    /// --channels, --bands, --filter, --notch, --pair, --calibration-seconds: as in the live commands.
    @OptionGroup var analysis: AnalysisFlags

    @Option(help: ArgumentHelp("Score baselines from a file (saved with --save-calibration) instead of each file's first minute.", valueName: "file"))
    var calibration: String?

    @Option(name: .customLong("save-calibration"), help: ArgumentHelp("Save the first file's score baselines to reuse with --calibration.", valueName: "file"))
    var saveCalibration: String?

    @Option(help: "table, csv, jsonl or json (default: table on a terminal, jsonl otherwise).")
    var format: AnalysisFormat?

    @Option(help: .resultsFile)
    var out: String?

    @Option(help: ArgumentHelp("Also write a self-contained HTML report with plots (opens in any browser, no network).", valueName: "file.html"))
    var report: String?

    @Option(name: .shortAndLong, help: "Files analysed at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Take every N-th file starting with the I-th: I/N (1 ≤ I ≤ N).", valueName: "I/N"))
    var shard: String?

    /// --input-format, --rate, --channel-count, --labels: as in replay and bandpower.
    @OptionGroup var source: FileSourceOptions
    var rate: Double? { source.rate }
    var channelCount: Int? { source.channelCount }

    func parsedShard() throws -> Shard? {
        guard let shard else { return nil }
        return try usage { try ArgumentValues.shard(shard) }
    }

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one recording, e.g. eeg analyze session.bdf") }
        try checked(jobs, flag: "--jobs", in: ArgumentValues.jobsRange)
        _ = try epoch.seconds("--epoch", in: ArgumentValues.epochRange)
        _ = try parsedShard()
        try validateFileSource()
        if let calibration, !FileManager.default.fileExists(atPath: calibration) { throw ValidationError("--calibration: \(calibration) does not exist") }
    }

    /// Float32 input states nothing: --rate and --channel-count both, --labels to match.
    func validateFileSource() throws {
        switch source.inputFormat {
        case .csv?: throw ValidationError("--input-format csv is for replay and bandpower; analyze reads EDF/BDF and float32 (f32) files")
        case .edf?: if rate != nil || channelCount != nil || source.labels != nil { throw ValidationError("an EDF/BDF file states its own rate, channels and labels: drop --rate/--channel-count/--labels") }
        case .f32?: if rate == nil || channelCount == nil { throw ValidationError("float32 input needs both --rate and --channel-count") }
        case nil: break
        }
        if (rate == nil) != (channelCount == nil) { throw ValidationError("raw float32 input needs both --rate and --channel-count") }
        if let rate { try checked(rate, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz") }
        if let channelCount { try checked(channelCount, flag: "--channel-count", in: ArgumentValues.channelRange) }
        if source.labels != nil && channelCount == nil { throw ValidationError("--labels names the channels of float32 input: give --rate and --channel-count too") }
        try source.checkLabels(channelCount: channelCount)
    }

    func run() throws {
        DeprecatedSpelling.warn(source.deprecations(command: "analyze"))
        let stop = StopSignal()
        let options = try analysisOptions()
        let selected = try parsedShard()?.select(files) ?? files
        let format = self.format ?? (standardOutputIsTerminal && out == nil ? .table : .jsonl)
        let renderer = AnalysisRenderer(format: format)
        let sink: TextOutput
        do {
            sink = try out.map { try TextOutput(path: $0) } ?? TextOutput.standard
        } catch {
            throw fail("analyze", error)
        }
        let showProgress = isatty(STDERR_FILENO) == 1
        let started = Date()
        let shared = Mutex(EmitState())
        BatchAnalysis(options: options, jobs: jobs).run(files: selected, emit: { event in
            // Called in file order under the batch's lock: the formatting state is safe.
            shared.withLock { s in
                if showProgress { writeStandardError("\r\u{1B}[2K") }
                let text = Self.render(event, renderer, &s)
                // A failed write stops the batch: results must not go missing unreported.
                if let text, !text.isEmpty, s.writeFailure == nil {
                    do throws(WriteError) { try sink.write(text) } catch { s.writeFailure = error }
                }
            }
        }, progress: { p in
            if showProgress { writeStandardError(Self.progressLine(p, started: started)) }
        }, cancelled: { [flag = stop.flag] in flag.isRequested || shared.withLock { $0.writeFailure != nil } })
        let state = shared.withLock { $0 }
        if showProgress { writeStandardError("\r\u{1B}[2K") }
        if let failure = state.writeFailure { throw fail("analyze", failure) }
        do { try sink.write(renderer.finish(state.analyses, anyFile: state.any)) } catch { throw fail("analyze", error) }
        try writeReport(state.analyses)
        try saveCalibration(state.analyses)
        if stop.isRequested { printStatus("stopped: results for \(state.analyses.count) of \(selected.count) files written") }
        try Self.exitForFailures(state.failures)
    }

    /// The analysis settings the flags ask for (the calibration file read here).
    func analysisOptions() throws -> AnalysisOptions {
        var options = AnalysisOptions()
        options.epochSeconds = try epoch.seconds("--epoch", in: ArgumentValues.epochRange)
        try analysis.apply(to: &options)
        if let calibration {
            do {
                options.calibration = try CalibrationFile.load(path: calibration)
            } catch {
                throw fail("analyze", error)
            }
        }
        // Without a report, epochs stream out and are not kept: memory stays flat.
        options.keepSpectra = report != nil
        options.keepEpochs = report != nil
        options.inputFormat = source.inputFormat
        options.rawSampleRate = rate
        options.rawChannelCount = channelCount
        options.rawLabels = source.labelList
        return options
    }

    /// The text for one batch event (nil: nothing on standard output), updating `s`.
    static func render(_ event: BatchAnalysis.Event, _ renderer: AnalysisRenderer, _ s: inout EmitState) -> String? {
        switch event {
        case .begin(let info):
            defer { s.any = true; s.labels = info.labels; s.firstEpoch = true }
            return renderer.begin(info, first: !s.any, previousLabels: s.labels)
        case .epoch(let info, let e):
            defer { s.firstEpoch = false }
            return renderer.epoch(info, e, firstInFile: s.firstEpoch)
        case .end(let a):
            s.analyses.append(a)
            if a.omittedAnnotations > 0 {
                printStatus("\(a.path): the first \(a.annotations.count) annotations are used; \(a.omittedAnnotations) more are counted, not read")
            }
            if !a.gaps.isEmpty {
                printStatus("\(a.path): discontinuous (EDF+D), \(a.gaps.count) gap\(a.gaps.count == 1 ? "" : "s"): epochs across a gap are rejected, never stitched")
            }
            return renderer.end(a)
        case .failed(let path, let message, let kind):
            writeStandardError("eeg analyze: error: \(TerminalText.safe(message))\n")
            let text = renderer.renderFailure(path: path, message: message, first: !s.any)
            if text != nil { s.any = true }
            s.failures.append(kind)
            return text
        }
    }

    /// The progress bar on standard error: share done, files, throughput and time left.
    static func progressLine(_ p: BatchAnalysis.Progress, started: Date) -> String {
        let fraction = p.samplesTotal > 0 ? min(1, max(0, p.samplesDone / p.samplesTotal)) : 0
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0.01 ? elapsed / fraction - elapsed : .nan
        let bar = String(repeating: "█", count: Int(fraction * 24)) + String(repeating: "░", count: 24 - Int(fraction * 24))
        return String(format: "\r\u{1B}[2K%@ %3.0f%%  %d/%d files  %@/s  ETA %@", bar, fraction * 100, p.filesDone, p.files,
                      ByteCountFormatter.string(fromByteCount: Int64(p.samplesDone / max(elapsed, 0.001)), countStyle: .file),
                      eta.isFinite ? String(format: "%d:%02d", Int(eta) / 60, Int(eta) % 60) : "–")
    }

    /// Written like the shell's `>` (TextOutput): a link or a device named here is
    /// written through, never replaced; a failed write is exit 74, never ignored.
    func writeReport(_ analyses: [FileAnalysis]) throws {
        guard let report else { return }
        do {
            try TextOutput(path: report).write(HTMLReport.render(analyses))
            printStatus("report: \(report)")
        } catch {
            throw fail("analyze", error)
        }
    }

    func saveCalibration(_ analyses: [FileAnalysis]) throws {
        guard let saveCalibration, let calibration = analyses.first?.calibration else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let text = String(decoding: try encoder.encode(calibration), as: UTF8.self)
            try TextOutput(path: saveCalibration).write(text)
        } catch {
            throw fail("analyze", error)
        }
    }

    /// Every file was tried; the first failing one decides the exit code, by its kind as
    /// for a single file (65 malformed, 66 missing, 64 options that do not fit it, 74 a
    /// read that failed part-way).
    static func exitForFailures(_ failures: [BatchAnalysis.FailureKind]) throws {
        if let first = failures.first { throw ExitCode(first.exitCode) }
    }

    struct EmitState {
        var any = false
        var labels: [String]?
        var firstEpoch = true
        var analyses: [FileAnalysis] = []
        var failures: [BatchAnalysis.FailureKind] = []
        var writeFailure: WriteError?
    }
}

extension AnalysisFormat: ExpressibleByArgument {}
