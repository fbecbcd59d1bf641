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

            Cluster array jobs: give every job the same file list and --shard I/N; \
            the shares are balanced by file size, the same in every job with no \
            coordination. With --format shard each job writes a shard file (renamed \
            into place only when complete; --skip-done leaves a complete one) and \
            'eeg merge' turns the shard files into exactly what one run over the whole \
            list writes. 'eeg slurm' writes the Slurm script that does all of it.

            Examples:
              eeg analyze session.bdf
              eeg analyze data/*.edf -j 2 --format csv --out results.csv
              eeg analyze s01.bdf --channels Fp1,Fp2 --filter 1-45 --notch 50 --pair Fp1:Fp2
              eeg analyze --files-from list.txt --shard 3/16 --format shard --out shard-3.jsonl
              eeg analyze s01.bdf s02.bdf --report lab-meeting.html --format csv --out s.csv
            """
    )

    @Argument(help: ArgumentHelp("Recordings to analyze.", valueName: "file"))
    var files: [String] = []

    @Option(name: .customLong("files-from"), help: ArgumentHelp("Also analyze the recordings this file lists, one path a line (after those given as arguments).", valueName: "list"))
    var filesFrom: String?

    @Option(help: ArgumentHelp("Epoch length, e.g. 4s.", valueName: "duration"))
    var epoch = DurationArgument(argument: "4")

    /// --channels, --bands, --filter, --notch, --pair, --calibration-seconds: as in the live commands.
    @OptionGroup var analysis: AnalysisFlags

    @Option(help: ArgumentHelp("Score baselines from a file (saved with --save-calibration) instead of each file's first minute.", valueName: "file"))
    var calibration: String?

    @Option(name: .customLong("save-calibration"), help: ArgumentHelp("Save the first file's score baselines to reuse with --calibration.", valueName: "file"))
    var saveCalibration: String?

    @Option(help: "table, csv, jsonl or json (default: table on a terminal, jsonl otherwise), or shard: the complete results for 'eeg merge'.")
    var format: AnalyzeOutputFormat?

    @Option(help: .resultsFile)
    var out: String?

    @Option(help: ArgumentHelp("Also write a self-contained HTML report with plots (opens in any browser, no network).", valueName: "file.html"))
    var report: String?

    @Option(name: .shortAndLong, help: "Files analysed at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Take the I-th of N shares of the files, balanced by size: I/N (1 ≤ I ≤ N).", valueName: "I/N"))
    var shard: String?

    @Flag(name: .customLong("skip-done"), help: "With --format shard and --out: leave a complete shard file of the same shard and settings as it is.")
    var skipDone = false

    @Flag(name: .customLong("for-report"), help: "With --format shard: also write each epoch's spectrum, which only 'eeg merge --report' draws (the shard is about 3 times larger).")
    var forReport = false

    @Option(help: ArgumentHelp("With --format shard: write the epochs as the text 'eeg merge --format FORMAT' writes (table, csv, jsonl or json), so the merge copies them instead of rendering them; that merge must use this format.", valueName: "format"))
    var render: AnalysisFormat?

    /// --input-format, --rate, --channel-count, --labels: as in replay and bandpower.
    @OptionGroup var source: FileSourceOptions
    var rate: Double? { source.rate }
    var channelCount: Int? { source.channelCount }

    func parsedShard() throws -> Shard? {
        guard let shard else { return nil }
        return try usage { try ArgumentValues.shard(shard) }
    }

    func validate() throws {
        if files.isEmpty && filesFrom == nil { throw ValidationError("give at least one recording, e.g. eeg analyze session.bdf") }
        try validateShardOutput()
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
        case .edf?, .xdf?:
            if rate != nil || channelCount != nil || source.labels != nil { throw ValidationError(statesItsOwnLayout(source.inputFormat ?? .edf)) }
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
        let all = try allFiles()
        if format == .shard { return try runShard(all, options: options, stop: stop) }
        let selected = try parsedShard()?.select(all) ?? all
        let format = self.format?.rendered ?? (standardOutputIsTerminal && out == nil ? .table : .jsonl)
        let renderer = AnalysisRenderer(format: format)
        let sink: TextOutput
        do {
            sink = try out.map { try TextOutput(path: $0) } ?? TextOutput.standard
        } catch {
            throw fail("analyze", error)
        }
        let state = analyse(selected, options: options, into: sink, stop: stop, initial: EmitState()) { event, s in Self.render(event, renderer, &s) }
        if let failure = state.writeFailure { throw fail("analyze", failure) }
        do { try sink.write(renderer.finish(state.analyses, anyFile: state.any)) } catch { throw fail("analyze", error) }
        try Self.writeReport(state.analyses, to: report, command: "analyze")
        try Self.saveCalibration(state.analyses, to: saveCalibration, command: "analyze")
        if stop.isRequested { printStatus("stopped: results for \(state.analyses.count) of \(selected.count) files written") }
        try Self.exitForFailures(state.failures)
    }

    /// Analyses `files` on `jobs` threads, writing each event's text (from `text`, called
    /// in file order) to `sink`, with the progress line on a terminal; a stop or a failed
    /// write ends it with what was written so far.
    func analyse(_ files: [String], options: AnalysisOptions, into sink: TextOutput, stop: StopSignal, initial: sending EmitState,
                 text: @escaping @Sendable (BatchAnalysis.Event, inout EmitState) -> String?) -> EmitState {
        let showProgress = isatty(STDERR_FILENO) == 1
        let started = Date()
        let shared = Mutex(initial)
        BatchAnalysis(options: options, jobs: jobs).run(files: files, emit: { event in
            // Called in file order under the batch's lock: the formatting state is safe.
            shared.withLock { s in
                if showProgress { writeStandardError("\r\u{1B}[2K") }
                let text = text(event, &s)
                // A failed write stops the batch: results must not go missing unreported.
                if let text, !text.isEmpty, s.writeFailure == nil {
                    do throws(WriteError) { try sink.write(text) } catch { s.writeFailure = error }
                }
            }
        }, progress: { p in
            if showProgress { writeStandardError(Self.progressLine(p, started: started)) }
        }, cancelled: { [flag = stop.flag] in flag.isRequested || shared.withLock { $0.writeFailure != nil } })
        if showProgress { writeStandardError("\r\u{1B}[2K") }
        return shared.withLock { $0 }
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
        options.stream = source.stream
        options.rawSampleRate = rate
        options.rawChannelCount = channelCount
        options.rawLabels = source.labelList
        return options
    }

    /// The text for one batch event (nil: nothing on standard output), updating `s`;
    /// `eeg merge` renders the events it reads back with it too.
    static func render(_ event: BatchAnalysis.Event, _ renderer: AnalysisRenderer, _ s: inout EmitState, command: String = "analyze") -> String? {
        switch event {
        case .begin(let info):
            defer { s.any = true; s.labels = info.labels; s.firstEpoch = true }
            for problem in info.problems { writeStandardError("eeg \(command): warning: \(TerminalText.safe(problem))\n") }
            return renderer.begin(info, first: !s.any, previousLabels: s.labels)
        case .epoch(let info, let e):
            defer { s.firstEpoch = false }
            return renderer.epoch(info, e, firstInFile: s.firstEpoch)
        case .end(let a):
            s.analyses.append(a)
            announce(a)
            return renderer.end(a)
        case .failed(let path, let message, let kind):
            announceFailure(message, command: command)
            let text = renderer.renderFailure(path: path, message: message, first: !s.any)
            if text != nil { s.any = true }
            s.failures.append(kind)
            return text
        }
    }

    /// The line on standard error for a file that could not be analysed.
    static func announceFailure(_ message: String, command: String) {
        writeStandardError("eeg \(command): error: \(TerminalText.safe(message))\n")
    }

    /// The status lines about a file that was analysed with something left out.
    static func announce(_ a: FileAnalysis) {
        if a.omittedAnnotations > 0 {
            printStatus("\(a.path): the first \(a.annotations.count) annotations are used; \(a.omittedAnnotations) more are counted, not read")
        }
        if !a.gaps.isEmpty {
            printStatus("\(a.path): discontinuous (EDF+D), \(a.gaps.count) gap\(a.gaps.count == 1 ? "" : "s"): epochs across a gap are rejected, never stitched")
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
    static func writeReport(_ analyses: [FileAnalysis], to report: String?, command: String) throws {
        guard let report else { return }
        do {
            try TextOutput(path: report).write(HTMLReport.render(analyses))
            printStatus("report: \(report)")
        } catch {
            throw fail(command, error)
        }
    }

    static func saveCalibration(_ analyses: [FileAnalysis], to saveCalibration: String?, command: String) throws {
        guard let saveCalibration, let calibration = analyses.first?.calibration else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let text = String(decoding: try encoder.encode(calibration), as: UTF8.self)
            try TextOutput(path: saveCalibration).write(text)
        } catch {
            throw fail(command, error)
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
        /// With --format shard: the shard file's lines.
        var shardWriter: ShardWriter?
        var shardFailure: String?
    }
}

extension AnalysisFormat: ExpressibleByArgument {}

/// analyze's `--format`: a rendered format, or `shard` — the complete results of the
/// files, read back by `eeg merge` (``ShardWriter``).
enum AnalyzeOutputFormat: ExpressibleByArgument, Equatable {
    case rendered(AnalysisFormat)
    case shard

    init?(argument: String) {
        if argument == "shard" { self = .shard } else if let format = AnalysisFormat(rawValue: argument) { self = .rendered(format) } else { return nil }
    }

    var rendered: AnalysisFormat? {
        if case .rendered(let format) = self { return format }
        return nil
    }

    static var allValueStrings: [String] { AnalysisFormat.allCases.map(\.rawValue) + ["shard"] }
}
