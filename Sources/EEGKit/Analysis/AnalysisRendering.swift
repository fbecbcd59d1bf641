import Foundation

/// Output of `eeg analyze`.
public enum AnalysisFormat: String, Sendable, CaseIterable {
    case table, csv, jsonl, json
}

/// Turns analyses into text, one file at a time (so results stream out as files finish),
/// plus a closing part (the combined table, or the end of the JSON document).
public struct AnalysisRenderer: Sendable {
    public let format: AnalysisFormat

    public init(format: AnalysisFormat) { self.format = format }

    /// The metric table's rows analyze shows: all of them (it has calibration and a
    /// `--pair`), in table order; the narrow table shows the ``Metric/overview`` ones.
    static let metrics = Metric.available([.calibration, .channelPair])
    static let overview = metrics.filter(\.overview)

    /// The start of a file's output (`first`: nothing has been written before it;
    /// `previousLabels`: the channels of the file before, for CSV headers).
    public func begin(_ info: FileInfo, first: Bool, previousLabels: [String]?) -> String {
        switch format {
        case .table:
            return "\(TerminalText.safe(info.path)): \(minutes(info.duration)), \(info.labels.count) channels (\(TerminalText.safe(info.labels.joined(separator: " ")))) at \(fmt(info.sampleRate, 0)) Hz, \(info.epochCount) epochs\n"
                + pad("start", 9) + Self.overview.map { pad($0.symbol, $0.columnWidth(atLeast: 8)) }.joined() + "  status\n"
        case .csv:
            guard first || previousLabels != info.labels else { return "" }
            var columns = ["file", "epoch", "start_s", "status", "reasons"] + Self.metrics.map(\.key) + ["annotations"]
            for label in info.labels { columns += info.bands.bands.map { CSVText.cell("\(label)_\($0.name)") } + [CSVText.cell("\(label)_quality")] }
            return columns.joined(separator: ",") + "\n"
        case .jsonl:
            return ""
        case .json:
            return (first ? "{\"files\": [" : ", ") + "{\"file\": \(JSONText.string(info.path)), \"sample_rate\": \(JSONText.number(info.sampleRate)), \"duration_s\": \(JSONText.number(info.duration)), "
                + "\"channels\": [" + info.labels.map(JSONText.string).joined(separator: ", ") + "], \"epochs\": ["
        }
    }

    /// One epoch (`firstInFile` for JSON's commas).
    public func epoch(_ info: FileInfo, _ e: EpochResult, firstInFile: Bool) -> String {
        switch format {
        case .table:
            let values = e.metrics
            var out = pad(minutes(e.start), 9) + Self.overview.map { pad(fmt(values[$0], $0.digits), $0.columnWidth(atLeast: 8)) }.joined() + "  "
            out += e.rejected ? "rejected: " + TerminalText.safe(e.rejectionReasons.joined(separator: ", ")) : "ok"
            if !e.annotations.isEmpty { out += "  [" + TerminalText.safe(e.annotations.map(\.text).joined(separator: "; ")) + "]" }
            return out + "\n"
        case .csv:
            return csvEpoch(info, e)
        case .jsonl:
            return "{\"file\": \(JSONText.string(info.path)), " + epochJSON(info.bands, e).dropFirst() + "\n"
        case .json:
            return (firstInFile ? "" : ", ") + epochJSON(info.bands, e)
        }
    }

    /// An epoch's CSV row: file, epoch, start, status, reasons, the metrics, annotations,
    /// then each channel's band powers and quality word. Written into one string as it
    /// goes — no array of cells, no per-number string — as it is the hot part of a
    /// one-shot analyze (900 rows of 62 cells for 1 h; the array-and-join version cost
    /// ~55 M instructions more, callgrind).
    private func csvEpoch(_ info: FileInfo, _ e: EpochResult) -> String {
        var row = CSVText.cell(info.path)
        row.reserveCapacity(row.utf8.count + 64 + 24 * (Self.metrics.count + 6 * e.channels.count))
        row += ","
        row += String(e.index)
        row += ","
        CSVText.appendNumber(e.start, to: &row)
        row += e.rejected ? ",rejected," : ",ok,"
        row += CSVText.cell(e.rejectionReasons.joined(separator: "; "))
        let values = e.metrics
        for metric in Self.metrics {
            row += ","
            CSVText.appendNumber(values[metric], to: &row)
        }
        row += ","
        row += CSVText.cell(e.annotations.map(\.text).joined(separator: "; "))
        for c in e.channels {
            for power in c.absolute {
                row += ","
                CSVText.appendNumber(power, to: &row)
            }
            row += ","
            row += StreamLineFormatter.qualityWord(c.quality)
        }
        row += "\n"
        return row
    }

    /// The end of a file's output: its summary.
    public func end(_ a: FileAnalysis) -> String {
        switch format {
        case .table:
            let s = a.summary
            let means = Dictionary(s.means, uniquingKeysWith: { x, _ in x }), medians = Dictionary(s.medians, uniquingKeysWith: { x, _ in x })
            var out = String(format: "summary: %d of %d epochs good (%.0f%%)\n", s.goodEpochs, s.epochs, s.percentGood)
            for name in Self.metrics.map(\.key) where (means[name] ?? nil) != nil {
                out += "  " + name.padding(toLength: 17, withPad: " ", startingAt: 0) + "mean " + fmt(means[name] ?? nil) + "   median " + fmt(medians[name] ?? nil) + "\n"
            }
            if !s.attentionPerMinute.isEmpty { out += "  attention by minute: " + s.attentionPerMinute.map { fmt($0, 0) }.joined(separator: " ") + "\n" }
            return out + "\n"
        case .csv:
            return ""
        case .jsonl:
            return "{\"file\": \(JSONText.string(a.path)), \"summary\": \(summaryJSON(a))}\n"
        case .json:
            return "], \"summary\": \(summaryJSON(a))}"
        }
    }

