import ArgumentParser
import EEGKit
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a recording through the live pipeline, as samples or metrics.",
        discussion: """
            The file's frames go through the same ring buffer and live analyzer as \
            'eeg stream', paced by the file's clock; on a terminal, with the same live \
            dashboard. With the same settings, replaying a \
            recording made by 'eeg record' gives the metrics lines of the live session \
            that recorded it, byte for byte. Reads EDF, EDF+, BDF and BDF+ from any tool.

            Examples:
              eeg replay session.bdf --speed max > metrics.jsonl
              eeg replay session.bdf --from 60 --to 120 --emit samples --format csv
              eeg replay other-lab.edf --speed 4 --notch 50
              eeg replay --raw s.raw --device-protocol cyton --emit samples --speed max
            """
    )

    @Argument(help: ArgumentHelp("The recording (.edf or .bdf).", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Replay a raw byte capture ('eeg record --raw-capture') through the decoder instead.", valueName: "file"))
    var raw: String?

    @Option(name: .customLong("device-protocol"), help: "The protocol of a --raw capture: cyton.")
    var deviceProtocol: String = "cyton"

    @Flag(help: "The --raw capture is of a Cyton with a Daisy (16 channels).")
    var daisy = false

    @Option(help: "1 for real time, 2, 10, … or max (as fast as possible).")
    var speed: SpeedArgument = .realTime

    @Option(help: ArgumentHelp("Start this many seconds into the file.", valueName: "seconds"))
    var from: DurationArgument?

    @Option(help: ArgumentHelp("Stop this many seconds into the file.", valueName: "seconds"))
    var to: DurationArgument?

    @OptionGroup var output: LiveOutputOptions

    @OptionGroup var analysis: LiveAnalysisOptions

    func validate() throws {
        if (file == nil) == (raw == nil) { throw ValidationError("give a recording (eeg replay FILE) or a raw capture (eeg replay --raw FILE)") }
        if raw != nil && deviceProtocol.lowercased() != "cyton" { throw ValidationError("--device-protocol: only cyton is supported, got \(deviceProtocol)") }
        if raw != nil && (from != nil || to != nil) { throw ValidationError("--from/--to are for recordings, not raw captures") }
        _ = try speed.value("--speed")
        let positions = try self.positions()
        if let from = positions.from, let to = positions.to, to <= from { throw ValidationError("--to must be after --from") }
    }

    /// `--from` and `--to` in seconds: 0 (the start) up to a million hours.
    func positions() throws -> (from: Double?, to: Double?) {
        let range = 0...ArgumentValues.durationRange.upperBound
        return (try from?.seconds("--from", in: range), try to?.seconds("--to", in: range))
    }

    func run() throws {
        let stop = StopSignal()
        let sink = LineOutput()
        do {
            let device: any EEGDevice
            if let raw {
                device = try DeviceDescription.rawCytonCapture(path: raw, daisy: daisy, speed: try speed.value("--speed")).makeDevice().device
            } else {
                let positions = try self.positions()
                device = try FileReplayDevice(path: file!, speed: try speed.value("--speed"), from: positions.from, to: positions.to)
            }
            var options = StreamOptions()
            output.apply(to: &options)
            analysis.apply(to: &options)
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
            try? sink.flush()
            if summary.endedBy == .stopRequested { printStatus("stopped: \(summary.frames) frames") }
        } catch {
            throw fail("replay", error)
        }
    }
}
