#if canImport(Glibc)
import Glibc
#else
#error("EEGKit builds on Linux (Glibc) only: O_TMPFILE, fdatasync, /proc and udev are Linux; see Package.swift")
#endif

/// The loops every descriptor operation shares, written once: a call interrupted by a
/// signal (`EINTR`) is made again, a short write continues where it stopped, and a
/// failure becomes an ``Errno``. ``FileDescriptor`` (owned) and ``StandardStream`` (not
/// owned) are the public faces; nothing else in the package loops over `write(2)`.
enum SystemCall {
    // The plain calls, named apart from the wrappers' methods of the same name.
    static func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }
    static func writeOnce(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(descriptor, bytes, count) }
    static func readOnce(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(descriptor, bytes, count) }

    /// Calls `body` until it is not interrupted; its result, or the failure's ``Errno``.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let failure = Errno.current
            if failure != .interrupted { throw failure }
        }
    }

    /// Writes every byte of `bytes` to `descriptor` (at `offset` with `pwrite`, else at
    /// the file position). `written` counts what reached the file, also when it throws.
    /// A write that accepts nothing is ``Errno/io`` (never a silent endless loop).
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int?, written: inout Int) throws(Errno) {
        while written < bytes.count {
            let start = bytes.baseAddress! + written, count = bytes.count - written
            let n = try retrying { () -> Int in
                if let offset { return pwrite(descriptor, start, count, off_t(offset + written)) }
                return write(descriptor, start, count)
            }
            guard n > 0 else { throw .io }
            written += n
        }
    }

    /// Reads until `buffer` is full or the file ends (at `offset` with `pread`, else at
    /// the file position); the bytes read.
    static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int?) throws(Errno) -> Int {
        var done = 0
        while done < buffer.count {
            let start = buffer.baseAddress! + done, count = buffer.count - done
            let n = try retrying { () -> Int in
                if let offset { return pread(descriptor, start, count, off_t(offset + done)) }
                return read(descriptor, start, count)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

/// Standard output or standard error: written through the same loop as a file, never
/// closed by this program.
public struct StandardStream: Sendable {
    /// The descriptor number (1 or 2).
    public let rawValue: Int32

    public static let output = StandardStream(rawValue: STDOUT_FILENO)
    public static let error = StandardStream(rawValue: STDERR_FILENO)

    /// Whether the stream is a terminal (`isatty`).
    public var isTerminal: Bool { isatty(rawValue) == 1 }

    /// Writes every byte, retrying after a signal or a short write.
    public func write(all bytes: UnsafeRawBufferPointer) throws(Errno) {
        var written = 0
        try SystemCall.writeAll(rawValue, bytes, at: nil, written: &written)
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) throws(Errno) {
        var text = text
        try text.withUTF8 { bytes in Result { () throws(Errno) in try write(all: UnsafeRawBufferPointer(bytes)) } }.get()
    }
}
