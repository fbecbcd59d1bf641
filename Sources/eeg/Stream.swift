import ArgumentParser
import EEGKit
import Foundation

struct Stream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Stream from a headset: raw samples or live metrics, as JSON lines or CSV.",
        discussion: """
            Frames go from the device through the lock-free ring buffer; with --emit \
            metrics the live analyzer turns every 0.25 s of signal into a \
            line of band powers, engagement, θ/β, α/β, workload, the 0–100 attention, \
            relaxation and workload scores (null until the first 60 s have calibrated \
            them) and per-channel signal quality. Timestamps are the device's sample \
            counter. Ctrl-C stops cleanly.

            On a terminal (and without --emit/--format) a live dashboard shows \
            per-channel quality, RMS and band powers, the scores with their trend, the \
            ratios, the achieved rate and losses; keys: m marker, r start/stop recording \
            (eeg-DATE-TIME.bdf), space freeze, q quit. NO_COLOR turns colours off. When \
            piped, one JSON line (or CSV row) of metrics per 0.25 s.

            Examples:
              eeg stream                                         # dashboard on a terminal
              eeg stream --duration 10s | head                   # simulated headset, metrics
              eeg stream --emit samples --format csv --samples 500 > raw.csv
              eeg stream --device sim --seed 7 --duration 2m --format csv > metrics.csv
              eeg stream --speed 20 --duration 3m --format csv   # 3 sim minutes in 9 s
              eeg stream --lsl --lsl-name EEG                    # LSL outlets EEG, EEG-metrics, EEG-markers
              eeg stream --emit samples --format csv --duration 20s \\
                  | eeg bandpower --input-format csv --rate 250
            """
    )

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: ArgumentHelp("Stop after this much device time, e.g. 10s, 2m.", valueName: "duration"))
    var duration: DurationArgument?

    @Option(help: "Stop after this many frames (samples per channel).")
    var samples: Int64?

    @OptionGroup var output: LiveOutputOptions

    @OptionGroup var analysis: AnalysisFlags

    @OptionGroup var lslFlags: LSLFlags

    @OptionGroup var lslMarkerFlags: LSLMarkerFlags

    func validate() throws {
        if duration != nil && samples != nil { throw ValidationError("give --duration or --samples, not both") }
        _ = try duration?.seconds("--duration")
        if let samples { try checked(samples, flag: "--samples", in: 1...Int64.max) }
        try lslFlags.validate(speed: try deviceOptions.speedValue(), flag: deviceOptions.speedFlagName)
        try lslFlags.validate(emit: output.emit)
        try lslMarkerFlags.validate(speed: try deviceOptions.speedValue(), flag: deviceOptions.speedFlagName)
    }

    func run() throws {
        let stop = StopSignal()
        let sink = LineOutput()
        do {
            let description = try deviceOptions.deviceDescription()
            let device = try description.makeDevice().device
            var options = StreamOptions()
            output.apply(to: &options)
            try analysis.apply(to: &options)
            options.sampleTimes = lslFlags.times
            options.lsl = lslFlags.options(sourceID: description.lslSourceID)
            options.markersFromLSL = lslMarkerFlags.options()
            if let samples { options.frameLimit = samples }
            if let duration { options.frameLimit = ArgumentValues.frames(seconds: try duration.seconds("--duration"), rate: device.sampleRate) }
            if output.wantsDashboard {
                options.emit = .none
                options.analyze = true
                try options.validate(for: device.layout)
                let session = StreamSession(device: device, options: options)
                let summary = try runWithDashboard(session: session, device: device, stop: stop, recordingName: timestampedRecordingName)
                printStatus("stopped (\(summary.endedBy.rawValue)): \(summary.frames) frames" + (summary.recordedSeconds > 0 ? String(format: ", %.1f s recorded", summary.recordedSeconds) : ""))
                return
            }
            try options.validate(for: device.layout)
            printStatus("streaming from \(device.name); Ctrl-C to stop")
            let session = StreamSession(device: device, options: options)
            let summary = try session.run(
                write: { sink.write($0) }, flush: { try sink.flush() },
                status: printStatus, stopRequested: { stop.isRequested })
            try sink.finish()
            let lost = summary.droppedFrames > 0 ? ", \(summary.droppedFrames) lost" : ""
            printStatus("stopped (\(summary.endedBy.rawValue)): \(summary.frames) frames\(lost)")
        } catch {
            throw fail("stream", error)
        }
    }
}

extension StreamEmit: ExpressibleByArgument {}
extension StreamFormat: ExpressibleByArgument {}
