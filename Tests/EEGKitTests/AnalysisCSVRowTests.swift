import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// analyze's CSV epoch rows are written straight into one string (for speed); the row must
/// be exactly the cells of the original definition joined by commas: CSVText cells for
/// the path, reasons and annotations, shortest round-trip numbers, empty cells for
/// missing or non-finite values.
@Suite("analyze CSV rows, written in one pass, equal the joined cells")
struct AnalysisCSVRowTests {
    /// The row as it was first defined: an array of cells, joined.
    static func joinedCells(_ info: FileInfo, _ e: EpochResult) -> String {
        var fields = [CSVText.cell(info.path), "\(e.index)", CSVText.number(e.start), e.rejected ? "rejected" : "ok",
                      CSVText.cell(e.rejectionReasons.joined(separator: "; "))]
        fields += AnalysisRenderer.metrics.map { NumberStyle.exact.csv(e.metrics[$0]) }
        fields.append(CSVText.cell(e.annotations.map(\.text).joined(separator: "; ")))
        for c in e.channels { fields += c.absolute.map { CSVText.number($0) } + [StreamLineFormatter.qualityWord(c.quality)] }
        return fields.joined(separator: ",") + "\n"
    }

    @Test("every epoch of a real recording, and hostile paths, reasons, annotations and numbers")
    func rows() throws {
        let a = try MetricTableTests.analysis()
        let layout = StreamLayout(labels: a.labels, sampleRate: a.sampleRate, fullScale: 187_500, source: a.path)
        let renderer = AnalysisRenderer(format: .csv)
        var checked = 0
        for path in [a.path, "odd, \"name\".edf", "=cmd.edf", "-3.5"] {
            let info = FileInfo(path: path, layout: layout, duration: a.duration, bands: a.bands, epochCount: a.epochs.count)
            for e in a.epochs {
                #expect(renderer.epoch(info, e, firstInFile: checked == 0) == Self.joinedCells(info, e), "epoch \(e.index) of \(path)")
                checked += 1
            }
        }
        #expect(checked == 4 * a.epochs.count && a.epochs.count > 10)

        let first = try #require(a.epochs.first)
        let odd = ChannelEpoch(label: "x", absolute: [.nan, .infinity, -0.0, 1e-300, 123456789.125], relative: [0, 0, 0, 0, 0], quality: first.channels[0].quality)
        let hostile = EpochResult(index: 7, start: 0.1 + 0.2, channels: [odd] + first.channels, ratios: first.ratios, asymmetry: .nan, scores: first.scores,
                                  annotations: [Annotation(onset: 1, text: "a \"quote\", comma\nnew line"), Annotation(onset: 2, text: "=SUM(A1)"), Annotation(onset: 3, text: "e\u{301}\"\u{301}")],
                                  rejectionReasons: ["flat Fp1", "lost, 3 samples"], spectrum: [])
        let info = FileInfo(path: a.path, layout: layout, duration: a.duration, bands: a.bands, epochCount: 1)
        let row = renderer.epoch(info, hostile, firstInFile: true)
        #expect(row == Self.joinedCells(info, hostile))
        #expect(row.contains(",,,-0.0,1e-300,123456789.125,"), "\(row)")
    }
}
