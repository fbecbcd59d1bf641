import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// Annotations that do not fit a data record's annotation space, and more annotations
/// than records can carry: nothing blocks the queue, nothing grows without bound, and
/// `close()` writes a bounded number of records.
@Suite("EDF writer: annotation limits")
struct EDFWriterLimitsTests {
    func writer(_ path: String) throws -> EDFWriter {
        try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(2, rate: 100), start: start)
    }

    func oneSecond(_ writer: EDFWriter) throws {
        let frames = [Float](repeating: 1, count: 2 * 100)
        try frames.withUnsafeBufferPointer { try writer.append($0) }
    }

    @Test("a 400-character marker is split into parts that reassemble, and later annotations are not held back")
    func longMarkerSplit() throws {
        let path = temporaryPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try writer(path)
        let text = "Marker: " + String((0..<400).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        #expect(w.annotate(Annotation(onset: 0.5, text: text)) == .split(parts: 2))
        #expect(w.annotate(Annotation(onset: 0.6, text: "Marker: after")) == .whole)
        for _ in 0..<3 { try oneSecond(w) }
        try w.close()
        let reader = try EDFReader(path: path)
        #expect(reader.recordCount == 3 && reader.problems.isEmpty)
        let annotations = try reader.allAnnotations()
        let parts = annotations.filter { $0.text.hasPrefix("Marker: abc") || $0.text.contains("[part 2 of 2]") }
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.onset == 0.5 })
        let joined = parts.map { $0.text.replacingOccurrences(of: #" \[part \d of 2\]$"#, with: "", options: .regularExpression) }.joined()
        #expect(joined == text)
        // The marker after it was stored in the same first record, not queued behind it.
        #expect(annotations.contains { $0.text == "Marker: after" && $0.onset == 0.6 })
    }

    @Test("a 100 kB marker is truncated to four parts, saying so; multi-byte characters are never cut")
    func hugeMarkerTruncated() throws {
        let path = temporaryPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try writer(path)
        let text = String(repeating: "é€𝄞", count: 100_000 / 9)  // 2 + 3 + 4 bytes
        let storage = w.annotate(Annotation(onset: 0, text: text))
        guard case .truncated(let kept, let original) = storage else {
            Issue.record("stored as \(storage)")
            return
        }
        #expect(original == text.utf8.count && kept < 4 * 384)
        try oneSecond(w)
        try w.close()
        let reader = try EDFReader(path: path)
        let texts = try reader.allAnnotations().map(\.text).filter { $0.contains("[part ") }
        #expect(texts.count == 4)
        #expect(texts.last?.hasSuffix("[truncated from \(original) bytes] [part 4 of 4]") == true)
        let body = texts.map { $0.replacingOccurrences(of: #"( \[truncated from \d+ bytes\])? \[part \d of 4\]$"#, with: "", options: .regularExpression) }.joined()
        #expect(body.utf8.count == kept && text.hasPrefix(body))
        // Each part fits one record: the file is 1 data record plus at most the parts.
        #expect(reader.recordCount <= 1 + 4 && reader.problems.isEmpty)
    }

    @Test("10,000 annotations in one second: the queue is bounded, the excess counted in a note, close() writes a bounded tail")
    func flood() throws {
        let path = temporaryPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try writer(path)
        var stored = 0
        for i in 0..<10_000 where w.annotate(Annotation(onset: 0.25, text: "Marker: m\(i)")) != .dropped { stored += 1 }
        #expect(w.droppedAnnotationCount == 10_000 - stored && stored > 0 && stored < 10_000)
        // A gap's annotation is essential: never dropped, however full the queue.
        try w.gap(frames: 30, cause: .other("test"))
        try oneSecond(w)
        try w.close()
        let reader = try EDFReader(path: path)
        // At most the queue's backlog (32 records' worth) plus the data record and the
        // records of the notes.
        #expect(reader.recordCount <= 2 + 33 + 1, "\(reader.recordCount) records")
        #expect(reader.problems.isEmpty)
        let annotations = try reader.allAnnotations()
        let markers = annotations.filter { $0.text.hasPrefix("Marker: m") }
        #expect(markers.count == stored)
        let note = try #require(annotations.first { $0.text.contains("annotations not stored") })
        #expect(note.text == "EEGKit: \(10_000 - stored) annotations not stored (they came faster than the file's annotation space could hold them)")
        #expect(note.onset == 0.25)
        #expect(annotations.contains { $0.text == "EEGKit: 30 samples lost (test); zeros here are not data" && $0.onset == 0 && $0.duration == 0.3 })
    }

    @Test("TAL delimiters and control characters in a marker are stored as valid TAL text")
    func controlCharacters() throws {
        let path = temporaryPath("edf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try EDFWriter(path: path, flavor: .edf, channels: [EDFSignal(label: "C3", physicalMinimum: -100, physicalMaximum: 100, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 100)], start: start)
        w.annotate(Annotation(onset: 0.1, text: "a\u{14}b\u{15}c\u{0}d\u{1B}[31m\u{FFFD}"))
        w.annotate(Annotation(onset: 0.2, text: "next"))
        let frames = [Float](repeating: 0, count: 100)
        try frames.withUnsafeBufferPointer { try w.append($0) }
        try w.close()
        let texts = try EDFReader(path: path).allAnnotations().map(\.text)
        #expect(texts.contains("a b c d\u{1B}[31m\u{FFFD}"))
        #expect(texts.contains("next"))
    }

    @Test("a signal whose digital range the format cannot store is refused before a file exists (it would make a header no reader accepts)")
    func digitalRange() throws {
        let path = temporaryPath("edf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var clock = EDFSignal(label: "board_time", physicalMinimum: 0, physicalMaximum: 16_777_215, digitalMinimum: -8_388_608, digitalMaximum: 8_388_607, samplesPerRecord: 100)
        clock.physicalDimension = "ms"
        let eeg = EDFSignal(label: "C3", physicalMinimum: -100, physicalMaximum: 100, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 100)
        #expect(throws: EDFError.invalidSpec("signal board_time: digital range -8388608…8388607 does not fit EDF's 16-bit samples (-32768…32767); record to .bdf")) {
            try EDFWriter(path: path, flavor: .edf, channels: [eeg], auxiliary: [clock], start: start)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: EDFError.invalidSpec("signal ch1: digital range -8388607…8388607 does not fit EDF's 16-bit samples (-32768…32767); record to .bdf")) {
            try EDFWriter(path: path, flavor: .edf, channels: cytonChannels(1, rate: 100), start: start)
        }
        // BDF holds the same signal, and reads back the extremes exactly.
        let bdf = temporaryPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: bdf) }
        let writer = try EDFWriter(path: bdf, flavor: .bdf, channels: cytonChannels(1, rate: 100), auxiliary: [clock], start: start)
        let frames = [Float](repeating: 0, count: 100), times = (0..<100).map { Float($0 == 99 ? 16_777_215 : $0) }
        try frames.withUnsafeBufferPointer { f in try times.withUnsafeBufferPointer { try writer.append(f, auxiliary: $0) } }
        try writer.close()
        let reader = try EDFReader(path: bdf)
        #expect(reader.problems.isEmpty && reader.otherSignals.map { reader.header.signals[$0].label } == ["board_time"], "\(reader.problems)")
    }
}
