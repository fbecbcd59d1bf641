import EEGKit
import Foundation

/// Where a command's text goes: standard output or a file named by a flag. Text is
/// shown for its ``OutputDestination`` (escaped on a terminal, faithful in a file or
/// pipe) and written with write(2): a failed write — a full disk, a closed descriptor —
/// throws ``InputError/writeFailed(destination:reason:)`` (exit 74) instead of trapping
/// the way `FileHandle.write(_:)` does, or being lost silently the way `print` is.
final class TextOutput: Sendable {
    let destination: OutputDestination
    let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Standard output; a terminal is detected once, here.
    static let standard = TextOutput(descriptor: STDOUT_FILENO, name: "standard output",
                                     destination: OutputDestination(descriptorIsTerminal: isatty(STDOUT_FILENO) == 1), owns: false)

    private init(descriptor: Int32, name: String, destination: OutputDestination, owns: Bool) {
        self.descriptor = descriptor
        self.name = name
        self.destination = destination
        ownsDescriptor = owns
    }

    /// Opens `path` for writing the way a shell's `>` does: created (mode 0666 less the
    /// umask) or truncated, following a symbolic link and writing into a FIFO or device.
    /// The path is never replaced, so `--out /dev/stdout` or a link to a shared folder
    /// works and leaves the link or device in place.
    init(path: String) throws(InputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            let code = errno
            if code == EISDIR { throw .isDirectory(path: path) }
            throw .cannotOpen(path: path, reason: String(cString: strerror(code)))
        }
        descriptor = fd
        name = path
        destination = OutputDestination(descriptorIsTerminal: isatty(fd) == 1)
        ownsDescriptor = true
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    /// Writes `text` as shown for the destination.
    func write(_ text: String) throws(InputError) {
        let shown = destination.shown(text)
        var failure: Int32 = 0
        shown.utf8CString.withUnsafeBufferPointer { buffer in
            failure = writeAll(descriptor, buffer.baseAddress!, buffer.count - 1)
        }
        if failure != 0 { throw .writeFailed(destination: name, reason: String(cString: strerror(failure))) }
    }

    /// Writes `line` and a line feed.
    func line(_ line: String) throws(InputError) { try write(line + "\n") }
}

/// Writes a message to standard error. A failure is ignored: standard error is where
/// failures are reported, so there is nowhere left to say it — but it never traps.
func writeStandardError(_ text: String) {
    text.utf8CString.withUnsafeBufferPointer { buffer in
        _ = writeAll(STDERR_FILENO, buffer.baseAddress!, buffer.count - 1)
    }
}

/// Writes all `count` bytes, retrying after a signal or a short write; 0 or the errno.
private func writeAll(_ descriptor: Int32, _ bytes: UnsafePointer<CChar>, _ count: Int) -> Int32 {
    var done = 0
    while done < count {
        let n = Foundation.write(descriptor, bytes + done, count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if n == 0 { return EIO }
        done += n
    }
    return 0
}
