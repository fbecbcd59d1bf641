import ArgumentParser
import EEGKit
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe an EDF/EDF+/BDF/BDF+ or XDF file: header, channels, duration, annotations, problems.",
        discussion: """
            Examples:
              eeg info session.bdf
              eeg info other-lab.edf --json | jq .channels
              eeg info labrecorder.xdf
            """
    )

    @Argument(help: ArgumentHelp("The file.", valueName: "file"))
    var file: String

    @Flag(help: "JSON instead of text.")
    var json = false

    @Option(help: ArgumentHelp("XDF: the stream to describe as EEG, by name (default: the first numeric stream with a regular rate).", valueName: "name"))
    var stream: String?

    func validate() throws {
        if stream != nil && FrameSourceFormat(path: file) != .xdf { throw ValidationError("--stream chooses a stream of an XDF file; \(file) is not one") }
    }

    func run() throws {
        do {
            if FrameSourceFormat(path: file) == .xdf {
                let description = try XDFDescription(path: file, stream: stream)
                if json { try say(description.json(file: file)) } else { for line in description.lines(file: file) { try say(line) } }
                return
            }
            let file = try Description(path: file)
            if json { try say(jsonText(file)) } else { try printText(file) }
        } catch {
            throw fail("info", error)
        }
    }

    /// What `info` shows of one file, read once.
    private struct Description {
        let reader: EDFReader
        /// Streamed: a file of millions of annotations keeps only the first ones.
        let annotations: EDFReader.AnnotationList
        let gaps: [EDFReader.RecordGap]
        /// "EDF", "BDF+C", "EDF+D", …
        let kind: String
        /// The header's start date and time, "yyyy-mm-dd hh:mm:ss".
        let start: String
        let channels: [EDFSignal]
        var header: EDFHeader { reader.header }

        init(path: String) throws {
            reader = try EDFReader(path: path)
            let h = reader.header
            annotations = try reader.annotations(keeping: Info.annotationLimit)
            gaps = reader.gaps
            kind = (h.flavor == .bdf ? "BDF" : "EDF") + (h.isPlus ? (h.isDiscontinuous ? "+D" : "+C") : "")
            start = String(format: "%04d-%02d-%02d %02d:%02d:%02d", h.start.year ?? 0, h.start.month ?? 0, h.start.day ?? 0, h.start.hour ?? 0, h.start.minute ?? 0, h.start.second ?? 0)
            channels = reader.channelSignals.map { h.signals[$0] }
        }
    }

    private func jsonText(_ d: Description) -> String {
        let n = JSONText.number as (Double?) -> String
        let h = d.header, reader = d.reader
        var out = "{\"file\": \(q(file)), \"format\": \(q(d.kind)), \"start\": \(q(d.start)), \"patient\": \(q(h.patient)), \"recording\": \(q(h.recording)), "
        out += "\"records\": \(reader.recordCount), \"record_count_in_header\": \(h.recordCount), \"record_seconds\": \(n(h.recordDuration)), "
        out += "\"duration_s\": \(n(reader.duration)), \"sample_rate\": \(n(reader.sampleRate)), \"channels\": ["
        out += d.channels.map { "{\"label\": \(q($0.label)), \"unit\": \(q($0.physicalDimension)), \"physical_min\": \(n($0.physicalMinimum)), \"physical_max\": \(n($0.physicalMaximum)), \"digital_min\": \($0.digitalMinimum), \"digital_max\": \($0.digitalMaximum), \"resolution\": \(n($0.gain))}" }.joined(separator: ", ")
        out += "], \"annotations\": ["
        out += d.annotations.kept.map { "{\"onset_s\": \(n($0.onset)), \"duration_s\": \(n($0.duration)), \"text\": \(q($0.text))}" }.joined(separator: ", ")
        out += "], \"annotations_total\": \(d.annotations.total), \"gaps\": ["
        out += d.gaps.prefix(Self.annotationLimit).map { "{\"before_record\": \($0.record), \"from_s\": \(n($0.from)), \"to_s\": \(n($0.to)), \"seconds\": \(n($0.seconds))}" }.joined(separator: ", ")
        out += "], \"gaps_total\": \(d.gaps.count), \"other_signals\": ["
        out += reader.otherSignals.map { i in
            let s = h.signals[i]
            return "{\"label\": \(q(s.label)), \"unit\": \(q(s.physicalDimension)), \"sample_rate\": \(n(Double(s.samplesPerRecord) / h.recordDuration))}"
        }.joined(separator: ", ") + "]"
        out += ", \"problems\": [" + reader.problems.map(q).joined(separator: ", ") + "]}"
        return out
    }

    // Everything from the file is shown with its control characters escaped: an ESC
    // sequence in a label or annotation must not reach the terminal.

    private func printText(_ d: Description) throws {
        let t = TerminalText.safe, h = d.header, reader = d.reader
        try say("\(t(file)): \(d.kind), started \(d.start)")
        try say("  patient:   \(t(h.patient))")
        try say("  recording: \(t(h.recording))")
        try say(String(format: "  %d records of %g s = %.1f s (%@), %g Hz", reader.recordCount, h.recordDuration, reader.duration, formatDuration(reader.duration), reader.sampleRate))
        if h.isDiscontinuous { try printGaps(d) }
        try say("  channels (\(d.channels.count)):")
        for c in d.channels {
            let unit = t(c.physicalDimension)
            try say("    \(t(c.label).padding(toLength: 16, withPad: " ", startingAt: 0)) \(unit.isEmpty ? "-" : unit)  \(c.physicalMinimum) … \(c.physicalMaximum)  (resolution \(String(format: "%.6g", c.gain)) \(unit))")
        }
        if !reader.otherSignals.isEmpty {
            // Aux signals (an accelerometer) beside the EEG: shown, never analysed.
            try say("  other signals, not analysed (\(reader.otherSignals.count)):")
            for i in reader.otherSignals {
                let s = h.signals[i], unit = t(s.physicalDimension)
                try say("    \(t(s.label).padding(toLength: 16, withPad: " ", startingAt: 0)) \(unit.isEmpty ? "-" : unit)  \(String(format: "%g", Double(s.samplesPerRecord) / h.recordDuration)) Hz")
            }
        }
        try printAnnotations(d.annotations)
        if reader.problems.isEmpty { try say("  problems: none") } else {
            try say("  problems:")
            for p in reader.problems { try say("    - \(t(p))") }
        }
    }

    private func printGaps(_ d: Description) throws {
        let reader = d.reader, gaps = d.gaps
        try say(String(format: "  discontinuous: records span %.3f s to %.3f s with %d gap%@", reader.recordCount > 0 ? reader.recordStart(0) : 0, reader.endTime, gaps.count, gaps.count == 1 ? "" : "s"))
        for g in gaps.prefix(50) {
            try say(String(format: "    gap before record %d: %.3f s → %.3f s (%.3f s)", g.record, g.from, g.to, g.seconds))
        }
        if gaps.count > 50 { try say("    … and \(gaps.count - 50) more gaps (--json lists up to \(Self.annotationLimit))") }
    }

    private func printAnnotations(_ list: EDFReader.AnnotationList) throws {
        try say("  annotations (\(list.total)):")
        for a in list.kept.prefix(50) {
            try say(String(format: "    %9.3f s  ", a.onset) + (a.duration.map { String(format: "(%.3f s) ", $0) } ?? "") + TerminalText.safe(a.text))
        }
        if list.total > 50 {
            try say("    … and \(list.total - 50) more annotations" + (list.total > Self.annotationLimit ? " (--json lists the first \(Self.annotationLimit))" : " (--json lists all)"))
        }
    }

    /// Annotations (and gaps) kept for the listing; the rest are counted.
    static let annotationLimit = 10_000

    private func q(_ s: String) -> String { JSONText.string(s) }

    /// One line to standard output (escaped on a terminal; a failed write is exit 74).
    private func say(_ line: String) throws { try TextOutput.standard.line(line) }

    private func formatDuration(_ s: Double) -> String {
        let t = CheckedNumber.roundedInt(s.rounded(.down), clampedTo: 0...Int(Int32.max))
        return String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
    }
}

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Make a recording left by a crash whole: write its record count, drop a torn last record.",
        discussion: """
            Never changes a sample of a whole record. Atomic: the repaired file is \
            written beside the original and renamed over it, so a failure leaves the \
            original untouched.

            Examples:
              eeg repair session.bdf
            """
    )

    @Argument(help: ArgumentHelp("The file.", valueName: "file"))
    var file: String

    private func say(_ line: String) throws { try TextOutput.standard.line(line) }

    func run() throws {
        // A file-size limit (ulimit -f) must fail the write with EFBIG, which removes the
        // temporary copy, rather than kill the process and leave it behind.
        signal(SIGXFSZ, SIG_IGN)
        do {
            let report = try withStopSignalsHeld { () throws(EDFError) in try EDFRepair.repair(path: file) }
            guard report.changed else {
                try say("\(file): nothing to repair (\(report.wholeRecords) records, header agrees)")
                return
            }
            var changes: [String] = []
            if report.declaredRecords != report.wholeRecords {
                changes.append("wrote the record count \(report.wholeRecords) (was \(report.declaredRecords))")
            }
            if report.tornBytes > 0 { changes.append("dropped a torn last record (\(report.tornBytes) bytes)") }
            try say("\(file): " + changes.joined(separator: "; "))
        } catch {
            throw fail("repair", error)
        }
    }
}

/// Runs `body` with SIGINT, SIGTERM and SIGHUP held back, so Ctrl-C during a repair
/// cannot leave the temporary copy behind: the signal takes effect when the repair has
/// finished or cleaned up (the file is then either untouched or repaired, never half).
private func withStopSignalsHeld<T>(_ body: () throws(EDFError) -> T) throws(EDFError) -> T {
    var held = sigset_t(), previous = sigset_t()
    sigemptyset(&held)
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&held, signal) }
    pthread_sigmask(SIG_BLOCK, &held, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}
