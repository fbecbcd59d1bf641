import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// The metric table (``Metric/all``) drives every output: each format shows every entry
/// it can (by the entry's requirement), by the entry's key or label, in table order, and
/// no renderer carries a list of metrics of its own.
@Suite("Metric table")
struct MetricTableTests {
    static let recording = Fixtures.url("eeg/libgdf_mi128.edf").path

    /// Asserts `keys` all occur in `text`, in order (searching from the previous one).
    func expectInOrder(_ keys: [String], in text: String, _ what: String) {
        var from = text.startIndex
        for key in keys {
            guard let r = text.range(of: key, range: from..<text.endIndex) else {
                Issue.record("\(what): \(key) missing or out of table order")
                return
            }
            from = r.upperBound
        }
    }

    static func analysis(pair: Bool = true) throws -> FileAnalysis {
        var options = AnalysisOptions()
        if pair { options.asymmetryPair = ("C3", "C4") }
        options.calibrationSeconds = 20
        return try FileAnalyzer(options: options).analyze(path: recording)
    }

    @Test("the table's keys are unique and the outputs' subsets follow their requirements")
    func subsets() {
        #expect(Set(Metric.all.map(\.key)).count == Metric.all.count)
        #expect(Metric.all.map(\.index) == Array(Metric.all.indices))
        #expect(AnalysisRenderer.metrics.map(\.key) == Metric.all.map(\.key))
        #expect(StreamLineFormatter.metrics.map(\.key) == Metric.all.filter { $0.requirement != .channelPair }.map(\.key))
        #expect(BandpowerReport.metrics.map(\.key) == Metric.all.filter { $0.requirement == .bands }.map(\.key))
        for metric in Metric.all { #expect(!metric.name.isEmpty && !metric.unit.isEmpty && !metric.formula.isEmpty && !metric.description.isEmpty) }
    }

    @Test("stream: the CSV header and every JSON line carry the table's live metrics in order, with their values")
    func stream() throws {
        var configuration = LiveAnalyzerConfiguration(sampleRate: 100, channelCount: 1)
        configuration.calibrationSeconds = 5
        let analyzer = try LiveAnalyzer(configuration)
        let signal: [Float] = (0..<1500).map { i in
            let t = Double(i) / 100
            let alpha = 10 * sin(2 * Double.pi * 10 * t), beta = 4 * sin(2 * Double.pi * 20 * t + Double(i % 5))
            return Float(alpha + beta)
        }
        var lines: [(csv: String, json: String, values: MetricValues)] = []
        let layout = StreamLayout(labels: ["Cz"], sampleRate: 100, fullScale: 187_500, source: "test")
        let csv = StreamLineFormatter(layout: layout, bands: .standard, format: .csv)
        let json = StreamLineFormatter(layout: layout, bands: .standard, format: .jsonl)
        signal.withUnsafeBufferPointer { s in
            analyzer.process(s, firstSampleIndex: 0) { u in lines.append((csv.metricsLine(u), json.metricsLine(u), u.shownMetrics)) }
        }
        let header = try #require(csv.header(for: .metrics)).split(separator: ",").map(String.init)
        #expect(Array(header[2..<(2 + StreamLineFormatter.metrics.count)]) == StreamLineFormatter.metrics.map(\.key))
        let last = try #require(lines.last)
        try #require(last.values[Metric.all[5]] != nil, "scores are available at the end")
        let cells = last.csv.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let object = try #require(JSONSerialization.jsonObject(with: Data(last.json.utf8)) as? [String: Any])
        for (i, metric) in StreamLineFormatter.metrics.enumerated() {
            #expect(cells[2 + i] == NumberStyle.live.csv(last.values[metric]), "\(metric.key) in CSV")
            #expect((object[metric.key] as? Double).map { NumberStyle.live.json($0) } == NumberStyle.live.json(last.values[metric]), "\(metric.key) in JSON")
        }
        expectInOrder(StreamLineFormatter.metrics.map { "\"\($0.key)\": " }, in: last.json, "stream JSON line")
    }

    @Test("analyze: CSV header, JSON epochs, summary means and medians, the table and the HTML report follow the table")
    func analyze() throws {
        let a = try Self.analysis()
        let layout = StreamLayout(labels: a.labels, sampleRate: a.sampleRate, fullScale: 187_500, source: a.path)
        let info = FileInfo(path: a.path, layout: layout, duration: a.duration, bands: a.bands, epochCount: a.epochs.count)
        let keys = Metric.all.map(\.key)
        let csvHeader = AnalysisRenderer(format: .csv).begin(info, first: true, previousLabels: nil)
        #expect(csvHeader.split(separator: ",").map(String.init)[5..<(5 + keys.count)].elementsEqual(keys))
        let epoch = AnalysisRenderer(format: .jsonl).epoch(info, a.epochs[20], firstInFile: true)
        expectInOrder(keys.map { "\"\($0)\": " }, in: epoch, "analyze JSON epoch")
        for metric in Metric.all {
            #expect(epoch.contains("\"\(metric.key)\": \(NumberStyle.exact.json(a.epochs[20].metrics[metric]))"), "\(metric.key) value in JSON")
        }
        #expect(a.summary.means.map(\.0) == keys && a.summary.medians.map(\.0) == keys)
        let summary = AnalysisRenderer(format: .jsonl).end(a)
        expectInOrder(keys.map { "\"\($0)\": " }, in: summary, "summary means")
        let table = AnalysisRenderer(format: .table).begin(info, first: true, previousLabels: nil)
        expectInOrder(AnalysisRenderer.overview.map(\.symbol), in: table, "analyze table header")
        let html = HTMLReport.render([a, a])
        expectInOrder(Metric.all.map { "<td>\(HTMLText.escape($0.name))</td>" }, in: html, "HTML summary table")
        expectInOrder(AnalysisRenderer.overview.map { "<th>\(HTMLText.escape($0.symbol))</th>" }, in: html, "HTML all-files table")
    }

    @Test("bandpower: JSON metrics and CSV header are the table's band-only metrics in order")
    func bandpower() throws {
        var options = BandpowerOptions(layout: .test(rate: 128, channels: 3))
        options.epochSeconds = 4
        let analyzer = try BandpowerAnalyzer(options)
        let samples = try Fixtures.float32("eeg/libgdf_mi128.f32")
        samples.withUnsafeBufferPointer { analyzer.consume($0) }
        let report = try analyzer.finish()
        let keys = BandpowerReport.metrics.map(\.key)
        let header = try #require(report.csv().split(separator: "\n").first).split(separator: ",").map(String.init)
        #expect(Array(header.suffix(keys.count)) == keys)
        expectInOrder(keys.map { "\"\($0)\": " }, in: report.json(), "bandpower JSON")
        expectInOrder(BandpowerReport.metrics.map(\.name), in: report.table(), "bandpower table")
    }

    /// The dashboard's output, not its source: a state as a live update leaves it, with a
    /// distinct value per metric, shows every overview metric of the table by its symbol
    /// and value — the score gauges (every score, in table order) above the ratio line
    /// (the overview ratios, in table order). Expected text is written out by hand.
    @Test("dashboard: every overview metric is shown with its symbol and value, in table order")
    func dashboard() throws {
        var s = DashboardState(deviceName: "sim", nominalRate: 250, labels: ["Cz"], bandNames: ["delta", "theta", "alpha", "beta", "gamma"])
        let values: [String: Double] = ["engagement": 0.4321, "theta_beta": 1.875, "relaxation": 2.5, "workload": 0.0714, "asymmetry": -0.25,
                                        "attention": 61, "relaxation_score": 37, "workload_score": 88]
        #expect(Set(values.keys) == Set(Metric.all.map(\.key)), "a value for every row of the table")
        for metric in Metric.all { s.metrics[metric] = values[metric.key] }
        s.calibration = 1
        let lines = DashboardRenderer(width: 100, height: 30, color: false).render(s)
        // Gauges 40 cells wide: 61 % → 24.4 → 24 cells, 37 % → 14.8 → 15, 88 % → 35.2 → 35.
        let gauges = [" attention   " + String(repeating: "█", count: 24) + String(repeating: "░", count: 16) + "  61 / 100",
                      " relaxation  " + String(repeating: "█", count: 15) + String(repeating: "░", count: 25) + "  37 / 100",
                      " workload    " + String(repeating: "█", count: 35) + String(repeating: "░", count: 5) + "  88 / 100"]
        let ratios = " engagement 0.432   θ/β 1.875   α/β 2.500   θ/α 0.071"
        let gaugeRows = gauges.map { g in lines.firstIndex { $0.hasPrefix(g) } }
        let ratioRow = lines.firstIndex { $0.hasPrefix(ratios) }
        #expect(gaugeRows.allSatisfy { $0 != nil } && ratioRow != nil, "missing from:\n\(lines.joined(separator: "\n"))")
        let rows = gaugeRows.compactMap { $0 }
        #expect(rows == rows.sorted() && rows.allSatisfy { $0 < (ratioRow ?? 0) }, "gauges in table order above the ratios")
        // Every overview metric is among what was found, by symbol.
        let shown = (gauges + [ratios]).joined()
        for metric in Metric.all where metric.overview { #expect(shown.contains(" \(metric.symbol) "), "\(metric.key) shown") }
    }

    @Test("the number styles the outputs use write hand-known text")
    func numberStyles() {
        #expect(NumberStyle.live.csv(0.123456789) == "0.123457")
        #expect(NumberStyle.live.json(1234.56789) == "1234.57")
        #expect(NumberStyle.live.json(nil) == "null")
        #expect(NumberStyle.exact.json(0.1) == "0.1")
        #expect(NumberStyle.exact.json(1e-05) == "1e-05")
        #expect(NumberStyle.exact.csv(2.5) == "2.5")
    }

    /// A renderer with two or more metric keys spelled out as string literals holds a list
    /// of its own, which the table was made to replace.
    @Test("no renderer spells out a list of metric keys")
    func noHardCodedLists() throws {
        let sources = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Sources/EEGKit")
        let renderers = ["StreamLines.swift", "Analysis/AnalysisRendering.swift", "BandpowerReport+Rendering.swift", "Report/HTMLReport.swift",
                         "Analysis/SummaryAccumulator.swift"]
        for file in renderers {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
            let spelled = Metric.all.filter { text.contains("\"\($0.key)\"") }.map(\.key)
            #expect(spelled.count <= 1, "\(file) lists metrics itself: \(spelled)")
        }
    }
}
