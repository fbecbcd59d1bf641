import EEGCore
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

/// A sample's times on LSL's clock (seconds, `local_clock()`): its de-jittered
/// timestamp (the one `--lsl` publishes) and when the batch holding it reached the session.
public struct SampleTimes: Sendable, Equatable {
    public var timestamp: Double
    public var arrival: Double
    public init(timestamp: Double, arrival: Double) {
        self.timestamp = timestamp
        self.arrival = arrival
    }
}

/// Formats stream output lines. Deterministic: the same frames give the same bytes,
/// which is what lets a replay reproduce a live session's metrics exactly.
public struct StreamLineFormatter: Sendable {
    /// The stream whose lines this formats.
    public let layout: StreamLayout
    /// The channel labels, in frame order, from ``layout``.
    public var labels: [String] { layout.labels }
    public let bands: BandSet
    public let format: StreamFormat
    /// The metric table's rows a live line shows: every metric that needs band powers or
    /// a calibration, and the asymmetry when a `--pair` was given, in table order.
    public let metrics: [Metric]
    /// The rows without a `--pair` (the default line).
    public static let metrics = Metric.available([.calibration])
    /// Sample lines carry each sample's `timestamp` and its batch's `arrival` after the
    /// sample index (``StreamOptions/sampleTimes``).
    public let sampleTimes: Bool

    /// A formatter for lines of `layout`'s channels; `hasChannelPair` adds the asymmetry
    /// (a `--pair` was given); `sampleTimes` adds the two time columns to sample lines.
    public init(layout: StreamLayout, bands: BandSet, format: StreamFormat, hasChannelPair: Bool = false, sampleTimes: Bool = false) {
        self.layout = layout
        self.bands = bands
        self.format = format
        self.sampleTimes = sampleTimes
        metrics = hasChannelPair ? Metric.available([.calibration, .channelPair]) : Self.metrics
    }

    /// The CSV header for `emit` (nil for JSONL).
    public func header(for emit: StreamEmit) -> String? {
        guard format == .csv else { return nil }
        switch emit {
        case .samples:
            return (["sample"] + (sampleTimes ? ["timestamp", "arrival"] : []) + labels.map(CSVText.cell) + auxiliaryKeys.map(CSVText.cell)).joined(separator: ",")
        case .none:
            return nil
        case .metrics:
            var columns = ["time_s", "sample"] + metrics.map(\.key) + ["calibration", "dropped"]
            for label in labels {
                columns += bands.bands.map { CSVText.cell("\(label)_\($0.name)") }
                columns += [CSVText.cell("\(label)_rms"), CSVText.cell("\(label)_quality")]
            }
            return columns.joined(separator: ",")
        }
    }

    /// The keys of the aux values after the channels in sample lines: each aux signal's
    /// label and unit (`accel_x_g`), so a line says what its numbers are in.
    public var auxiliaryKeys: [String] { layout.auxiliary.map { "\($0.label)_\($0.unit)" } }

    /// One frame: `{"sample": 12, "Fp1": -3.25, ..., "accel_x_g": 0.002}` or
    /// `12,-3.25,...`; `auxiliary` holds the layout's aux values (or nothing). With
    /// ``sampleTimes``, `times` (LSL clock seconds) follow the index, printed as the
    /// shortest text that reads back as the same Double (what an LSL inlet receives).
    public func sampleLine(index: Int64, samples: UnsafeBufferPointer<Float>, auxiliary: UnsafeBufferPointer<Float> = .init(start: nil, count: 0),
                           times: SampleTimes? = nil) -> String {
        let times = sampleTimes ? times : nil
        switch format {
        case .csv:
            let timeCells = times.map { "\($0.timestamp),\($0.arrival)," } ?? ""
            return "\(index)," + timeCells + (Array(samples) + Array(auxiliary)).map { CSVText.number($0) }.joined(separator: ",")
        case .jsonl:
            var line = "{\"sample\": \(index)"
            if let times { line += ", \"timestamp\": \(times.timestamp), \"arrival\": \(times.arrival)" }
            for (label, value) in zip(labels, samples) { line += ", \(JSONText.string(label)): \(JSONText.number(value))" }
            if !auxiliary.isEmpty {
                for (key, value) in zip(auxiliaryKeys, auxiliary) { line += ", \(JSONText.string(key)): \(JSONText.number(value))" }
            }
            return line + "}"
        }
    }

    /// A gap line (JSONL only): `{"gap": 5, "before_sample": 123}`.
    public func gapLine(frames: Int, beforeSampleIndex: Int64) -> String? {
        format == .jsonl ? "{\"gap\": \(frames), \"before_sample\": \(beforeSampleIndex)}" : nil
    }

    /// One analyzer update: the metrics of the table as a user watches them (ratios and
    /// scores smoothed), then per channel band powers, RMS and quality; numbers have 6
    /// significant digits (``NumberStyle/live``).
    public func metricsLine(_ u: LiveAnalysis) -> String {
        let shown = u.shownMetrics
        let style = NumberStyle.live
        switch format {
        case .csv:
            var fields = [style.csv(u.time), "\(u.sampleIndex)"] + metrics.map { style.csv(shown[$0]) }
            fields += [style.csv(u.calibrationProgress), "\(u.droppedFrames)"]
            for c in 0..<u.channelCount {
                for b in 0..<u.bandCount { fields.append(style.csv(u.bandPower(channel: c, band: b))) }
                fields += [style.csv(u.quality[c].rms), Self.qualityWord(u.quality[c])]
            }
            return CSVText.row(fields)
        case .jsonl:
            var line = "{\"time_s\": \(style.json(u.time)), \"sample\": \(u.sampleIndex), "
            line += metrics.map { "\"\($0.key)\": \(style.json(shown[$0])), " }.joined()
            line += "\"calibration\": \(style.json(u.calibrationProgress)), "
            line += "\"dropped\": \(u.droppedFrames), \"channels\": ["
            line += (0..<u.channelCount).map { c in
                let powers = bands.bands.enumerated().map { "\(JSONText.string($0.element.name)): \(style.json(u.bandPower(channel: c, band: $0.offset)))" }
                return "{\"label\": \(JSONText.string(labels[c])), \"band_power\": {\(powers.joined(separator: ", "))}, "
                    + "\"rms\": \(style.json(u.quality[c].rms)), \"quality\": \"\(Self.qualityWord(u.quality[c]))\"}"
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
}
