import Foundation

extension BandpowerReport {
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
        let r = summary.ratios
        let metrics = "{\"engagement\": \(JSONText.number(r.engagement)), \"theta_beta\": \(JSONText.number(r.thetaBeta)), "
            + "\"relaxation\": \(JSONText.number(r.relaxation)), \"workload\": \(JSONText.number(r.workload))}"
        return "\"channels\": [" + channels.joined(separator: ", ") + "], \"metrics\": " + metrics
    }

    /// CSV with a header: `scope,start_s,channel,<band>…,<band>_relative…,engagement,
    /// theta_beta,relaxation,workload`; one row per channel for the whole input
    /// (`scope` = whole, empty `start_s`) and per epoch (`scope` = epoch).
    public func csv() -> String {
        let names = bands.bands.map(\.name)
        var lines = [(["scope", "start_s", "channel"] + names.map(CSVText.cell) + names.map { CSVText.cell("\($0)_relative") }
            + ["engagement", "theta_beta", "relaxation", "workload"]).joined(separator: ",")]
        func rows(_ scope: String, _ start: String, _ summary: SpectralSummary) {
            let r = summary.ratios
            let metrics = [r.engagement, r.thetaBeta, r.relaxation, r.workload].map { CSVText.number($0) }
            for channel in summary.channels {
                lines.append(([scope, start, CSVText.cell(channel.label)] + channel.absolute.map { CSVText.number($0) }
                    + channel.relative.map { CSVText.number($0) } + metrics).joined(separator: ","))
            }
        }
        rows("whole", "", whole)
        for epoch in epochs ?? [] { rows("epoch", "\(epoch.start)", epoch.summary) }
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
        let r = whole.ratios
        out += "\nengagement β/(α+θ) \(format(r.engagement))   θ/β \(format(r.thetaBeta))   "
        out += "α/β \(format(r.relaxation))   workload θ/α \(format(r.workload))\n"
        if let epochs, !epochs.isEmpty {
            out += "\n" + "epoch start".padding(toLength: 13, withPad: " ", startingAt: 0)
            out += pad("engagement", 12) + pad("θ/β", 10) + pad("α/β", 10) + pad("θ/α", 10) + "\n"
            for epoch in epochs {
                let e = epoch.summary.ratios
                out += "\(format(epoch.start, 2)) s".padding(toLength: 13, withPad: " ", startingAt: 0)
                out += pad(format(e.engagement), 12) + pad(format(e.thetaBeta), 10) + pad(format(e.relaxation), 10) + pad(format(e.workload), 10) + "\n"
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
