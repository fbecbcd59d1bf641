import ArgumentParser
import EEGKit
import Foundation

struct Bandpower: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bandpower",
        // Parsed directly as the root for speed (DirectParse): as a subcommand of `eeg`, so
        // that parse skips the completion-script check the real root does. Only a root
        // command's super-command name is ever read, so the tree's texts do not change.
        _superCommandName: "eeg",
        abstract: "Band powers and ratios of raw samples (Welch PSD, equal to scipy.signal.welch).",
        discussion: """
            Reads interleaved little-endian float32 frames in µV (or CSV rows) from a file \
            or standard input, and reports absolute (µV²) and relative band powers per \
            channel and the engagement β/(α+θ), θ/β, α/β and workload θ/α ratios of the \
            channel means — for the whole input, and per epoch with --epoch.

            Defaults follow scipy: Hann window, 2 s segments, 50 % overlap, constant \
            detrend, density scaling; bands delta 1-4, theta 4-8, alpha 8-13, beta 13-30, \
            gamma 30-45 Hz (each [low, high)).

            --channels selects channels by label, as in analyze; --channel-count is \
            how many samples make one raw float32 frame (the old spelling, \
            --channels N with a number, still works for one release and says so on \
            standard error).

            Examples:
              eeg bandpower --input session.f32 --rate 250 --channel-count 8
              eeg bandpower --rate 256 --channel-count 2 --labels Fp1,Fp2 --epoch 4s < raw.f32
              eeg bandpower --input-format csv --rate 250 --input samples.csv --format csv
              eeg bandpower --input s01.bdf --channels Fp1,Fp2 --epoch 4s --out fp.json
              eeg bandpower --input x.f32 --rate 500 --channel-count 4 \\
                  --nperseg 1000 --overlap 75% \\
                  --bands theta:4-8,alpha:8-12,smr:12-15,beta:15-30
            """
    )

    typealias InputFormat = FrameSourceFormat

    @Option(help: ArgumentHelp("File to read; absent or '-' reads standard input.", valueName: "file"))
    var input: String?

    /// --input-format (default raw float32 unless the name ends .csv, .edf or .bdf),
    /// --rate, --channel-count, --labels: as in every command that reads a file.
    @OptionGroup var source: FileSourceOptions
    var inputFormat: InputFormat? { source.inputFormat }
    var rate: Double? { source.rate }
    var channelCount: Int? { source.channelCount }
    var labels: String? { source.labels }

    @Option(help: ArgumentHelp("Channels to analyze, comma-separated labels (default: all), as in analyze.", valueName: "labels"))
    var channels: String?

    @Option(help: "Welch segment length in samples (default: 2 s of samples).")
    var nperseg: Int?

    @Option(name: .customLong("window-seconds"), help: ArgumentHelp("Welch segment length as a duration (e.g. 2s, 500ms), instead of --nperseg.", valueName: "duration"))
    var windowSeconds: DurationArgument?

    @Option(help: ArgumentHelp("Segment overlap in samples, or a percentage such as 50% (default 50%).", valueName: "samples|percent"))
    var overlap: String?

    @Option(help: "Taper: hann, hamming, blackman or rectangular.")
    var window: WindowFunction = .hann

    @Option(help: ArgumentHelp("Bands as name:low-high in Hz, comma-separated.", valueName: "bands"))
    var bands: String?

    @Option(help: ArgumentHelp("Also report consecutive epochs of this length (e.g. 4s).", valueName: "duration"))
    var epoch: DurationArgument?

    @Option(help: "json, csv or table (default: table on a terminal, json otherwise).")
    var format: OutputFormat?

    @Option(help: .resultsFile)
    var out: String?

    /// `--channels N` with a plain number: the old spelling of `--channel-count N`, kept
    /// for one release (``deprecations``).
    var deprecatedCount: Int? {
        guard channelCount == nil, let channels, !channels.isEmpty, channels.allSatisfy(\.isASCII), channels.allSatisfy(\.isNumber) else { return nil }
        return Int(channels) ?? Int.max
    }

    /// Samples per raw frame: --channel-count, or the deprecated --channels N.
    var frameChannels: Int? { channelCount ?? deprecatedCount }

    /// The channels selected by label (nil: all, or the deprecated count spelling).
    var selectedLabels: [String]? {
        guard deprecatedCount == nil, let channels else { return nil }
        // Checked in validate(), which runs first.
        return try? ChannelLabels.selection(channels)
    }

    /// The old spellings given, each said on standard error.
    var deprecations: [DeprecatedSpelling] {
        var spellings = deprecatedCount.map {
            [DeprecatedSpelling(command: "bandpower", old: "--channels \($0) as a channel count", new: "--channel-count \($0)",
                                reason: "--channels now selects channels by label, as in analyze")]
        } ?? []
        spellings += source.deprecations(command: "bandpower")
        return spellings
    }

    var resolvedInputFormat: InputFormat {
        if let inputFormat { return inputFormat }
        let lower = input?.lowercased() ?? ""
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") { return .edf }
        if lower.hasSuffix(".xdf") { return .xdf }
        return .f32
    }

    func validate() throws {
        try source.checkStream(for: resolvedInputFormat)
        if resolvedInputFormat.statesLayout {
            let name = resolvedInputFormat == .xdf ? "XDF" : "EDF/BDF"
            if rate != nil || frameChannels != nil { throw ValidationError("an \(name) file states its own rate and channels: drop --rate/--channel-count") }
            if input == nil || input == "-" { throw ValidationError("\(name) input must be a file (--input FILE), not standard input") }
            return try validateSpectrum(rate: nil)
        }
        guard let rate else { throw ValidationError("--rate is required: the sample rate in Hz, e.g. --rate 250") }
        try checked(rate, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz")
        if resolvedInputFormat == .f32 && frameChannels == nil {
            throw ValidationError("--channel-count is required for raw float32 input (how many samples make one frame)")
        }
        if let count = frameChannels { try checked(count, flag: deprecatedCount == nil ? "--channel-count" : "--channels", in: ArgumentValues.channelRange) }
        try validateSpectrum(rate: rate)
    }

    func validateSpectrum(rate: Double?) throws {
        if nperseg != nil && windowSeconds != nil { throw ValidationError("give --nperseg or --window-seconds, not both") }
        if let nperseg { try checked(nperseg, flag: "--nperseg", in: ArgumentValues.segmentLengthRange) }
        _ = try windowSeconds?.seconds("--window-seconds", in: ArgumentValues.windowSecondsRange)
        _ = try epoch?.seconds("--epoch", in: ArgumentValues.epochRange)
        if let bands { _ = try usage { try ArgumentValues.bands(bands) } }
        try source.checkLabels(channelCount: frameChannels)
        if deprecatedCount == nil, let channels { _ = try ChannelLabels.selection(channels) }
        if let rate { _ = try overlapSamples(segmentLength: segmentLength(rate: rate)) }
    }

    func labelList(_ text: String) -> [String] { ArgumentValues.labels(text) }

    /// Welch segment length in samples: --nperseg, or --window-seconds (default 2 s) at
    /// `rate`, checked against the same range as --nperseg.
    func segmentLength(rate: Double) throws -> Int {
        if let nperseg { return nperseg }
        let seconds = try windowSeconds?.seconds("--window-seconds", in: ArgumentValues.windowSecondsRange) ?? 2
        let samples = (seconds * rate).rounded()
        let range = ArgumentValues.segmentLengthRange
        guard samples >= Double(range.lowerBound), samples <= Double(range.upperBound) else {
            throw ValidationError("--window-seconds gives \(samples) samples per segment at \(rate) Hz; it must be \(range.lowerBound)…\(range.upperBound)")
        }
        return Int(samples)
    }

    func overlapSamples(segmentLength: Int) throws -> Int? {
        guard let overlap else { return nil }
        return try usage { try ArgumentValues.overlap(overlap, segmentLength: segmentLength) }
    }

    func run() throws {
        DeprecatedSpelling.warn(deprecations)
        do {
            var (reader, rate) = try openReader()
            let options = try analysisOptions(reader: reader, rate: rate)
            let report = try BandpowerAnalyzer.analyze(&reader, options: options)
            let sink = try out.map { try TextOutput(path: $0) } ?? TextOutput.standard
            switch format ?? (standardOutputIsTerminal && out == nil ? .table : .json) {
            case .json: try sink.line(report.json())
            case .csv: try sink.line(report.csv())
            case .table: try sink.write(report.table())
            }
        } catch let error as ValidationError {
            throw error
        } catch let missing as ChannelSelection.MissingChannel {
            throw ValidationError("--channels: " + missing.message(source: "the input"))
        } catch {
            throw fail("bandpower", error)
        }
    }

    /// The reader for --input and --input-format, and the sample rate (an EDF's own).
    func openReader() throws -> (any FrameReader, Double) {
        // Band powers over the whole input would stitch across EDF+D gaps: refused.
        let reader = try resolvedInputFormat.open(input, channels: frameChannels, allowingGaps: false, stream: source.stream)
        return (reader, reader.statedSampleRate ?? rate ?? 0)
    }

    /// The analysis settings for `reader` (at `rate` Hz), --channels included.
    func analysisOptions(reader: any FrameReader, rate: Double) throws -> BandpowerOptions {
        let layout = reader.layout(sampleRate: rate, labels: self.labels.map(labelList), source: input ?? "standard input")
        if layout.channelCount != reader.channelCount { throw InputError.labelCount(labels: layout.channelCount, channels: reader.channelCount) }
        var options = BandpowerOptions(layout: layout)
        options.channels = selectedLabels
        let length = try segmentLength(rate: rate)
        options.segmentLength = length
        options.overlap = try overlapSamples(segmentLength: length)
        options.window = window
        if let bands { options.bands = try usage { try ArgumentValues.bands(bands) } }
        options.epochSeconds = try epoch?.seconds("--epoch", in: ArgumentValues.epochRange)
        return options
    }
}
