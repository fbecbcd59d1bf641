import EEGCore
import Foundation
import Testing
@testable import EEGDevices

/// The raw byte capture: every byte the board sent reaches the file in order, and a
/// write that fails is reported with its kind and the bytes it cost — never skipped.
@Suite("Raw capture writing")
struct RawCaptureWriteTests {
    static func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) } }

    @Test("the bytes appended arrive in the file, in order")
    func complete() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let capture = try RawCapture(path: path)
        let data = Self.bytes(100_000)
        // Uneven chunks, as USB transfers arrive.
        var offset = 0, chunk = 1
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            data[offset..<end].withUnsafeBytes { capture.append($0) }
            offset = end
            chunk = chunk % 997 + 13
        }
        capture.close()
        #expect(capture.failure == nil)
        #expect(capture.writtenBytes == data.count && capture.unwrittenBytes == 0 && capture.overflowBytes == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(data))
    }

    @Test("a failing write (ENOSPC from /dev/full) is reported with its kind and every lost byte counted")
    func diskFull() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else {
            Issue.record("/dev/full is not writable here: the disk-full path was not checked")
            return
        }
        let capture = try RawCapture(path: "/dev/full", overwrite: true)
        let data = Self.bytes(50_000)
        data[0..<20_000].withUnsafeBytes { capture.append($0) }
        data[20_000...].withUnsafeBytes { capture.append($0) }
        capture.close()
        let failure = try #require(capture.failure)
        #expect(failure.kind == .noSpace)
        #expect(failure.errno == Errno(ENOSPC))
        #expect(capture.writtenBytes == 0)
        #expect(capture.unwrittenBytes == 50_000)
        #expect(failure.description == "/dev/full: writing the raw capture failed: the disk is full (No space left on device, errno 28); 50000 bytes not saved; /dev/full holds the first 0 bytes")
    }
}
