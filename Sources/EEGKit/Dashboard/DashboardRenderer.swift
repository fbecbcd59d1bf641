import Foundation

/// Draws the dashboard into a screen of `width` × `height` cells: exactly `height` lines,
/// each exactly `width` columns wide (colour codes do not count), so a redraw overwrites
/// the previous frame in place without clearing (no flicker). Narrow or short terminals
/// get fewer details, never a broken layout.
public struct DashboardRenderer: Sendable {
    /// The metric table's scores, one gauge each, and its overview ratios, on one line.
    static let gauges = Metric.all.filter { $0.requirement == .calibration }
    static let ratios = Metric.all.filter { $0.requirement == .bands && $0.overview }

    public let width: Int
    public let height: Int
    public let color: Bool

    public init(width: Int, height: Int, color: Bool) {
        self.width = max(width, 20)
        self.height = max(height, 6)
        self.color = color
    }

    static let bars = Array("▁▂▃▄▅▆▇█")

    public func render(_ s: DashboardState) -> [String] {
        var lines: [Line] = []
        // Title bar.
        let state = s.deviceState == .streaming ? style("● streaming", .green) : style("○ \(s.deviceState.rawValue)", .red)
        var right = String(format: "%@ %.0f/%.0f Hz  lost %d", clock(s.time), s.achievedRate, s.nominalRate, s.dropped)
        if s.frozen { right = "FROZEN  " + right }
        lines.append(Line.join(left: [.plain(" EEGKit  "), .styled(state), .plain("  " + TerminalText.safe(s.deviceName))], right: [.plain(right + " ")], width: width, fill: " "))
        lines.append(.rule(width))

        // Scores.
        let gaugeWidth = max(10, min(40, width - 34))
        // One gauge per score of the metric table; a short screen keeps the first only.
        let colors: [Color] = [.cyan, .green, .yellow, .red]
        for (i, metric) in Self.gauges.enumerated() where i == 0 || height >= 12 {
            let name = metric.symbol.padding(toLength: max(10, metric.symbol.count), withPad: " ", startingAt: 0)
            lines.append(scoreLine(name, s.metrics[metric], calibration: s.calibration, gaugeWidth: gaugeWidth, color: colors[i % colors.count]))
        }
        // Trend.
        let sparkWidth = max(10, width - 26)  // after the 25-column caption, one spare column
        lines.append(Line([.plain(" attention, last minute  "), .plain(sparkline(s.attentionHistory, width: sparkWidth))]).padded(to: width))
        lines.append(Line([.plain(" " + Self.ratios.map { "\($0.symbol) \(num(s.metrics[$0]))" }.joined(separator: "   "))]).padded(to: width))
        lines.append(.rule(width))

        // Channels: as many as fit above the footer.
        let footerLines = 2
        let available = height - lines.count - footerLines - 1
        let header = " ch     quality      RMS µV  " + s.bandNames.map { String(TerminalText.safe($0).prefix(5)).padding(toLength: 6, withPad: " ", startingAt: 0) }.joined()
        if available >= 2 {
            lines.append(Line([.plain(header)]).padded(to: width))
            let shown = min(s.channels.count, available - 1 - (s.channels.count > available - 1 ? 1 : 0))
            for c in s.channels.prefix(max(shown, 0)) { lines.append(channelLine(c)) }
            if shown < s.channels.count { lines.append(Line([.plain(" … \(s.channels.count - shown) more channels (enlarge the terminal)")]).padded(to: width)) }
        }
        while lines.count < height - footerLines { lines.append(Line([]).padded(to: width)) }

        // Footer: recording state, keys.
        let recording: [Segment] = s.recordingPath.map { [.styled(style("⏺ REC", .red)), .plain(" \(TerminalText.safe($0)) \(bytes(s.recordingBytes))  markers \(s.markers)")] }
            ?? [.plain("not recording  markers \(s.markers)")]
        lines.append(Line.join(left: [.plain(" ")] + recording, right: [.plain(TerminalText.safe(s.message ?? "") + " ")], width: width, fill: " "))
        lines.append(Line([.plain(" m marker   r record on/off   space freeze   q quit")]).padded(to: width))
        return lines.prefix(height).map { $0.render(color: color) }
    }

    private func scoreLine(_ name: String, _ value: Double?, calibration: Double, gaugeWidth: Int, color: Color) -> Line {
        var segments: [Segment] = [.plain(" \(name)  ")]
        if let value {
            let filled = clampedInt((value / 100 * Double(gaugeWidth)).rounded(), 0...gaugeWidth)
            segments.append(.styled(style(String(repeating: "█", count: filled), color)))
            segments.append(.plain(String(repeating: "░", count: gaugeWidth - filled)))
            segments.append(.plain(String(format: " %3.0f / 100", value)))
        } else {
            let done = clampedInt((calibration * Double(gaugeWidth)).rounded(), 0...gaugeWidth)
            segments.append(.plain(String(repeating: "·", count: done) + String(repeating: " ", count: gaugeWidth - done)))
            segments.append(.plain(String(format: " calibrating %3.0f%%", calibration * 100)))
        }
        return Line(segments).padded(to: width)
    }

