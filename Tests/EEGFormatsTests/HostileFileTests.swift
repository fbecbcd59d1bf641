import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// The error's kind: its case name.
func kindName(_ error: EDFError) -> String {
    Mirror(reflecting: error).children.first?.label ?? "\(error)"
}

@Suite("Hostile and damaged EDF/BDF files")
struct HostileFileTests {
    /// Opens the file and reads everything a command would: every record and every annotation.
    static func readEverything(_ path: String) throws -> EDFReader {
        let reader = try EDFReader(path: path)
        var buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
        for r in 0..<reader.recordCount {
            try buffer.withUnsafeMutableBufferPointer { b in _ = try reader.readRecord(r, into: b) }
            let finite = buffer.allSatisfy(\.isFinite)
            #expect(finite)
        }
        try reader.forEachAnnotation { _ in }
        return reader
    }

    @Test("each crafted file is refused with its kind, field and byte offset", arguments: HostileCase.all)
    func refused(_ c: HostileCase) throws {
        let path = try c.build().write()
        do {
            _ = try Self.readEverything(path)
            Issue.record("\(c.name): accepted")
        } catch let error as EDFError {
            #expect(kindName(error) == c.kind, "\(c.name): \(error)")
            #expect(error.field == c.field, "\(c.name): \(error)")
            #expect(error.offset == c.offset, "\(c.name): \(error)")
            let message = "\(error)"
            #expect(!message.contains("\n") && message.contains("byte \(c.offset)"), "\(c.name): \(message)")
        }
    }

    @Test("the builder's default file is valid (so each case fails for its one change)")
    func baseline() throws {
        let reader = try Self.readEverything(try HostileEDF().write())
        #expect(reader.recordCount == 2 && reader.sampleRate == 10 && reader.problems.isEmpty)
        // The ramp the builder writes: digital −500, −400, … with gain 200/65535.
        var frames = [Float](repeating: 0, count: 10)
        try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(0, into: $0) }
        #expect(abs(Double(frames[0]) - ((-500.0 + 32768) * 200 / 65535 - 100)) < 1e-4)
    }

    @Test("damage that is reported, not refused: never closed, torn tail, EDF+C without annotations, empty annotation signal")
    func reported() throws {
        var neverClosed = HostileEDF()
        neverClosed.recordCount = "-1"
        neverClosed.recordsWritten = 3
        var bytes = neverClosed.bytes() + [1, 2, 3]  // and 3 bytes of a torn record
        var path = temporaryPath("edf")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var reader = try Self.readEverything(path)
        #expect(reader.recordCount == 3)
        #expect(reader.problems.first?.contains("3 whole records found, plus 3 bytes of a torn record") == true)

        var plain = HostileEDF()
        plain.signals = [HostileEDF.Signal()]
        reader = try Self.readEverything(try plain.write())
        #expect(reader.problems == ["the header says EDF+C but there is no annotations signal; read as plain EDF"])

        var empty = HostileEDF()
        empty.annotationBytes = { _ in [] }
        reader = try Self.readEverything(try empty.write())
        let none = try reader.allAnnotations()
        #expect(reader.recordCount == 2 && none.isEmpty)

        // More records than declared: the declared ones are read, the rest reported.
        var extra = HostileEDF()
        extra.recordsWritten = 3
        bytes = extra.bytes()
        path = temporaryPath("edf")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        reader = try Self.readEverything(path)
        #expect(reader.recordCount == 2 && reader.problems == ["80 bytes after the last declared record are ignored"])
    }

    @Test("accepted extremes give finite samples: the widest physical range over the narrowest digital one")
    func extremesStayFinite() throws {
        var f = HostileEDF()
        f.version = "BIOSEMI"
        f.reserved = "BDF+C"
        f.signals[0].physicalMinimum = "-1e9"
        f.signals[0].physicalMaximum = "1e9"
        f.signals[0].digitalMinimum = "0"
        f.signals[0].digitalMaximum = "1"
        f.signals[1].label = "BDF Annotations"
        f.signals[1].samplesPerRecord = "40"
        // Digital samples far outside the declared range.
        let path = try f.write("bdf")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(768..<771, with: [0xFF, 0xFF, 0x7F])  // +8388607
        bytes.replaceSubrange(771..<774, with: [0x00, 0x00, 0x80])  // −8388608
        try bytes.write(to: URL(fileURLWithPath: path))
        let reader = try Self.readEverything(path)
        var frames = [Float](repeating: 0, count: 10)
        try frames.withUnsafeMutableBufferPointer { _ = try reader.readRecord(0, into: $0) }
        #expect(frames[0] == Float(8_388_607.0 * 2e9 - 1e9) && frames[1] == Float(-8_388_608.0 * 2e9 - 1e9))
    }

    @Test("millions of two-byte annotations: streamed, counted, a bounded number kept")
    func amplification() throws {
        // One record whose 3 MB annotation signal is a single TAL with 1.5 million
        // one-character annotations ("a" 0x14 each).
        var f = HostileEDF()
        f.recordCount = "1"
        let signalBytes = 3_000_000
        f.signals[1].samplesPerRecord = "\(signalBytes / 2)"
        let count = (signalBytes - 16) / 2
        f.annotationBytes = { _ in
            Array("+0\u{14}\u{14}\u{0}+1\u{14}".utf8) + [UInt8](unsafeUninitializedCapacity: count * 2) { b, n in
                for i in 0..<count { b[2 * i] = UInt8(ascii: "a"); b[2 * i + 1] = 0x14 }
                n = count * 2
            } + [0]
        }
        let reader = try EDFReader(path: try f.write())
        let list = try reader.annotations(keeping: 1000)
        #expect(list.total == count && count > 1_400_000)  // the stress happened
        #expect(list.kept.count == 1000 && list.omitted == count - 1000)
        #expect(list.kept.allSatisfy { $0.onset == 1 && $0.text == "a" })
    }

    @Test("a sparse file of 100 million records: repair refuses a count the header cannot hold, never traps")
    func sparseRepair() throws {
        var f = HostileEDF()
        f.reserved = ""
        f.recordCount = "-1"
        f.signals = [HostileEDF.Signal()]
        f.signals[0].samplesPerRecord = "1"
        f.recordsWritten = 0
        let path = try f.write()
        let records = 100_000_000
        #expect(truncate(path, off_t(512 + 2 * records)) == 0)  // sparse: no disk used
        do {
            _ = try EDFRepair.repair(path: path)
            Issue.record("repaired a count that does not fit 8 characters")
        } catch {
            let field = error.field, offset = error.offset, message = "\(error)"
            #expect(field == "number of data records" && offset == 236, "\(message)")
            #expect(message.contains("the file holds 100000000 records"), "\(message)")
        }
        // The reader takes the count from the size (−1: never closed) and says so.
        let reader = try EDFReader(path: path)
        #expect(reader.recordCount == records)
        let head = try #require(FileHandle(forReadingAtPath: path)).readData(ofLength: 256)
        #expect(String(decoding: head[236..<244], as: UTF8.self) == "-1      ")  // untouched
    }
}
