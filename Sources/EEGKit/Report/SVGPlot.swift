import Foundation

/// Minimal SVG charts for the HTML report: axes with ticks and units, line series with a
/// legend, shaded spans, annotations by kind and a heatmap. Everything is inline SVG text;
/// nothing is loaded from anywhere.
struct SVGPlot {
    var width = 860.0
    var height = 260.0
    var margin = (left: 64.0, right: 150.0, top: 28.0, bottom: 44.0)
    var title: String
    var xLabel: String
    var yLabel: String
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    var logY = false
    var kind: String  // data-plot attribute, for tests and styling

    private var body: [String] = []
    private var legend: [(String, String)] = []
    private var annotationLegend = ""

    init(kind: String, title: String, xLabel: String, yLabel: String, x: ClosedRange<Double>, y: ClosedRange<Double>, logY: Bool = false, height: Double = 260) {
        self.kind = kind
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logY = logY
        self.height = height
        xRange = x.lowerBound < x.upperBound ? x : x.lowerBound...(x.lowerBound + 1)
        if logY {
            let lo = max(y.lowerBound, 1e-12)
            yRange = log10(lo)...max(log10(max(y.upperBound, lo * 10)), log10(lo) + 1)
        } else {
            yRange = y.lowerBound < y.upperBound ? y : y.lowerBound...(y.lowerBound + 1)
        }
    }

    var plotWidth: Double { width - margin.left - margin.right }
    var plotHeight: Double { height - margin.top - margin.bottom }

