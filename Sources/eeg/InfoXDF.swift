import EEGKit
import Foundation

/// `eeg info` for an XDF file: its streams (name, type, format, rate, channels, samples,
/// clock offsets), the one read as EEG with its duration and gaps, and the markers.
struct XDFDescription {
    let recording: XDFRecording
    var reader: XDFReader { recording.reader }

    init(path: String, stream: String?) throws { recording = try XDFRecording(path: path, streamName: stream) }

    var duration: Double {
        let count = recording.stream.sampleCount
        return count == 0 ? 0 : Double(recording.timelineIndex(ofStoredFrame: count - 1) + 1) / recording.sampleRate
    }

    func json(file: String) -> String {
        let n = JSONText.number as (Double?) -> String, q = JSONText.string
        var out = "{\"file\": \(q(file)), \"format\": \"XDF\", \"eeg_stream\": \(recording.stream.id), \"duration_s\": \(n(duration)), "
        out += "\"sample_rate\": \(n(recording.sampleRate)), \"streams\": ["
        out += reader.streams.map { s in
            let channels = s.info.channels.map { "{\"label\": \(q($0.label)), \"unit\": \(q($0.unit)), \"type\": \(q($0.type))}" }.joined(separator: ", ")
            return "{\"id\": \(s.id), \"name\": \(q(s.info.name)), \"type\": \(q(s.info.type)), \"format\": \(q(s.info.channelFormat.rawValue)), "
                + "\"nominal_rate\": \(n(s.info.nominalRate)), \"channel_count\": \(s.info.channelCount), \"samples\": \(s.sampleCount), "
                + "\"clock_offsets\": \(s.clockOffsets.count), \"source_id\": \(q(s.info.sourceID)), \"channels\": [\(channels)]}"
        }.joined(separator: ", ")
        out += "], \"annotations\": ["
        out += recording.annotations.prefix(Info.annotationLimit).map { "{\"onset_s\": \(n($0.onset)), \"duration_s\": \(n($0.duration)), \"text\": \(q($0.text))}" }.joined(separator: ", ")
        out += "], \"annotations_total\": \(recording.annotations.count), \"gaps\": ["
        out += recording.gaps.prefix(Info.annotationLimit).map { "{\"before_sample\": \($0.beforeSampleIndex), \"frames\": \($0.frames)}" }.joined(separator: ", ")
        out += "], \"gaps_total\": \(recording.gaps.count), \"problems\": ["
        return out + reader.problems.map { "{\"kind\": \(q("\($0.kind)")), \"offset\": \($0.offset ?? 0), \"text\": \(q($0.description))}" }.joined(separator: ", ") + "]}"
    }

    func lines(file: String) -> [String] {
        let t = TerminalText.safe
        var lines = ["\(t(file)): XDF, \(reader.streams.count) stream\(reader.streams.count == 1 ? "" : "s"); EEG from stream \(recording.stream.id) '\(t(recording.stream.info.name))': "
            + String(format: "%.1f s at %g Hz, %d gap%@", duration, recording.sampleRate, recording.gaps.count, recording.gaps.count == 1 ? "" : "s")]
        for s in reader.streams {
            lines.append("  stream \(s.id): '\(t(s.info.name))' (\(t(s.info.type))), \(s.info.channelCount) × \(s.info.channelFormat.rawValue) at "
                + (s.info.nominalRate > 0 ? String(format: "%g Hz", s.info.nominalRate) : "irregular rate") + ", \(s.sampleCount) samples, \(s.clockOffsets.count) clock offsets")
            let labels = s.info.channels.map { t($0.label) }.filter { !$0.isEmpty }
            if !labels.isEmpty { lines.append("    channels: " + labels.prefix(64).joined(separator: ", ") + (labels.count > 64 ? ", …" : "")) }
        }
        lines.append("  annotations (\(recording.annotations.count)):")
        for a in recording.annotations.prefix(50) {
            lines.append(String(format: "    %9.3f s  ", a.onset) + (a.duration.map { String(format: "(%.3f s) ", $0) } ?? "") + t(a.text))
        }
        if recording.annotations.count > 50 { lines.append("    … and \(recording.annotations.count - 50) more annotations (--json lists them)") }
        lines.append(reader.problems.isEmpty ? "  problems: none" : "  problems:")
        for problem in reader.problems { lines.append("    - " + t(problem.description)) }
        return lines
    }
}
