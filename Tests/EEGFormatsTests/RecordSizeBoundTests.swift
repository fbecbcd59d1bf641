import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// A data record is read whole, so its size is bounded by ``EDFLimits/maxRecordBytes``
/// even when the file really is that large: a sparse file costs no disk, and before the
/// bound a 12.8 GB record made every command abort ("failed to allocate").
@Suite("EDF record size bound")
struct RecordSizeBoundTests {
    /// A header for `signals` signals of `samples` samples per record and `records`
    /// records, extended (sparse) to the size the header promises.
    static func sparse(signals: Int, samples: Int, records: Int = 1) throws -> String {
        var edf = HostileEDF()
        edf.reserved = ""
        edf.recordCount = "\(records)"
        edf.recordDuration = "1000000"
        var signal = HostileEDF.Signal()
        signal.samplesPerRecord = "\(samples)"
        edf.signals = Array(repeating: signal, count: signals)
        let header = edf.header()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-sparse-\(UUID().uuidString).edf").path
        try Data(header).write(to: URL(fileURLWithPath: path))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(header.count + records * signals * samples * 2))
        try handle.close()
        return path
    }

    @Test("a 12.8 GB record in a sparse file is a bad samples-per-record field, with its offset")
    func hugeRecordRefused() throws {
        let path = try Self.sparse(signals: 64, samples: 99_999_999)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try EDFReader(path: path)
            Issue.record("the reader accepted a 12.8 GB record")
        } catch {
            guard case .badField(_, let field, let offset, let found, let expected) = error else { Issue.record("\(error)"); return }
            #expect(field == "samples per record of signal 1")
            #expect(offset == 256 + 64 * 216)  // the first signal's samples-per-record field
            #expect(found == "99999999")
            #expect(expected == "a data record (here 12799999872 bytes) of at most 268435456 bytes")
        }
    }

    @Test("a record of exactly the bound is read; one sample more is refused")
    func boundIsExact() throws {
        // 2 signals × 67,108,864 samples × 2 bytes = 2^28 bytes.
        let at = try Self.sparse(signals: 2, samples: 1 << 26)
        defer { try? FileManager.default.removeItem(atPath: at) }
        let reader = try EDFReader(path: at)
        #expect(reader.recordCount == 1)
        let over = try Self.sparse(signals: 2, samples: (1 << 26) + 1)
        defer { try? FileManager.default.removeItem(atPath: over) }
        #expect(throws: EDFError.self) { _ = try EDFReader(path: over) }
    }
}
