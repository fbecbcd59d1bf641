import Foundation
import Testing
@testable import EEGCore

/// The system-call layer: whole writes at offsets, reads that stop at the end, errors
/// as ``Errno`` with the call's code, `EINTR` retried, and a descriptor closed exactly once.
@Suite("File descriptors")
struct FileDescriptorTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-fd-\(UUID().uuidString)").path
    }

    /// Whether `number` is an open descriptor of this process on `path` (by its /proc
    /// link, so a number reused by a test running in parallel does not count).
    static func isOpen(_ number: Int32, on path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(number)")) == path
    }

    @Test("writes land at their offsets; reads stop where the file ends")
    func writeAndReadAtOffsets() throws {
        let path = Self.scratch()
        defer { unlink(path) }
        let file = try FileDescriptor(opening: path, [.readWrite, .create, .exclusive])
        try file.write(all: Array("0123456789".utf8), at: 0)
        try file.write(all: Array("ab".utf8), at: 4)
        #expect(try file.read(upTo: 100, at: 0) == Array("0123ab6789".utf8))
        #expect(try file.read(upTo: 3, at: 8) == Array("89".utf8))
        #expect(try file.status().size == 10)
        try file.truncate(to: 3)
        #expect(try file.read(upTo: 10, at: 0) == Array("012".utf8))
        try file.synchronizeData()
    }

    @Test("an existing name with .exclusive is Errno.exists; a missing one is ENOENT")
    func openErrors() throws {
        let path = Self.scratch()
        defer { unlink(path) }
        _ = try FileDescriptor(opening: path, [.writeOnly, .create, .exclusive])
        #expect(throws: Errno.exists) { try FileDescriptor(opening: path, [.writeOnly, .create, .exclusive]) }
        #expect(throws: Errno.noSuchFile) { try FileDescriptor(opening: path + "-missing", .readOnly) }
        #expect(throws: Errno.isDirectory) { try FileDescriptor(opening: "/tmp", .writeOnly) }
    }

    @Test("a full device (ENOSPC on /dev/full) throws its errno, with nothing counted as written")
    func fullDevice() throws {
        guard FileManager.default.isWritableFile(atPath: "/dev/full") else {
            Issue.record("/dev/full is not writable here: the ENOSPC path was not checked")
            return
        }
        let full = try FileDescriptor(opening: "/dev/full", .writeOnly)
        var written = 0
        let bytes = [UInt8](repeating: 7, count: 4096)
        #expect(throws: Errno(ENOSPC)) {
            try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try full.write(all: buffer, written: &written) } }.get()
        }
        #expect(written == 0)
        #expect(Errno(ENOSPC).description == "No space left on device")
    }

    @Test("a call interrupted by a signal (EINTR) is made again; another errno is thrown at once")
    func interruptedCallsRetry() throws {
        var calls = 0
        let result = try SystemCall.retrying { () -> Int in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 42
        }
        #expect(result == 42 && calls == 3)
        calls = 0
        #expect(throws: Errno(EBADF)) {
            try SystemCall.retrying { () -> Int in
                calls += 1
                errno = EBADF
                return -1
            }
        }
        #expect(calls == 1)
    }

    @Test("closed exactly once: by close(), or when the value goes away")
    func closedOnce() throws {
        let path = Self.scratch()
        defer { unlink(path) }
        let explicit = try FileDescriptor(opening: path, [.writeOnly, .create])
        let first = explicit.rawValue
        #expect(Self.isOpen(first, on: path))
        explicit.close()
        #expect(!Self.isOpen(first, on: path))

        var number: Int32 = -1
        do {
            let scoped = try FileDescriptor(opening: path, .readOnly)
            number = scoped.rawValue
            #expect(Self.isOpen(number, on: path))
        }
        #expect(!Self.isOpen(number, on: path))

        // A holder that closes early (as the writers do) cannot close twice.
        var held: FileDescriptor? = try FileDescriptor(opening: path, .readOnly)
        let heldNumber = held?.rawValue ?? -1
        #expect(Self.isOpen(heldNumber, on: path))
        held.take()?.close()
        held.take()?.close()
        #expect(!Self.isOpen(heldNumber, on: path) && held == nil)
    }

    @Test("a pipe: wait reports readable data and the other end hanging up")
    func pipeReadiness() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reader = FileDescriptor(adopting: ends[0])
        var writer: FileDescriptor? = FileDescriptor(adopting: ends[1])
        var hangUp = false
        #expect(try reader.wait(for: .readable, milliseconds: 0, hangUp: &hangUp) == false)
        try writer?.write(all: Array("hi".utf8))
        #expect(try reader.wait(for: .readable, milliseconds: 1000, hangUp: &hangUp) == true && !hangUp)
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try buffer.withUnsafeMutableBytes { b in Result { () throws(Errno) in try reader.readSome(into: b) } }.get()
        #expect(Array(buffer[0..<n]) == Array("hi".utf8))
        writer.take()?.close()
        #expect(try reader.wait(for: .readable, milliseconds: 1000, hangUp: &hangUp) == true && hangUp)
    }

    @Test("the folder of a path", arguments: [("a/b/c.edf", "a/b"), ("c.edf", "."), ("/c.edf", "/"), ("/x/y", "/x")])
    func folder(path: String, expected: String) {
        #expect(FileDescriptor.folder(of: path) == expected)
    }
}