    private func channelLine(_ c: DashboardState.Channel) -> Line {
        let mark: Segment = c.quality == "good" ? .styled(style("●", .green)) : .styled(style("●", .red))
        var segments: [Segment] = [.plain(" " + TerminalText.safe(c.label).prefix(6).padding(toLength: 6, withPad: " ", startingAt: 0) + " "), mark,
                                   .plain(" " + c.quality.padding(toLength: 10, withPad: " ", startingAt: 0)), .plain(String(format: "%7.1f  ", c.rms))]
        for value in c.relative {
            // One bar per band, 5 cells: the band's share of the total.
            let eighths = clampedInt((value * 40).rounded(), 0...40)
            let full = min(eighths / 8, 5)
            var bar = String(repeating: "█", count: full)
            if full < 5, eighths % 8 > 0 { bar.append(Self.bars[eighths % 8 - 1]) }
            segments.append(.plain(bar.padding(toLength: 6, withPad: " ", startingAt: 0)))
        }
        return Line(segments).padded(to: width)
    }

    /// One character per value (resampled to `width`), ▁…█ for 0…100, space when unavailable.
    public func sparkline(_ values: [Double?], width: Int) -> String {
        guard !values.isEmpty else { return String(repeating: " ", count: width) }
        var out = ""
        for i in 0..<width {
            let index = values.count <= width ? i - (width - values.count) : i * values.count / width
            guard index >= 0, let v = values[index] else { out.append(" "); continue }
            out.append(Self.bars[min(7, max(0, clampedInt(v / 100 * 7.999, 0...7)))])
        }
        return out
    }

    enum Color: String { case red = "31", green = "32", yellow = "33", cyan = "36" }

    private func style(_ text: String, _ c: Color) -> StyledText { StyledText(text: text, code: c.rawValue) }

    private func num(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "  –  " }

    private func clock(_ t: Double) -> String {
        let s = displaySeconds(t)
        return String(format: "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    private func bytes(_ n: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(n), countStyle: .file) }
}

/// Text with an ANSI colour, dropped when colour is off (NO_COLOR).
struct StyledText: Sendable { let text: String; let code: String }

enum Segment: Sendable {
    case plain(String)
    case styled(StyledText)

    var text: String {
        switch self {
        case .plain(let t): return t
        case .styled(let s): return s.text
        }
    }
}

/// A line of segments, laid out to an exact display width.
struct Line: Sendable {
    var segments: [Segment]
    init(_ segments: [Segment]) { self.segments = segments }

    var width: Int { segments.reduce(0) { $0 + $1.text.count } }

    static func rule(_ width: Int) -> Line { Line([.plain(String(repeating: "─", count: width))]) }

    /// Pads with spaces or cuts, to exactly `width` columns.
    func padded(to width: Int) -> Line {
        var out: [Segment] = []
        var used = 0
        for segment in segments {
            let room = width - used
            guard room > 0 else { break }
            let text = segment.text
            if text.count <= room {
                out.append(segment)
                used += text.count
            } else {
                let cut = String(text.prefix(room))
                switch segment {
                case .plain: out.append(.plain(cut))
                case .styled(let s): out.append(.styled(StyledText(text: cut, code: s.code)))
                }
                used = width
            }
        }
        if used < width { out.append(.plain(String(repeating: " ", count: width - used))) }
        return Line(out)
    }

    /// Left and right parts with fill between; when they do not fit, the left part is
    /// cut (with …) so the right part — status, numbers — stays whole.
    static func join(left: [Segment], right: [Segment], width: Int, fill: Character) -> Line {
        let l = Line(left), r = Line(right)
        let gap = width - l.width - r.width
        if gap >= 1 { return Line(left + [.plain(String(repeating: fill, count: gap))] + right) }
        guard r.width + 2 <= width else { return r.padded(to: width) }
        var cut = l.padded(to: width - r.width - 2)
        cut.segments.append(.plain("… "))
        return Line(cut.segments + right)
    }

    func render(color: Bool) -> String {
        segments.map { segment in
            switch segment {
            case .plain(let t): return t
            case .styled(let s): return color ? "\u{1B}[\(s.code)m\(s.text)\u{1B}[0m" : s.text
            }
        }.joined()
    }
}