    func px(_ x: Double) -> Double { margin.left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth }
    func py(_ y: Double) -> Double {
        let v = logY ? log10(max(y, 1e-12)) : y
        let clamped = min(max(v, yRange.lowerBound), yRange.upperBound)
        return margin.top + (1 - (clamped - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * plotHeight
    }

    mutating func line(_ points: [(Double, Double?)], color: String, name: String, width: Double = 1.6, dashed: Bool = false) {
        var segments: [String] = []
        var current: [(Double, Double)] = []
        func close() {
            if current.count > 1 { segments.append(current.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")) }
            // A value with no neighbour (missing on both sides) is a dot, not lost.
            if current.count == 1 { body.append("<circle class=\"point\" data-series=\"\(HTMLText.escape(name))\" cx=\"\(f(current[0].0))\" cy=\"\(f(current[0].1))\" r=\"2.2\" fill=\"\(color)\"/>") }
            current = []
        }
        for (x, y) in points {
            guard let y, y.isFinite, !(logY && y <= 0) else { close(); continue }
            current.append((px(x), py(y)))
        }
        close()
        for s in segments {
            body.append("<polyline class=\"series\" data-series=\"\(HTMLText.escape(name))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\"\(dashed ? " stroke-dasharray=\"5 3\"" : "") points=\"\(s)\"/>")
        }
        legend.append((name, color))
    }

    mutating func span(from x0: Double, to x1: Double, color: String, opacity: Double, label: String? = nil) {
        let a = px(max(x0, xRange.lowerBound)), b = px(min(x1, xRange.upperBound))
        guard b > a else { return }
        body.append("<rect class=\"span\" x=\"\(f(a))\" y=\"\(f(margin.top))\" width=\"\(f(b - a))\" height=\"\(f(plotHeight))\" fill=\"\(color)\" fill-opacity=\"\(opacity)\">\(label.map { "<title>\(HTMLText.escape($0))</title>" } ?? "")</rect>")
        if let label {
            body.append("<text class=\"span-label\" x=\"\(f((a + b) / 2))\" y=\"\(f(margin.top + 12))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(HTMLText.escape(label))</text>")
        }
    }

    /// Draws `items` by category, thinned, with a legend counting them (see
    /// ``PlotAnnotationLayer``).
    mutating func annotations(_ items: [PlotAnnotation], limit: Int = PlotAnnotationLayer.limit) {
        let layer = PlotAnnotationLayer(items, on: self, limit: limit)
        body += layer.elements
        annotationLegend = layer.legend(on: self)
    }

    mutating func heatmap(columns: [[Double]], colorRange: ClosedRange<Double>) {
        guard let firstColumn = columns.first, !firstColumn.isEmpty else { return }
        let cellWidth = plotWidth / Double(columns.count), cellHeight = plotHeight / Double(firstColumn.count)
        var cells: [String] = []
        for (i, column) in columns.enumerated() {
            for (j, value) in column.enumerated() {
                let t = (value - colorRange.lowerBound) / (colorRange.upperBound - colorRange.lowerBound)
                cells.append("<rect x=\"\(f(margin.left + Double(i) * cellWidth))\" y=\"\(f(margin.top + plotHeight - Double(j + 1) * cellHeight))\" width=\"\(f(cellWidth + 0.6))\" height=\"\(f(cellHeight + 0.6))\" fill=\"\(viridis(t))\"/>")
            }
        }
        body.append("<g class=\"heatmap\" data-columns=\"\(columns.count)\" data-rows=\"\(firstColumn.count)\">" + cells.joined() + "</g>")
        // Colour bar.
        let barX = width - margin.right + 18
        var bar: [String] = []
        for k in 0..<40 {
            let t = Double(k) / 39
            bar.append("<rect x=\"\(f(barX))\" y=\"\(f(margin.top + plotHeight * (1 - Double(k + 1) / 40)))\" width=\"12\" height=\"\(f(plotHeight / 40 + 0.6))\" fill=\"\(viridis(t))\"/>")
        }
        body.append("<g class=\"colorbar\">" + bar.joined() +
                    "<text x=\"\(f(barX + 16))\" y=\"\(f(margin.top + 8))\" font-size=\"10\">\(String(format: "%.1f", colorRange.upperBound))</text>" +
                    "<text x=\"\(f(barX + 16))\" y=\"\(f(margin.top + plotHeight))\" font-size=\"10\">\(String(format: "%.1f", colorRange.lowerBound))</text>" +
                    "<text x=\"\(f(barX + 6))\" y=\"\(f(margin.top + plotHeight + 16))\" font-size=\"10\" text-anchor=\"middle\">log₁₀ µV²/Hz</text></g>")
    }

    func render() -> String {
        var out = "<svg class=\"plot\" data-plot=\"\(kind)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        out += "<text x=\"\(f(margin.left))\" y=\"16\" font-size=\"13\" font-weight=\"600\">\(HTMLText.escape(title))</text>" + annotationLegend
        out += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"#fff\" stroke=\"#bbb\"/>"
        // Grid first, so data (a heatmap too) is drawn over it.
        for t in niceTicks(yRange, log: logY) {
            let y = logY ? pow(10, t) : t
            out += "<line class=\"grid\" x1=\"\(f(margin.left))\" x2=\"\(f(margin.left + plotWidth))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
        }
        out += body.joined()
        // Axes, ticks and labels.
        var axes = "<g class=\"axis x-axis\">"
        for t in niceTicks(xRange) {
            axes += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(margin.top + plotHeight))\" y2=\"\(f(margin.top + plotHeight + 4))\" stroke=\"#333\"/>"
            axes += "<text class=\"tick\" x=\"\(f(px(t)))\" y=\"\(f(margin.top + plotHeight + 16))\" font-size=\"10\" text-anchor=\"middle\">\(tickText(t))</text>"
        }
        axes += "<text class=\"axis-label\" x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 6))\" font-size=\"11\" text-anchor=\"middle\">\(HTMLText.escape(xLabel))</text></g>"
        axes += "<g class=\"axis y-axis\">"
        for t in niceTicks(yRange, log: logY) {
            let y = logY ? pow(10, t) : t
            axes += "<line x1=\"\(f(margin.left - 4))\" x2=\"\(f(margin.left))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#333\"/>"
            axes += "<text class=\"tick\" x=\"\(f(margin.left - 7))\" y=\"\(f(py(y) + 3))\" font-size=\"10\" text-anchor=\"end\">\(logY ? logTickText(t) : tickText(t))</text>"
        }
        axes += "<text class=\"axis-label\" transform=\"translate(14 \(f(margin.top + plotHeight / 2))) rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">\(HTMLText.escape(yLabel))</text></g>"
        out += axes
        if !legend.isEmpty {
            var l = "<g class=\"legend\">"
            for (i, item) in legend.enumerated() {
                let y = margin.top + 8 + Double(i) * 16
                l += "<line x1=\"\(f(width - margin.right + 12))\" x2=\"\(f(width - margin.right + 30))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"\(item.1)\" stroke-width=\"2.5\"/>"
                l += "<text x=\"\(f(width - margin.right + 35))\" y=\"\(f(y + 4))\" font-size=\"11\">\(HTMLText.escape(item.0))</text>"
            }
            out += l + "</g>"
        }
        return out + "</svg>"
    }
}

/// 4–8 round tick values covering `range` (steps of 1, 2 or 5 × 10ⁿ); for log axes, the
/// decades.
func niceTicks(_ range: ClosedRange<Double>, log: Bool = false) -> [Double] {
    if log {
        let lo = ceil(range.lowerBound), hi = floor(range.upperBound)
        guard hi >= lo else { return [range.lowerBound] }
        return stride(from: lo, through: hi, by: max(1, ((hi - lo) / 6).rounded(.up))).map { $0 }
    }
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [range.lowerBound] }
    let raw = span / 6
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let first = ceil(range.lowerBound / step) * step
    return stride(from: first, through: range.upperBound + step * 1e-9, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
}

private func tickText(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
    return String(format: "%g", v)
}

private func logTickText(_ e: Double) -> String {
    let n = Int(e)
    if (-2...3).contains(n) { return tickText(pow(10, e)) }
    return "1e\(n)"
}

private func f(_ v: Double) -> String { svgNumber(v) }

/// A coordinate as SVG text, to 0.1 px.
func svgNumber(_ v: Double) -> String { String(format: "%.1f", v) }

/// The viridis colour map at 0…1 (a few stops, linearly interpolated).
func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
                                             (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)]
    let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2), w = x - Double(i)
    let a = stops[i], b = stops[i + 1]
    return String(format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * w), Int(a.1 + (b.1 - a.1) * w), Int(a.2 + (b.2 - a.2) * w))
}

let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
