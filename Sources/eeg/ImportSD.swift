import ArgumentParser
import EEGKit
import Foundation

struct ImportSD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-sd",
        abstract: "Convert an OpenBCI Cyton SD-card file (OBCI_xx.TXT) to BDF+ or EDF+.",
        discussion: """
            Reads the hex text the Cyton firmware writes to its SD card (8 channels, or \
            16 with a Daisy, found from the lines) and writes the channels in µV at the \
            default gain 24 (the file does not record gains). The rate is the one the \
            file's footer states, else --rate (default 250 Hz). Samples the counter says \
            are missing, and pauses between stop/start stamps, are annotated filler \
            spans, never stitched. Accelerometer/aux values are not written. A line that \
            is not a sample line is skipped and counted (the first is named); --strict \
            fails at it instead (exit 65, naming line and column).

            Examples:
              eeg import-sd OBCI_0A.TXT --out night.bdf
              eeg import-sd OBCI_0A.TXT --out night.bdf --strict --force
            """
    )

    @Argument(help: ArgumentHelp("The SD-card file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The file to write: .bdf (24-bit, exact) or .edf.", valueName: "file"))
    var out: String

    @Flag(help: "Overwrite the output if it exists.")
    var force = false

    @Flag(help: "Fail at the first malformed line instead of skipping it.")
    var strict = false

    @Option(help: ArgumentHelp("The rate (Hz) when the file's footer does not state one: 250, 500, 1000, 2000, 4000, 8000 or 16000.", valueName: "hz"))
    var rate: Int?

    @OptionGroup var fields: RecordingFields

    func validate() throws {
        if file == "-" { throw ValidationError("import-sd reads a file (twice), not standard input") }
        if let rate, !CytonSDImportOptions.recordableRates.contains(rate) {
            throw ValidationError("--rate \(rate) is not a rate the Cyton records at (250, 500, 1000, 2000, 4000, 8000 or 16000)")
        }
        try validateRecordingOutput(out, force: force)
    }

    func run() throws {
        do {
            if force { try removeForOverwrite(out) }
            var output = RecordingOptions(path: out)
            output.overwrite = force
            fields.apply(to: &output)
            var options = CytonSDImportOptions(input: file, recording: output)
            options.strict = strict
            if let rate { options.fallbackRate = rate }
            let summary = try CytonSDImport.run(options)
            printStatus(Self.message(summary, file: file, out: out))
        } catch {
            throw fail("import-sd", error)
        }
    }

    static func message(_ s: CytonSDImportSummary, file: String, out: String) -> String {
        var text = String(format: "wrote %.2f s to %@ (%d channels at %d Hz%@, %lld samples)", s.seconds, out, s.channelCount, s.sampleRate,
                          s.rateStated ? " as the file states" : "", s.frames)
        if s.lostSamples > 0 { text += "; \(s.lostSamples) samples lost (annotated in the file)" }
        if s.pausedSamples > 0 { text += "; \(s.pausedSamples) samples of pauses (annotated in the file)" }
        if s.clippedSamples > 0 { text += "; \(s.clippedSamples) samples clipped to the EDF range (use .bdf)" }
        if let first = s.firstSkipped { text += "; warning: \(s.skippedLines) malformed lines skipped in \(file), the first at \(first)" }
        return text
    }
}