    /// A file that could not be analysed, in the same stream.
    public func renderFailure(path: String, message: String, first: Bool) -> String? {
        switch format {
        case .json: return (first ? "{\"files\": [" : ", ") + "{\"file\": \(JSONText.string(path)), \"error\": \(JSONText.string(message))}"
        case .jsonl: return "{\"file\": \(JSONText.string(path)), \"error\": \(JSONText.string(message))}\n"
        case .table, .csv: return nil  // reported on standard error
        }
    }

    /// The closing part: the combined table across files, or the JSON document's end.
    public func finish(_ all: [FileAnalysis], anyFile: Bool) -> String {
        switch format {
        case .table:
            guard all.count > 1 else { return "" }
            var out = "\nAll files\n"
            out += pad("file", 30, left: true) + pad("duration", 10) + pad("epochs", 8) + pad("good", 7)
            out += Self.overview.map { pad($0.symbol, $0.columnWidth(atLeast: 8)) }.joined() + "\n"
            for a in all {
                let m = Dictionary(a.summary.means, uniquingKeysWith: { x, _ in x })
                out += pad(TerminalText.safe(URL(fileURLWithPath: a.path).lastPathComponent), 30, left: true) + pad(minutes(a.duration), 10)
                out += pad("\(a.summary.epochs)", 8) + pad(String(format: "%.0f%%", a.summary.percentGood), 7)
                out += Self.overview.map { pad(fmt(m[$0.key] ?? nil, $0.digits), $0.columnWidth(atLeast: 8)) }.joined() + "\n"
            }
            return out
        case .json:
            var out = anyFile ? "]" : "{\"files\": ["  + "]"
            out += ", \"combined\": [" + all.map { a in
                "{\"file\": \(JSONText.string(a.path)), \"duration_s\": \(JSONText.number(a.duration)), \"epochs\": \(a.summary.epochs), \"good_epochs\": \(a.summary.goodEpochs), \"means\": \(pairs(a.summary.means))}"
            }.joined(separator: ", ") + "]}\n"
            return out
        case .csv, .jsonl:
            return ""
        }
    }

    // MARK: JSON pieces

    private func epochJSON(_ bands: BandSet, _ e: EpochResult) -> String {
        let names = bands.bands.map(\.name)
        var out = "{\"epoch\": \(e.index), \"start_s\": \(JSONText.number(e.start)), \"rejected\": \(e.rejected), \"reasons\": [" + e.rejectionReasons.map(JSONText.string).joined(separator: ", ") + "], "
        let values = e.metrics
        out += Self.metrics.map { "\"\($0.key)\": \(NumberStyle.exact.json(values[$0]))" }.joined(separator: ", ")
        out += ", \"annotations\": [" + e.annotations.map { "{\"onset_s\": \(JSONText.number($0.onset)), \"text\": \(JSONText.string($0.text))}" }.joined(separator: ", ") + "]"
        out += ", \"channels\": [" + e.channels.map { c in
            "{\"label\": \(JSONText.string(c.label)), \"band_power\": {" + zip(names, c.absolute).map { "\(JSONText.string($0)): \(JSONText.number($1))" }.joined(separator: ", ")
                + "}, \"relative_power\": {" + zip(names, c.relative).map { "\(JSONText.string($0)): \(JSONText.number($1))" }.joined(separator: ", ")
                + "}, \"quality\": \"\(StreamLineFormatter.qualityWord(c.quality))\", \"rms\": \(JSONText.number(c.quality.rms)), \"artifact_fraction\": \(JSONText.number(c.quality.artifactFraction))"
                + ", \"line_noise_ratio\": \(JSONText.number(c.quality.lineNoiseRatio))}"
        }.joined(separator: ", ") + "]}"
        return out
    }

    private func summaryJSON(_ a: FileAnalysis) -> String {
        let s = a.summary
        var out = "{\"epochs\": \(s.epochs), \"good_epochs\": \(s.goodEpochs), \"percent_good\": \(JSONText.number(s.percentGood)), "
        out += "\"means\": \(pairs(s.means)), \"medians\": \(pairs(s.medians)), "
        out += "\"band_power\": {" + s.bandPowers.map { bp in "\(JSONText.string(bp.label)): {" + zip(a.bands.bands.map(\.name), bp.values).map { "\(JSONText.string($0)): \(JSONText.number($1))" }.joined(separator: ", ") + "}" }.joined(separator: ", ") + "}, "
        out += "\"attention_per_minute\": [" + s.attentionPerMinute.map { JSONText.number($0) }.joined(separator: ", ") + "]}"
        return out
    }

    private func pairs(_ values: [(String, Double?)]) -> String {
        "{" + values.map { "\(JSONText.string($0.0)): \(JSONText.number($0.1))" }.joined(separator: ", ") + "}"
    }
}

private func fmt(_ v: Double?, _ digits: Int = 3) -> String {
    guard let v, v.isFinite else { return "–" }
    return String(format: "%.\(digits)f", v)
}

private func minutes(_ seconds: Double) -> String {
    let t = displaySeconds(seconds)
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
}

private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let n = max(0, width - text.count)
    return left ? text + String(repeating: " ", count: n) : String(repeating: " ", count: n) + text
}
