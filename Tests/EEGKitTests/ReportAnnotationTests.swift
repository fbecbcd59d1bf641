import Foundation
import Testing
@testable import EEGKit

/// The report draws annotations by kind with a legend that counts them, and thins them:
/// hundreds of markers give a bounded SVG, not a line per marker across every plot.
@Suite("HTML report: annotations by kind")
struct ReportAnnotationTests {
    /// A 2-channel, 100 Hz BDF of `seconds` of a 10 Hz sine, with `markersPerSecond(s)`
    /// markers in second s, a 0.5 s ring-overflow gap at 30.5 s (the second after it
    /// starts at 31 s), a disconnect / reconnect pair at 40.5 s and 41 s, and padding
    /// after the last frame (the 0.5 s gap leaves the last record half full).
    func recording(seconds: Int, markersPerSecond: (Int) -> Int) throws -> String {
        let path = scratchPath("bdf")
        let channels = ["C3", "C4"].map { EDFSignal(label: $0, physicalMinimum: -187_500, physicalMaximum: 187_500,
                                                     digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 100) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5))
        let second = (0..<200).map { Float(20 * sin(2 * Double.pi * 10 * Double($0 / 2) / 100)) }
        for s in 0..<seconds {
            let start = writer.duration
            let markers = markersPerSecond(s)
            for m in 0..<markers { writer.annotate(.marker("m\(s).\(m)"), onset: start + Double(m) / Double(markers)) }
            if s == 30 {
                try second.prefix(100).withUnsafeBufferPointer { try writer.append($0) }
                try writer.gap(frames: 50, cause: .ringOverflow)
                try second.prefix(100).withUnsafeBufferPointer { try writer.append($0) }
                continue
            }
            if s == 40 { writer.annotate(.disconnected); writer.annotate(.reconnected, onset: start + 0.5) }
            try second.withUnsafeBufferPointer { try writer.append($0) }
        }
        try writer.close()
        return path
    }

    func plots(_ html: String) -> [String: String] {
        var plots: [String: String] = [:]
        for piece in html.components(separatedBy: "<svg ").dropFirst() {
            let svg = "<svg " + piece.components(separatedBy: "</svg>")[0] + "</svg>"
            if let kind = svg.components(separatedBy: "data-plot=\"").dropFirst().first?.components(separatedBy: "\"").first { plots[kind] = svg }
        }
        return plots
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("markers, gaps and device events are drawn in their own style, with a legend counting each")
    func legendAndCounts() throws {
        let path = try recording(seconds: 70) { [5, 50, 60].contains($0) ? 1 : 0 }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let analysis = try FileAnalyzer(options: AnalysisOptions()).analyze(path: path)
        let attention = try #require(plots(HTMLReport.render([analysis]))["attention"])
        #expect(count("data-category=\"marker\"><line", in: attention) == 3)
        #expect(count("<g class=\"annotation\" data-category=\"gap\"><rect", in: attention) == 2)
        #expect(count("<g class=\"annotation\" data-category=\"recording\">", in: attention) == 2)
        #expect(attention.contains(">markers 3</text>"))
        #expect(attention.contains(">lost samples / padding 2</text>"))
        #expect(attention.contains(">recording events 2</text>"))
        #expect(attention.contains("<title>Device disconnected at 40.50 s</title>"))
        #expect(attention.contains("<title>EEGKit: recording ended; the rest of this record is padding, not data at 70.50 s</title>"))
        // The lost samples are a span as wide as their half second.
        let gap = try #require(attention.components(separatedBy: "data-category=\"gap\"><rect ").dropFirst().first)
        let width = try #require(Double(gap.components(separatedBy: "width=\"")[1].components(separatedBy: "\"")[0]))
        let plotWidth = 860.0 - 64 - 150
        #expect(abs(width - 0.5 / analysis.duration * plotWidth) < 0.2, "\(width)")
    }

    @Test("500 markers: at most 60 drawn per plot, the rest counted, the SVG bounded")
    func thinning() throws {
        let path = try recording(seconds: 100) { _ in 5 }
        let fewPath = try recording(seconds: 100) { $0 < 60 ? 1 : 0 }
        defer { for p in [path, fewPath] { try? FileManager.default.removeItem(atPath: p) } }
        let analysis = try FileAnalyzer(options: AnalysisOptions()).analyze(path: path)
        #expect(analysis.annotations.filter { $0.kind.category == .marker }.count == 500)
        let many = plots(HTMLReport.render([analysis]))
        let few = plots(HTMLReport.render([try FileAnalyzer(options: AnalysisOptions()).analyze(path: fewPath)]))
        for kind in ["spectrogram", "attention"] {
            let svg = try #require(many[kind]), small = try #require(few[kind])
            #expect(count("data-category=\"marker\"><line", in: svg) == PlotAnnotationLayer.limit)
            #expect(svg.contains(">markers 60 of 500 drawn</text>"), "\(kind)")
            #expect(small.contains(">markers 60</text>"))
            // Same number of elements drawn: the sizes differ by the legend's words and the
            // choice of markers only.
            #expect(abs(svg.utf8.count - small.utf8.count) < 2_000, "\(kind): \(svg.utf8.count) vs \(small.utf8.count)")
        }
        #expect(PlotAnnotationLayer.spread(Array(0..<500), limit: 60).first == 0 && PlotAnnotationLayer.spread(Array(0..<500), limit: 60).last == 499)
    }
}
