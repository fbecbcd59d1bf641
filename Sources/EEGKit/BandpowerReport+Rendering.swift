import Foundation

extension BandpowerReport {
    /// The JSON of `eeg bandpower`, keys in a fixed order:
    /// `{"sample_rate": …, "samples": …, "channels": [{"label": …, "band_power": {…},
    /// "relative_power": {…}}, …], "metrics": {"engagement": …, "theta_beta": …,
    /// "relaxation": …, "workload": …}}`, plus `"epochs": [{"start_s": …, "channels": […],
    /// "metrics": {…}}, …]` when epochs were asked for. Missing metrics are `null`.
    public func json() -> String {
        var out = "{\"sample_rate\": \(jsonNumber(sampleRate)), \"samples\": \(frames), "
        out += jsonBody(whole)
        if let epochs {
            out += ", \"epochs\": ["
            out += epochs.map { "{\"start_s\": \(jsonNumber($0.start)), " + jsonBody($0.summary) + "}" }.joined(separator: ", ")
            out += "]"
        }
        return out + "}"
    }

    private func jsonBody(_ summary: SpectralSummary) -> String {
        let names = bands.bands.map(\.name)
        func object(_ values: [Double]) -> String {
            "{" + zip(names, values).map { "\(jsonString($0)): \(jsonNumber($1))" }.joined(separator: ", ") + "}"
        }
        let channels = summary.channels.map {
            "{\"label\": \(jsonString($0.label)), \"band_power\": \(object($0.absolute)), \"relative_power\": \(object($0.relative))}"
        }
        let r = summary.ratios
        let metrics = "{\"engagement\": \(jsonNumber(r.engagement)), \"theta_beta\": \(jsonNumber(r.thetaBeta)), "
            + "\"relaxation\": \(jsonNumber(r.relaxation)), \"workload\": \(jsonNumber(r.workload))}"
        return "\"channels\": [" + channels.joined(separator: ", ") + "], \"metrics\": " + metrics
    }

    /// CSV with a header: `scope,start_s,channel,<band>…,<band>_relative…,engagement,
    /// theta_beta,relaxation,workload`; one row per channel for the whole input
    /// (`scope` = whole, empty `start_s`) and per epoch (`scope` = epoch).
    public func csv() -> String {
        let names = bands.bands.map(\.name)
        var lines = [(["scope", "start_s", "channel"] + names + names.map { "\($0)_relative" }
            + ["engagement", "theta_beta", "relaxation", "workload"]).joined(separator: ",")]
        func rows(_ scope: String, _ start: String, _ summary: SpectralSummary) {
            let r = summary.ratios
            let metrics = [r.engagement, r.thetaBeta, r.relaxation, r.workload].map { $0.map { "\($0)" } ?? "" }
            for channel in summary.channels {
                lines.append(([scope, start, csvField(channel.label)] + channel.absolute.map { "\($0)" }
                    + channel.relative.map { "\($0)" } + metrics).joined(separator: ","))
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
        let labelWidth = max(7, whole.channels.map(\.label.count).max() ?? 0)
        let columnWidth = 17
        out += "channel".padding(toLength: labelWidth, withPad: " ", startingAt: 0)
        for name in names { out += pad(name, columnWidth) }
        out += "\n"
        for channel in whole.channels {
            out += channel.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
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

func jsonNumber(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "null" }
    return "\(value)"
}

func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

private func format(_ value: Double?, _ digits: Int = 3) -> String {
    guard let value else { return "–" }
    return String(format: "%.\(digits)f", value)
}

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(1, width - text.count)) + text
}
