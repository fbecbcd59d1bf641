import ArgumentParser
import EEGKit
import Foundation

/// How signal is analysed — one set of flags, parsed by the same library parsers, in
/// `stream`, `record`, `replay` and `analyze`. Live filters are causal (the band-pass
/// on at 1-45 Hz unless `--filter off`); `analyze` filters zero-phase, and only when asked.
struct AnalysisFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Channels to analyze, comma-separated labels (default: all). Live, the channels the ratios and scores come from; every channel's powers are still shown.", valueName: "labels"))
    var channels: String?

    @Option(help: ArgumentHelp("Bands as name:low-high in Hz, comma-separated.", valueName: "bands"))
    var bands: String?

    @Option(help: ArgumentHelp("Band-pass before analysis, e.g. 2-30 (Hz), or off: causal live (default 1-45), zero-phase in analyze (default off).", valueName: "low-high"))
    var filter: String?

    @Option(help: ArgumentHelp("Notch at mains before analysis: 50 or 60 Hz (causal live, zero-phase in analyze).", valueName: "hz"))
    var notch: Double?

    @Option(help: ArgumentHelp("Frontal alpha asymmetry pair LEFT:RIGHT, e.g. F3:F4.", valueName: "left:right"))
    var pair: String?

    @Option(name: .customLong("calibration-seconds"), help: ArgumentHelp("Signal at the start that calibrates the 0–100 scores, e.g. 60s or 1m.", valueName: "duration"))
    var calibrationSeconds = DurationArgument(argument: "60")

    func validate() throws { _ = try parsed() }

    /// The flags' values, each checked; a bad one is a usage error naming its flag.
    func parsed() throws -> Values {
        if let notch, notch != 50 && notch != 60 { throw ValidationError("--notch is 50 or 60 (Hz), got \(notch)") }
        var values = Values()
        values.calibrationSeconds = try calibrationSeconds.seconds("--calibration-seconds", in: ArgumentValues.calibrationRange)
        values.channels = try channels.map { try ChannelLabels.selection($0) }
        if let bands { values.bands = try usage { try ArgumentValues.bands(bands) } }
        if let filter { values.bandPass = .some(try Self.passband(filter)) }
        if let pair { values.pair = try usage { try ArgumentValues.pair(pair) } }
        return values
    }

    /// What the flags parse into; nil where a flag was not given.
    struct Values {
        var channels: [String]?
        var bands: BandSet?
        /// `.some(nil)`: `--filter off`.
        var bandPass: ClosedRange<Double>??
        var pair: (left: String, right: String)?
        var calibrationSeconds = 60.0
    }

    /// `--filter`: a pass band, or nil for `off`/`none` (no band-pass).
    static func passband(_ text: String) throws -> ClosedRange<Double>? {
        if ["off", "none"].contains(text.trimmingCharacters(in: .whitespaces).lowercased()) { return nil }
        return try usage { try ArgumentValues.passband(text) }
    }

    /// Into a live session's options (stream, record, replay).
    func apply(to options: inout StreamOptions) throws {
        let values = try parsed()
        options.notchFrequency = notch
        options.calibrationSeconds = values.calibrationSeconds
        if let bands = values.bands { options.bands = bands }
        if let bandPass = values.bandPass { options.bandPass = bandPass }
        options.metricChannels = values.channels
        options.asymmetryPair = values.pair
    }

    /// Into a file analysis's options (analyze).
    func apply(to options: inout AnalysisOptions) throws {
        let values = try parsed()
        options.notchFrequency = notch
        options.calibrationSeconds = values.calibrationSeconds
        if let bands = values.bands { options.bands = bands }
        options.bandPass = values.bandPass ?? nil
        options.channels = values.channels
        options.asymmetryPair = values.pair
    }
}
