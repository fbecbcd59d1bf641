import ArgumentParser
import EEGKit
import Foundation

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a headset to BDF+ (24-bit), EDF+ (16-bit) or XDF, crash-safe.",
        discussion: """
            The format follows the extension: .bdf keeps a Cyton's 24-bit samples \
            exactly; .edf stores 0.1 µV steps within ±3276.7 µV (values outside are \
            clipped and counted); .xdf writes the EEG (float32), the live metrics, a \
            markers stream and a Cyton's aux channels (NAME-aux) with LSL-clock timestamps, a boundary chunk and a flush every \
            2 s. Each 1 s record is flushed to disk as it completes, so a \
            crash loses at most the last second and 'eeg repair' makes the file whole. \
            Gaps (lost samples, unplugged dongle) are written as annotated spans, never \
            stitched; markers, disconnects and reconnects are annotations. Ctrl-C or \
            SIGTERM stops cleanly and closes a valid file. Progress is shown on standard \
            error when it is a terminal.

            Examples:
              eeg record --out session.bdf --duration 5m
              eeg record --device cyton --out s01.bdf --patient S01 --recording "eyes open/closed"
              eeg record --out s.bdf --markers-from-stdin        # type a line + Enter to mark
              eeg record --out s.bdf --emit metrics > live.jsonl # and watch the metrics
              eeg record --device cyton --out s.bdf --raw-capture s.raw
            """
    )

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: ArgumentHelp("The file to write: .bdf, .edf or .xdf.", valueName: "file"))
    var out: String

    @Flag(help: "Overwrite the file if it exists.")
    var force = false

    @Option(help: ArgumentHelp("Stop after this much device time, e.g. 60s, 5m.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(help: "Stop after this many frames.")
    var samples: Int64?

    @OptionGroup var fields: RecordingFields

    @Flag(name: .customLong("markers-from-stdin"), help: "Each line on standard input becomes a marker annotation at the time it arrives.")
    var markersFromStdin = false

    @Option(name: .customLong("raw-capture"), help: ArgumentHelp("Also save the exact bytes the Cyton sent, to reproduce decoder problems ('eeg replay --raw').", valueName: "file"))
    var rawCapture: String?

    @Option(help: "Also write to standard output: none, samples or metrics.")
    var emit: StreamEmit = .none

    @Option(help: "jsonl or csv, for --emit.")
    var format: StreamFormat = .jsonl

    @OptionGroup var analysis: AnalysisFlags

    @OptionGroup var lslFlags: LSLFlags

    @OptionGroup var lslMarkerFlags: LSLMarkerFlags

    func validate() throws {
        if duration != nil && samples != nil { throw ValidationError("give --duration or --samples, not both") }
        _ = try duration?.seconds("--duration")
        if let samples { try checked(samples, flag: "--samples", in: 1...Int64.max) }
        try lslFlags.validate(speed: try deviceOptions.speedValue(), flag: deviceOptions.speedFlagName)
        try lslFlags.validate(emit: emit)
        try lslMarkerFlags.validate(speed: try deviceOptions.speedValue(), flag: deviceOptions.speedFlagName)
        if rawCapture != nil, !(try deviceOptions.deviceDescription().sendsRawBytes) { throw ValidationError("--raw-capture is for --device cyton (the simulated headset sends no bytes)") }
        try validateRecordingOutput(out, force: force)
        if deviceOptions.boardTime && out.lowercased().hasSuffix(".edf") {
            throw ValidationError("--board-time needs a .bdf or .xdf recording: .edf's 16-bit samples cannot hold board_time (0…16777215 ms) exactly")
        }
    }

    func run() throws {
        let stop = StopSignal()
        let sink = LineOutput()
        let progress = ProgressLine()
        var capturing: RawCapture?
        do {
            if force { try removeForOverwrite(out) }
            let description = try deviceOptions.deviceDescription()
            if let rawCapture, force { try removeForOverwrite(rawCapture) }
            let built = try description.makeDevice(rawCapture: rawCapture.map { RawCaptureRequest(path: $0, overwrite: force) })
            let device = built.device, capture = built.rawCapture
            capturing = capture
            var options = StreamOptions()
            options.emit = emit
            options.format = format
            try analysis.apply(to: &options)
            var recordingOptions = RecordingOptions(path: out)
            recordingOptions.overwrite = force
            recordingOptions.sourceID = description.lslSourceID
            fields.apply(to: &recordingOptions)
            options.recording = recordingOptions
            options.sampleTimes = lslFlags.times
            options.lsl = lslFlags.options(sourceID: description.lslSourceID)
            options.markersFromLSL = lslMarkerFlags.options()
            if let samples { options.frameLimit = samples }
            if let duration { options.frameLimit = ArgumentValues.frames(seconds: try duration.seconds("--duration"), rate: device.sampleRate) }
            try options.validate(for: device.layout)
            let session = StreamSession(device: device, options: options)
            if markersFromStdin {
                let markers = session.markers
                let reader = Thread {
                    while let line = readLine() {
                        let text = line.trimmingCharacters(in: .whitespaces)
                        markers.add(text.isEmpty ? "marker" : text)
                    }
                }
                reader.start()
            }
            printStatus("recording \(device.name) to \(out); Ctrl-C to stop")
            let summary = try session.run(
                write: { sink.write($0) }, flush: { try sink.flush() }, status: printStatus,
                progress: { progress.show($0, file: out) }, stopRequested: { stop.isRequested })
            try sink.finish()
            progress.finish()
            var message = String(format: "wrote %.2f s to %@", summary.recordedSeconds, out)
            if summary.droppedFrames > 0 { message += "; \(summary.droppedFrames) samples lost (annotated in the file)" }
            if summary.clippedSamples > 0 { message += "; \(summary.clippedSamples) samples clipped to the EDF range (use .bdf)" }
            printStatus(message)
            if let capture { try reportRawCapture(capture) }
        } catch {
            progress.finish()
            if let rawCapture, let capture = capturing, capture.writtenBytes == 0, capture.failure == nil { unlink(rawCapture) }
            throw fail("record", error)
        }
    }

    /// The raw capture is complete, or the recording's exit status says it is not: a
    /// write failure is an I/O error (74) naming the bytes lost; an overflow (the disk
    /// too slow for minutes) is reported.
    ///
    /// The driver closes the capture when its last transfers are done (which may be after
    /// `stop` returns), so this reports what has happened by now and does not close it.
    private func reportRawCapture(_ capture: RawCapture) throws {
        if capture.overflowBytes > 0 {
            printStatus("raw capture \(capture.path): \(capture.overflowBytes) bytes did not fit in its buffer (the disk was too slow) and are not in the file")
        }
        if let failure = capture.failure { throw failure }
    }
}
