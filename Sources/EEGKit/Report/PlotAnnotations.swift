import Foundation

/// An annotation as a report plot draws it: where it starts, how long it lasts (seconds),
/// its category (the colour and shape) and its words (the hover title).
struct PlotAnnotation {
    let onset: Double
    let duration: Double
    let category: AnnotationKind.Category
    let label: String

    init(_ annotation: Annotation) {
        onset = annotation.onset
        duration = annotation.duration ?? 0
        category = annotation.kind.category
        label = annotation.text
    }
}

/// Draws a plot's annotations by category — markers as dashed red lines with a flag, gaps
/// (lost samples, padding) as grey spans, recording events (start, end, disconnects) as
/// green lines — and a legend that counts them.
///
/// Thinned: at most ``limit`` of each category are drawn per plot, spread evenly over
/// those in the plot's time range; the legend says how many of how many, so a file with
/// thousands of markers gives a bounded SVG and a readable plot.
struct PlotAnnotationLayer {
    /// Drawn per category per plot.
    static let limit = 60

    struct Style {
        let name: String
        let color: String
    }

    static func style(_ category: AnnotationKind.Category) -> Style {
        switch category {
        case .marker: return Style(name: "markers", color: "#d62728")
        case .gap: return Style(name: "lost samples / padding", color: "#7f7f7f")
        case .recording: return Style(name: "recording events", color: "#2ca02c")
        }
    }

    /// Per category present: how many are in range and how many were drawn.
    private(set) var counts: [(category: AnnotationKind.Category, drawn: Int, total: Int)] = []
    private(set) var elements: [String] = []

    /// Lays out `annotations` on `plot` (those outside its time range are left out).
    init(_ annotations: [PlotAnnotation], on plot: SVGPlot, limit: Int = Self.limit) {
        let range = plot.xRange
        for category in AnnotationKind.Category.allCases {
            let inRange = annotations.filter { $0.category == category && $0.onset <= range.upperBound && $0.onset + $0.duration >= range.lowerBound }
            guard !inRange.isEmpty else { continue }
            let chosen = Self.spread(inRange, limit: limit)
            for annotation in chosen { elements.append(Self.element(annotation, on: plot)) }
            counts.append((category, chosen.count, inRange.count))
        }
    }

    /// At most `limit` of `items`, evenly spaced in their order (onset order), the first
    /// and last included.
    static func spread<T>(_ items: [T], limit: Int) -> [T] {
        guard items.count > limit, limit > 0 else { return items }
        guard limit > 1 else { return [items[0]] }
        return (0..<limit).map { items[$0 * (items.count - 1) / (limit - 1)] }
    }

    private static func element(_ a: PlotAnnotation, on plot: SVGPlot) -> String {
        let style = style(a.category)
        let top = plot.margin.top, bottom = plot.margin.top + plot.plotHeight
        let title = "<title>\(HTMLText.escape(a.label)) at \(String(format: "%.2f", a.onset)) s</title>"
        let open = "<g class=\"annotation\" data-category=\"\(a.category.rawValue)\">"
        let x = plot.px(max(a.onset, plot.xRange.lowerBound))
        switch a.category {
        case .gap:
            let end = plot.px(min(a.onset + a.duration, plot.xRange.upperBound))
            let width = max(end - x, 1.5)
            return open + "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(bottom - top))\" fill=\"\(style.color)\" fill-opacity=\"0.35\"/>" + title + "</g>"
        case .marker:
            return open + "<line x1=\"\(svgNumber(x))\" x2=\"\(svgNumber(x))\" y1=\"\(svgNumber(top))\" y2=\"\(svgNumber(bottom))\" stroke=\"\(style.color)\" stroke-width=\"1\" stroke-dasharray=\"2 2\"/><path d=\"M\(svgNumber(x - 4)),\(svgNumber(top - 7)) h8 l-4,6 z\" fill=\"\(style.color)\"/>" + title + "</g>"
        case .recording:
            return open + "<line x1=\"\(svgNumber(x))\" x2=\"\(svgNumber(x))\" y1=\"\(svgNumber(top))\" y2=\"\(svgNumber(bottom))\" stroke=\"\(style.color)\" stroke-width=\"1.2\"/><rect x=\"\(svgNumber(x - 3))\" y=\"\(svgNumber(top - 7))\" width=\"6\" height=\"6\" fill=\"\(style.color)\"/>" + title + "</g>"
        }
    }

    /// The legend, right-aligned in the plot's top margin: a swatch and "name N" (or
    /// "name N of M drawn" when thinned) per category.
    func legend(on plot: SVGPlot) -> String {
        guard !counts.isEmpty else { return "" }
        var out = "<g class=\"annotation-legend\">"
        var right = plot.margin.left + plot.plotWidth
        for count in counts.reversed() {
            let style = Self.style(count.category)
            let words = "\(style.name) \(count.drawn == count.total ? "\(count.total)" : "\(count.drawn) of \(count.total) drawn")"
            out += "<text class=\"annotation-count\" data-category=\"\(count.category.rawValue)\" data-drawn=\"\(count.drawn)\" data-total=\"\(count.total)\" x=\"\(svgNumber(right))\" y=\"16\" font-size=\"10\" text-anchor=\"end\" fill=\"#444\">\(HTMLText.escape(words))</text>"
            right -= Double(words.count) * 5.4 + 6
            out += "<rect x=\"\(svgNumber(right - 8))\" y=\"8\" width=\"8\" height=\"8\" fill=\"\(style.color)\"/>"
            right -= 16
        }
        return out + "</g>"
    }
}
