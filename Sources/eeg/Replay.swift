import ArgumentParser
import EEGKit
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recording through the live pipeline, as samples or metrics.",
        discussion: """
            The file's frames go through the same ring buffer and live analyzer as \
            'eeg stream', paced by the file's clock; on a terminal, with the same live \
            dashboard. With the same settings, replaying a \
            recording made by 'eeg record' gives the metrics lines of the live session \
            that recorded it, byte for byte. Reads EDF, EDF+, BDF and BDF+ from any tool, \
            and CSV or raw float32 frames (give --rate, and --channel-count for float32); a \
            file whose name does not end .csv or .f32 is read as EDF/BDF unless \
            --input-format says otherwise.

            Examples:
              eeg replay session.bdf --speed max > metrics.jsonl
              eeg replay session.bdf --from 60 --to 120 --emit samples --format csv
              eeg replay other-lab.edf --speed 4 --notch 50
              eeg replay --raw s.raw --device-protocol cyton --emit samples --speed max
              eeg replay samples.csv --rate 250 --speed max
              eeg replay frames.f32 --rate 250 --channel-count 8 --labels Fp1,Fp2,C3,C4,P7,P8,O1,O2
            """
    )

    @Argument(help: ArgumentHelp("The recording (.edf or .bdf; .csv; .f32 raw float32 frames).", valueName: "file"))
    var file: String?

    @OptionGroup var source: FileSourceOptions

    @Option(help: ArgumentHelp("Replay a raw byte capture ('eeg record --raw-capture') through the decoder instead.", valueName: "file"))
    var raw: String?

    @Option(name: .customLong("device-protocol"), help: "The protocol of a --raw capture: cyton.")
    var deviceProtocol: String = "cyton"

    @Flag(help: "The --raw capture is of a Cyton with a Daisy (16 channels).")
    var daisy = false

    @Option(help: "1 for real time, 2, 10, … or max (as fast as possible).")
    var speed: SpeedArgument = .realTime

    @Option(help: ArgumentHelp("Start this far into the file, e.g. 90, 90s or 1m30s.", valueName: "duration"))
    var from: DurationArgument?

    @Option(help: ArgumentHelp("Stop this far into the file, e.g. 2m.", valueName: "duration"))
    var to: DurationArgument?

    @OptionGroup var output: LiveOutputOptions

    @OptionGroup var analysis: AnalysisFlags

    @OptionGroup var lslFlags: LSLFlags

    func validate() throws {
        if (file == nil) == (raw == nil) { throw ValidationError("give a recording (eeg replay FILE) or a raw capture (eeg replay --raw FILE)") }
        if raw != nil && deviceProtocol.lowercased() != "cyton" { throw ValidationError("--device-protocol: only cyton is supported, got \(deviceProtocol)") }
        if raw != nil && (from != nil || to != nil) { throw ValidationError("--from/--to are for recordings, not raw captures") }
        try lslFlags.validate(speed: try speed.value("--speed"), flag: "--speed")
        try lslFlags.validate(emit: output.emit)
        let positions = try self.positions()
        if let from = positions.from, let to = positions.to, to <= from { throw ValidationError("--to must be after --from") }
        try validateFileFormat()
    }

    var inputFormat: FrameSourceFormat? { source.inputFormat }
    var rate: Double? { source.rate }
    var channelCount: Int? { source.channelCount }
    var labels: String? { source.labels }

    /// The format of `file`: --input-format, else by extension (.csv, .f32), else EDF/BDF.
    var resolvedInputFormat: FrameSourceFormat {
        RecordingReplay(path: file ?? "", format: inputFormat).resolvedFormat
    }

    /// What a CSV or float32 file needs and an EDF/BDF file must not be given.
    func validateFileFormat() throws {
        guard file != nil else {
            if inputFormat != nil || rate != nil || channelCount != nil || labels != nil { throw ValidationError("--input-format, --rate, --channel-count and --labels are for recordings, not raw captures") }
            return
        }
        try source.checkStream(for: resolvedInputFormat)
        if resolvedInputFormat.statesLayout {
            if rate != nil || channelCount != nil || labels != nil { throw ValidationError(statesItsOwnLayout(resolvedInputFormat)) }
            return
        }
        guard let rate else { throw ValidationError(RecordingReplay.rateRequired(for: resolvedInputFormat).description) }
        try checked(rate, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz")
        if resolvedInputFormat == .f32 && channelCount == nil {
            throw ValidationError("--channel-count is required for raw float32 input (how many samples make one frame)")
        }
        if let channelCount { try checked(channelCount, flag: "--channel-count", in: ArgumentValues.channelRange) }
        try source.checkLabels(channelCount: channelCount)
    }

    /// What the flags ask to replay: an EDF/BDF file, or a CSV or float32 file at --rate.
    func recording(_ file: String) throws -> RecordingReplay {
        let positions = try self.positions()
        var replay = RecordingReplay(path: file, format: inputFormat, sampleRate: rate, channelCount: channelCount,
                               labels: source.labelList, speed: try speed.value("--speed"), from: positions.from, to: positions.to)
        replay.stream = source.stream
        return replay
    }

    /// `--from` and `--to` in seconds: 0 (the start) up to a million hours.
    func positions() throws -> (from: Double?, to: Double?) {
        let range = 0...ArgumentValues.durationRange.upperBound
        return (try from?.seconds("--from", in: range), try to?.seconds("--to", in: range))
    }

    func run() throws {
        DeprecatedSpelling.warn(source.deprecations(command: "replay"))
        let stop = StopSignal()
        let sink = LineOutput()
        do {
            let device: any EEGDevice
            if let file {
                let replay = try recording(file).open()
                for problem in replay.problems { writeStandardError("eeg replay: warning: \(TerminalText.safe(problem))\n") }
                device = replay
            } else {
                // validate() checked that a file or a raw capture was given.
                device = try DeviceDescription.rawCytonCapture(path: raw ?? "", daisy: daisy, speed: try speed.value("--speed")).makeDevice().device
            }
            var options = StreamOptions()
            output.apply(to: &options)
            try analysis.apply(to: &options)
            options.sampleTimes = lslFlags.times
            options.lsl = lslFlags.options(sourceID: "eegkit-replay-" + URL(fileURLWithPath: file ?? raw ?? "").lastPathComponent)
            if output.wantsDashboard {
                options.emit = .none
                options.analyze = true
                let session = StreamSession(device: device, options: options)
                _ = try runWithDashboard(session: session, device: device, stop: stop, recordingName: timestampedRecordingName)
                return
            }
            let session = StreamSession(device: device, options: options)
            let summary = try session.run(write: { sink.write($0) }, flush: { try sink.flush() },
                                          status: printStatus, stopRequested: { stop.isRequested })
            try sink.finish()
            if summary.endedBy == .stopRequested { printStatus("stopped: \(summary.frames) frames") }
        } catch {
            throw fail("replay", error)
        }
    }
}
