import ArgumentParser
import EEGKit

/// The usage error for --rate, --channel-count or --labels given with a file that states them.
func statesItsOwnLayout(_ format: FrameSourceFormat) -> String {
    "an \(format == .xdf ? "XDF" : "EDF/BDF") file states its own rate, channels and labels: drop --rate/--channel-count/--labels"
}

/// How to read a recorded file as frames — the same flags, meaning the same thing, in
/// every command that reads one (`replay`, `bandpower`): its format, and for CSV and
/// float32 (which do not state them) the rate, the frame width and the labels.
struct FileSourceOptions: ParsableArguments {
    @Option(name: .customLong("input-format"), help: "f32 (float32 frames), csv, edf (EDF/BDF) or xdf (XDF); default from the file's extension (.csv, .edf or .bdf, .xdf; any other: f32 for bandpower, edf for replay, .f32 f32 in both). 'raw' is the old name of f32.")
    var format: InputFormatArgument?

    @Option(help: ArgumentHelp("Sample rate in Hz of CSV or float32 input (required for them; EDF/BDF state their own).", valueName: "hz"))
    var rate: Double?

    @Option(name: .customLong("channel-count"), help: "Float32 input: channels per frame (required for float32 input; CSV counts its columns).")
    var channelCount: Int?

    @Option(help: ArgumentHelp("Comma-separated channel labels, e.g. Fp1,Fp2 (default ch1…chN, or the file's own).", valueName: "labels"))
    var labels: String?

    @Option(help: ArgumentHelp("XDF input: the stream to read as EEG, by name (default: the first numeric stream with a regular rate).", valueName: "name"))
    var stream: String?

    /// --stream names a stream of an XDF file: with any other input it is a usage error.
    func checkStream(for format: FrameSourceFormat) throws {
        if stream != nil && format != .xdf { throw ValidationError("--stream chooses a stream of an XDF file; this input is \(format.rawValue)") }
    }

    /// `--input-format`, if given.
    var inputFormat: FrameSourceFormat? { format?.format }

    /// `--labels` as a list.
    var labelList: [String]? { labels.map(ArgumentValues.labels) }

    /// `--labels` checked against the frame width (`--channel-count`) and the limit.
    func checkLabels(channelCount: Int?) throws {
        guard let labels = labelList else { return }
        if let channelCount, labels.count != channelCount { throw ValidationError("--labels has \(labels.count) labels but --channel-count is \(channelCount)") }
        if labels.count > ArgumentValues.channelRange.upperBound { throw ValidationError("--labels has more than \(ArgumentValues.channelRange.upperBound) labels") }
    }

    /// `--input-format raw`, the old name of `f32`, said on standard error.
    func deprecations(command: String) -> [DeprecatedSpelling] {
        guard format?.isOldRawName == true else { return [] }
        return [DeprecatedSpelling(command: command, old: "--input-format raw", new: "--input-format f32",
                                   reason: "raw means a Cyton byte capture, as in 'eeg replay --raw'")]
    }
}

/// `--input-format f32|csv|edf`; `raw`, the old name of `f32`, is accepted for one release.
struct InputFormatArgument: ExpressibleByArgument {
    let format: FrameSourceFormat
    /// `raw` was typed.
    let isOldRawName: Bool

    init?(argument: String) {
        let lower = argument.lowercased()
        isOldRawName = lower == "raw"
        guard let format = isOldRawName ? .f32 : FrameSourceFormat(rawValue: lower) else { return nil }
        self.format = format
    }

    static var allValueStrings: [String] { FrameSourceFormat.allCases.map(\.rawValue) }
}
