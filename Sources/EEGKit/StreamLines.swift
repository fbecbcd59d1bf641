import Foundation

/// What `eeg stream` and `eeg replay` write per line.
public enum StreamEmit: String, Sendable, CaseIterable {
    /// One line per frame: the device sample index and every channel in µV.
    case samples
    /// One line per analyzer update (every hop): ratios, scores, band powers, quality.
    case metrics
    /// Nothing on standard output (`eeg record` shows progress instead).
    case none
}

public enum StreamFormat: String, Sendable, CaseIterable {
    case jsonl, csv
}

/// Formats stream output lines. Deterministic: the same frames give the same bytes,
/// which is what lets a replay reproduce a live session's metrics exactly.
public struct StreamLineFormatter: Sendable {
    public let labels: [String]
    public let bands: BandSet
    public let format: StreamFormat

    public init(labels: [String], bands: BandSet, format: StreamFormat) {
        self.labels = labels
        self.bands = bands
        self.format = format
    }

    /// The CSV header for `emit` (nil for JSONL).
    public func header(for emit: StreamEmit) -> String? {
        guard format == .csv else { return nil }
        switch emit {
        case .samples:
            return (["sample"] + labels.map(CSVText.cell)).joined(separator: ",")
        case .none:
            return nil
        case .metrics:
            var columns = ["time_s", "sample", "engagement", "theta_beta", "relaxation", "workload",
                           "attention", "relaxation_score", "workload_score", "calibration", "dropped"]
            for label in labels {
                columns += bands.bands.map { CSVText.cell("\(label)_\($0.name)") }
                columns += [CSVText.cell("\(label)_rms"), CSVText.cell("\(label)_quality")]
            }
            return columns.joined(separator: ",")
        }
    }

    /// One frame: `{"sample": 12, "Fp1": -3.25, ...}` or `12,-3.25,...`.
    public func sampleLine(index: Int64, samples: UnsafeBufferPointer<Float>) -> String {
        switch format {
        case .csv:
            return "\(index)," + samples.map { CSVText.number($0) }.joined(separator: ",")
        case .jsonl:
            var line = "{\"sample\": \(index)"
            for (label, value) in zip(labels, samples) { line += ", \(JSONText.string(label)): \(JSONText.number(value))" }
            return line + "}"
        }
    }

    /// A gap line (JSONL only): `{"gap": 5, "before_sample": 123}`.
    public func gapLine(frames: Int, beforeSampleIndex: Int64) -> String? {
        format == .jsonl ? "{\"gap\": \(frames), \"before_sample\": \(beforeSampleIndex)}" : nil
    }

    /// One analyzer update. Ratios and scores are the smoothed ones a user watches;
    /// numbers have 6 significant digits.
    public func metricsLine(_ u: LiveAnalysis) -> String {
        let r = u.smoothedRatios, s = u.scores
        switch format {
        case .csv:
            var fields = [csvNumber(u.time), "\(u.sampleIndex)", csvNumber(r.engagement), csvNumber(r.thetaBeta), csvNumber(r.relaxation),
                          csvNumber(r.workload), csvNumber(s.attention), csvNumber(s.relaxation), csvNumber(s.workload),
                          csvNumber(u.calibrationProgress), "\(u.droppedFrames)"]
            for c in 0..<u.channelCount {
                for b in 0..<u.bandCount { fields.append(csvNumber(u.bandPower(channel: c, band: b))) }
                fields += [csvNumber(u.quality[c].rms), Self.qualityWord(u.quality[c])]
            }
            return CSVText.row(fields)
        case .jsonl:
            var line = "{\"time_s\": \(number(u.time)), \"sample\": \(u.sampleIndex), "
            line += "\"engagement\": \(number(r.engagement)), \"theta_beta\": \(number(r.thetaBeta)), "
            line += "\"relaxation\": \(number(r.relaxation)), \"workload\": \(number(r.workload)), "
            line += "\"attention\": \(number(s.attention)), \"relaxation_score\": \(number(s.relaxation)), "
            line += "\"workload_score\": \(number(s.workload)), \"calibration\": \(number(u.calibrationProgress)), "
            line += "\"dropped\": \(u.droppedFrames), \"channels\": ["
            line += (0..<u.channelCount).map { c in
                let powers = bands.bands.enumerated().map { "\(JSONText.string($0.element.name)): \(number(u.bandPower(channel: c, band: $0.offset)))" }
                return "{\"label\": \(JSONText.string(labels[c])), \"band_power\": {\(powers.joined(separator: ", "))}, "
                    + "\"rms\": \(number(u.quality[c].rms)), \"quality\": \"\(Self.qualityWord(u.quality[c]))\"}"
            }.joined(separator: ", ")
            return line + "]}"
        }
    }

    /// The most serious problem, or "good".
    public static func qualityWord(_ q: SignalQuality) -> String {
        if q.isFlat { return "flat" }
        if q.isRailed { return "railed" }
        if q.hasArtifacts { return "artifact" }
        if q.hasLineNoise { return "line-noise" }
        return "good"
    }

    /// Metrics have 6 significant digits; a missing value is `null` in JSON, empty in CSV.
    private func number(_ value: Double?) -> String { JSONText.number(value, significantDigits: 6) }

    private func csvNumber(_ value: Double?) -> String { CSVText.number(value, significantDigits: 6) }
}
