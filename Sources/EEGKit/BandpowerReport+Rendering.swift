import Foundation

extension BandpowerReport {
    /// The metric table's rows bandpower shows: those that need band powers alone (it has
    /// no calibration and no channel pair), in table order.
    public static let metrics = Metric.available([])

    /// The JSON of `eeg bandpower`, keys in a fixed order:
    /// `{"sample_rate": …, "samples": …, "channels": [{"label": …, "band_power": {…},
    /// "relative_power": {…}}, …], "metrics": {"engagement": …, "theta_beta": …,
    /// "relaxation": …, "workload": …}}`, plus `"epochs": [{"start_s": …, "channels": […],
    /// "metrics": {…}}, …]` when epochs were asked for. Missing metrics are `null`.
    public func json() -> String {
        var out = "{\"sample_rate\": \(JSONText.number(sampleRate)), \"samples\": \(frames), "
        out += jsonBody(whole)
        if let epochs {
            out += ", \"epochs\": ["
            out += epochs.map { "{\"start_s\": \(JSONText.number($0.start)), " + jsonBody($0.summary) + "}" }.joined(separator: ", ")
            out += "]"
        }
        return out + "}"
    }

    private func jsonBody(_ summary: SpectralSummary) -> String {
        let names = bands.bands.map(\.name)
        func object(_ values: [Double]) -> String {
            "{" + zip(names, values).map { "\(JSONText.string($0)): \(JSONText.number($1))" }.joined(separator: ", ") + "}"
        }
        let channels = summary.channels.map {
            "{\"label\": \(JSONText.string($0.label)), \"band_power\": \(object($0.absolute)), \"relative_power\": \(object($0.relative))}"
        }
        let values = MetricValues(ratios: summary.ratios)
        let metrics = "{" + Self.metrics.map { "\"\($0.key)\": \(NumberStyle.exact.json(values[$0]))" }.joined(separator: ", ") + "}"
        return "\"channels\": [" + channels.joined(separator: ", ") + "], \"metrics\": " + metrics
    }

    /// CSV with a header: `scope,start_s,channel,<band>…,<band>_relative…,engagement,
    /// theta_beta,relaxation,workload`; one row per channel for the whole input
    /// (`scope` = whole, empty `start_s`) and per epoch (`scope` = epoch).
    public func csv() -> String {
        let names = bands.bands.map(\.name)
        var lines = [(["scope", "start_s", "channel"] + names.map(CSVText.cell) + names.map { CSVText.cell("\($0)_relative") }
            + Self.metrics.map(\.key)).joined(separator: ",")]
        func rows(_ scope: String, _ start: String, _ summary: SpectralSummary) {
            let values = MetricValues(ratios: summary.ratios)
            let metrics = Self.metrics.map { NumberStyle.exact.csv(values[$0]) }
            for channel in summary.channels {
                lines.append(([scope, start, CSVText.cell(channel.label)] + channel.absolute.map { CSVText.number($0) }
                    + channel.relative.map { CSVText.number($0) } + metrics).joined(separator: ","))
            }
        }
        rows("whole", "", whole)
        for epoch in epochs ?? [] { rows("epoch", NumberStyle.exact.csv(epoch.start), epoch.summary) }
        return lines.joined(separator: "\n")
    }

    /// A human-readable table of the whole-input result (and a line per epoch).
    public func table() -> String {
        let names = bands.bands.map(\.name)
        let seconds = Double(frames) / sampleRate
        var out = "\(frames) samples per channel at \(format(sampleRate, 1)) Hz (\(format(seconds, 1)) s); band power in µV² (relative %)\n\n"
        let shownLabels = whole.channels.map { TerminalText.safe($0.label) }
        let labelWidth = max(7, shownLabels.map(\.count).max() ?? 0)
        let columnWidth = 17
        out += "channel".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
        for name in names { out += pad(TerminalText.safe(name), columnWidth) }
        out += "\n"
        for (channel, label) in zip(whole.channels, shownLabels) {
            out += label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            for (a, r) in zip(channel.absolute, channel.relative) {
                out += pad("\(format(a, a >= 100 ? 1 : 3)) (\(format(100 * r, 1))%)", columnWidth)
            }
            out += "\n"
        }
        let whole = MetricValues(ratios: self.whole.ratios)
        out += "\n" + Self.metrics.map { "\($0.name) \(format(whole[$0], $0.digits))" }.joined(separator: "   ") + "\n"
        if let epochs, !epochs.isEmpty {
            out += "\n" + "epoch start".padding(toLength: 13, withPad: " ", startingAt: 0)
            out += Self.metrics.map { pad($0.symbol, $0.columnWidth(atLeast: 10)) }.joined() + "\n"
            for epoch in epochs {
                let e = MetricValues(ratios: epoch.summary.ratios)
                out += "\(format(epoch.start, 2)) s".padding(toLength: 13, withPad: " ", startingAt: 0)
                out += Self.metrics.map { pad(format(e[$0], $0.digits), $0.columnWidth(atLeast: 10)) }.joined() + "\n"
            }
        }
        return out
    }
}

private func format(_ value: Double?, _ digits: Int = 3) -> String {
    guard let value else { return "–" }
    return String(format: "%.\(digits)f", value)
}

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(1, width - text.count)) + text
}
