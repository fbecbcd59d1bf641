import ArgumentParser
import EEGKit

/// How to read a recorded file as frames — the same flags, meaning the same thing, in
/// every command that reads one (`replay`, `bandpower`): its format, and for CSV and raw
/// float32 (which do not state them) the rate, the frame width and the labels.
struct FileSourceOptions: ParsableArguments {
    @Option(name: .customLong("input-format"), help: "raw (float32 frames), csv or edf (EDF/BDF); default from the file's extension (.csv, .edf or .bdf; any other: raw for bandpower, edf for replay, .f32 raw in both).")
    var inputFormat: FrameSourceFormat?

    @Option(help: ArgumentHelp("Sample rate in Hz of CSV or raw float32 input (required for them; EDF/BDF state their own).", valueName: "hz"))
    var rate: Double?

    @Option(name: .customLong("channel-count"), help: "Raw float32 input: channels per frame (required for raw input; CSV counts its columns).")
    var channelCount: Int?

    @Option(help: ArgumentHelp("Comma-separated channel labels, e.g. Fp1,Fp2 (default ch1…chN, or the file's own).", valueName: "labels"))
    var labels: String?

    /// `--labels` as a list.
    var labelList: [String]? { labels.map(ArgumentValues.labels) }
}

extension FrameSourceFormat: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
