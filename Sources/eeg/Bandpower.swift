import ArgumentParser
import EEGKit
import Foundation

struct Bandpower: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Band powers and ratios of raw samples (Welch PSD, equal to scipy.signal.welch).",
        discussion: """
            Reads interleaved little-endian float32 frames in µV (or CSV rows) from a file \
            or standard input, and reports absolute (µV²) and relative band powers per \
            channel and the engagement β/(α+θ), θ/β, α/β and workload θ/α ratios of the \
            channel means — for the whole input, and per epoch with --epoch.

            Defaults follow scipy: Hann window, 2 s segments, 50 % overlap, constant \
            detrend, density scaling; bands delta 1-4, theta 4-8, alpha 8-13, beta 13-30, \
            gamma 30-45 Hz (each [low, high)).

            Examples:
              eeg bandpower --input session.f32 --rate 250 --channels 8
              eeg bandpower --rate 256 --channels 2 --labels Fp1,Fp2 --epoch 4s < raw.f32
              eeg bandpower --input-format csv --rate 250 --input samples.csv --format csv
              eeg bandpower --input x.f32 --rate 500 --channels 4 \\
                  --nperseg 1000 --overlap 75% \\
                  --bands theta:4-8,alpha:8-12,smr:12-15,beta:15-30
            """
    )

    typealias InputFormat = FrameSourceFormat

    @Option(help: ArgumentHelp("File to read; absent or '-' reads standard input.", valueName: "file"))
    var input: String?

    /// --input-format (default raw float32 unless the name ends .csv, .edf or .bdf),
    /// --rate, --channels, --labels: as in every command that reads a file.
    @OptionGroup var source: FileSourceOptions
    var inputFormat: InputFormat? { source.inputFormat }
    var rate: Double? { source.rate }
    var channels: Int? { source.channels }
    var labels: String? { source.labels }

    @Option(help: "Welch segment length in samples (default: 2 s of samples).")
    var nperseg: Int?

    @Option(name: .customLong("window-seconds"), help: ArgumentHelp("Welch segment length in seconds, instead of --nperseg.", valueName: "seconds"))
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

    var resolvedInputFormat: InputFormat {
        if let inputFormat { return inputFormat }
        let lower = input?.lowercased() ?? ""
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".edf") || lower.hasSuffix(".bdf") { return .edf }
        return .raw
    }

    func validate() throws {
        if resolvedInputFormat == .edf {
            if rate != nil || channels != nil { throw ValidationError("an EDF/BDF file states its own rate and channels: drop --rate/--channels") }
            if input == nil || input == "-" { throw ValidationError("EDF/BDF input must be a file (--input FILE), not standard input") }
            return try validateSpectrum(rate: nil)
        }
        guard let rate else { throw ValidationError("--rate is required: the sample rate in Hz, e.g. --rate 250") }
        try checked(rate, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz")
        if resolvedInputFormat == .raw && channels == nil {
            throw ValidationError("--channels is required for raw float32 input (how many samples make one frame)")
        }
        if let channels { try checked(channels, flag: "--channels", in: ArgumentValues.channelRange) }
        try validateSpectrum(rate: rate)
    }

    func validateSpectrum(rate: Double?) throws {
        if nperseg != nil && windowSeconds != nil { throw ValidationError("give --nperseg or --window-seconds, not both") }
        if let nperseg { try checked(nperseg, flag: "--nperseg", in: ArgumentValues.segmentLengthRange) }
        _ = try windowSeconds?.seconds("--window-seconds", in: ArgumentValues.windowSecondsRange)
        _ = try epoch?.seconds("--epoch", in: ArgumentValues.epochRange)
        if let bands { _ = try usage { try ArgumentValues.bands(bands) } }
        if let labels, let channels, labelList(labels).count != channels {
            throw ValidationError("--labels has \(labelList(labels).count) labels but --channels is \(channels)")
        }
        if let rate { _ = try overlapSamples(segmentLength: segmentLength(rate: rate)) }
        if let labels, labelList(labels).count > ArgumentValues.channelRange.upperBound { throw ValidationError("--labels has more than \(ArgumentValues.channelRange.upperBound) labels") }
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
        do {
            var reader: any FrameReader
            var rate = self.rate ?? 0
            switch resolvedInputFormat {
            case .raw:
                let (handle, name) = try openInput(input)
                reader = RawFloat32Reader(handle: handle, name: name, channelCount: channels!)
            case .csv:
                let (handle, name) = try openInput(input)
                reader = try CSVFrameReader(handle: handle, name: name, declaredChannels: channels)
            case .edf:
                let edf = try EDFFrameReader(path: input!)
                rate = edf.reader.sampleRate
                reader = edf
            }
            var options = BandpowerOptions(sampleRate: rate, channelCount: reader.channelCount)
            options.labels = labels.map(labelList) ?? reader.labels
            if let labels = options.labels, labels.count != reader.channelCount {
                throw InputError.labelCount(labels: labels.count, channels: reader.channelCount)
            }
            let length = try segmentLength(rate: rate)
            options.segmentLength = length
            options.overlap = try overlapSamples(segmentLength: length)
            options.window = window
            if let bands { options.bands = try usage { try ArgumentValues.bands(bands) } }
            options.epochSeconds = try epoch?.seconds("--epoch", in: ArgumentValues.epochRange)
            let report = try BandpowerAnalyzer.analyze(&reader, options: options)
            switch format ?? (standardOutputIsTerminal ? .table : .json) {
            case .json: try TextOutput.standard.line(report.json())
            case .csv: try TextOutput.standard.line(report.csv())
            case .table: try TextOutput.standard.write(report.table())
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("bandpower", error)
        }
    }
}
