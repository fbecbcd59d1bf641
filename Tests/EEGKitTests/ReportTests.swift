import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import EEGKit

/// Collects what an SVG plot contains (SVG is XML, so XMLParser reads it).
final class SVGSummary: NSObject, XMLParserDelegate {
    var plotKind: String?
    var groups: [String] = []
    var xTicks = 0, yTicks = 0
    var axisLabels: [String] = []
    var seriesNames: Set<String> = []
    var annotationTitles: [String] = []
    var heatmapCells = 0
    private var stack: [String] = []
    private var text = ""

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? POSIXError(.EINVAL) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let cls = attributes["class"] ?? ""
        if name == "svg" { plotKind = attributes["data-plot"] }
        if name == "g" { groups.append(cls) }
        if name == "text", cls == "tick" { if stack.last == "axis x-axis" { xTicks += 1 } else if stack.last == "axis y-axis" { yTicks += 1 } }
        if let series = attributes["data-series"] { seriesNames.insert(series) }
        if name == "rect", stack.last == "heatmap" { heatmapCells += 1 }
        stack.append(name == "g" ? cls : name)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let top = stack.removeLast()
        if name == "text", top == "text", stack.last?.hasPrefix("axis") == true, !text.isEmpty, !text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) { axisLabels.append(text) }
        if name == "title", stack.last == "annotation" { annotationTitles.append(text) }
        text = ""
    }
}

@Suite("HTML report")
struct ReportTests {
    @Test("every plot has axes, ticks, units and data for every channel and annotation; nothing external")
    func structure() throws {
        let path = scratchPath("bdf")
        let record = try EEGProcess(["record", "--out", path, "--duration", "70s", "--sim-speed", "max", "--markers-from-stdin"],
                                    stdin: Data("eyes closed\nstimulus\n".utf8))
        #expect(record.status == 0)
        let analysis = try FileAnalyzer(options: AnalysisOptions()).analyze(path: path)
        let html = HTMLReport.render([analysis, try FileAnalyzer(options: AnalysisOptions()).analyze(path: Fixtures.url("eeg/libgdf_mi128.edf").path)])

        // Self-contained: no scripts, stylesheets, images or fonts from anywhere.
        for needle in ["<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"] {
            #expect(!html.contains(needle), "found \(needle)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))

        let sections = html.components(separatedBy: "<section class=\"file\"").dropFirst()
        #expect(sections.count == 2)
        for (section, a) in zip(sections, [analysis]) {
            let svgs = section.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
            let plots = try svgs.map(SVGSummary.init)
            #expect(plots.map(\.plotKind) == ["spectrogram", "band-power", "attention", "psd"])
            for plot in plots {
                #expect(plot.xTicks >= 3 && plot.yTicks >= 2, "\(plot.plotKind!): ticks \(plot.xTicks)/\(plot.yTicks)")
                #expect(plot.axisLabels.count >= 2, "\(plot.plotKind!): axis labels \(plot.axisLabels)")
            }
            #expect(plots[0].heatmapCells == a.epochs.count * a.spectrumFrequencies.count)
            #expect(plots[0].axisLabels.contains("frequency (Hz)"))
            #expect(plots[1].seriesNames == Set(a.bands.bands.map { "\($0.name) \(Int($0.low))–\(Int($0.high)) Hz" }))
            #expect(plots[2].seriesNames.contains("attention"))
            // A marker for every user annotation, on the spectrogram and the attention plot.
            let markers = a.annotations.filter { $0.text.hasPrefix("Marker") }
            #expect(markers.count == 2)
            for plot in [plots[0], plots[2]] {
                for m in markers { #expect(plot.annotationTitles.contains { $0.hasPrefix(m.text) }, "\(plot.plotKind!) lacks \(m.text)") }
            }
            // The PSD has one series per channel, units on the axes.
            #expect(plots[3].seriesNames == Set(a.labels))
            #expect(plots[3].axisLabels.contains("PSD (µV²/Hz)") && plots[3].axisLabels.contains("frequency (Hz)"))
            // Quality table: a row per channel.
            for label in a.labels { #expect(section.contains("<tr><td>\(label)</td>")) }
        }
    }

    @Test("eeg analyze --report writes it")
    func command() throws {
        let report = scratchPath("html")
        let run = try EEGProcess(["analyze", Fixtures.url("eeg/libgdf_mi128.edf").path, "--report", report, "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("data-plot=\"psd\""))
        #expect(html.contains("eeg:Cz"))
    }

    @Test("nice ticks are round and cover the range")
    func ticks() {
        #expect(niceTicks(0...100) == [0, 20, 40, 60, 80, 100])
        #expect(niceTicks(0...388) == [0, 100, 200, 300])
        #expect(niceTicks(1...45) == [10, 20, 30, 40])
        #expect(niceTicks(-1.3...1.8, log: true) == [-1, 0, 1])
    }
}
