import EEGCore
import EEGFormats
import Foundation
import Testing
@testable import EEGKit

/// `analyze` describes a file before its epochs with the analysed channels' layout.
@Suite("FileInfo layout")
struct FileInfoLayoutTests {
    @Test("FileInfo carries the selected channels in the order asked, the file's rate and its widest physical limit")
    func selection() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let limits: [(String, Double)] = [("C3", 1000), ("Cz", 2000), ("C4", 500)]
        let channels = limits.map { EDFSignal(label: $0.0, physicalMinimum: -$0.1, physicalMaximum: $0.1, digitalMinimum: -8_388_607,
                                              digitalMaximum: 8_388_607, samplesPerRecord: 250) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: channels,
                                   start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        let frames: [Float] = (0..<(12 * 250)).flatMap { i -> [Float] in
            let t = Double(i) / 250
            return [Float(10 * sin(2 * .pi * 10 * t)), Float(5 * sin(2 * .pi * 20 * t)), Float(8 * sin(2 * .pi * 6 * t))]
        }
        try frames.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()

        var options = AnalysisOptions()
        options.channels = ["C4", "C3"]
        var seen: FileInfo?
        _ = try FileAnalyzer(options: options).analyze(path: path, onBegin: { seen = $0 })
        let info = try #require(seen)
        #expect(info.layout.labels == ["C4", "C3"])
        #expect(info.labels == info.layout.labels && info.sampleRate == 250 && info.layout.sampleRate == 250)
        // The file's stated full scale: the widest physical limit of its signals (Cz's 2000 µV).
        #expect(info.layout.fullScale == 2000)
        #expect(info.duration == 12 && info.epochCount == 3)
    }
}
