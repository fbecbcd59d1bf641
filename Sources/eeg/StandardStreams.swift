import ArgumentParser
import EEGKit
import Foundation

/// Where a command's text goes: standard output or a file named by a flag. Text is
/// shown for its ``OutputDestination`` (escaped on a terminal, faithful in a file or
/// pipe) and written with write(2): a failed write — a full disk, a closed descriptor —
/// throws a ``WriteError`` (exit 74; a reader that went away ends the command quietly,
/// see ``fail(_:_:)``) instead of trapping the way `FileHandle.write(_:)` does, or being
/// lost silently the way `print` is.
final class TextOutput: Sendable {
    let destination: OutputDestination
    let name: String
    /// A plain file (not a terminal, pipe or device): nobody reads it while it is written,
    /// so a command may gather its text into fewer, larger writes.
    let isRegularFile: Bool
    /// Where the bytes go: standard output (never closed here) or a file this owns.
    private enum Target: ~Copyable, Sendable {
        case standard(StandardStream)
        case file(FileDescriptor)
    }
    private let target: Target

    /// Standard output; a terminal is detected once, here.
    static let standard = TextOutput(standard: .output, name: "standard output")

    private init(standard stream: StandardStream, name: String) {
        target = .standard(stream)
        self.name = name
        destination = OutputDestination(descriptorIsTerminal: stream.isTerminal)
        var info = stat()
        isRegularFile = fstat(stream.rawValue, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Opens `path` for writing the way a shell's `>` does: created (mode 0666 less the
    /// umask) or truncated, following a symbolic link and writing into a FIFO or device.
    /// The path is never replaced, so `--out /dev/stdout` or a link to a shared folder
    /// works and leaves the link or device in place.
    init(path: String) throws(InputError) {
        let file: FileDescriptor
        do {
            file = try FileDescriptor(opening: path, [.writeOnly, .create, .truncate], permissions: 0o666)
        } catch {
            if error == .isDirectory { throw .isDirectory(path: path) }
            throw .cannotOpen(path: path, reason: error.description)
        }
        destination = OutputDestination(descriptorIsTerminal: file.isTerminal)
        isRegularFile = (try? file.status().isRegularFile) ?? false
        name = path
        target = .file(file)
    }

    /// Writes `text` as shown for the destination.
    func write(_ text: String) throws(WriteError) {
        var shown = destination.shown(text)
        do {
            try shown.withUTF8 { bytes in
                Result { () throws(Errno) in
                    switch target {
                    case .standard(let stream): try stream.write(all: UnsafeRawBufferPointer(bytes))
                    case .file(let file): try file.write(all: UnsafeRawBufferPointer(bytes))
                    }
                }
            }.get()
        } catch {
            throw WriteError(path: name, operation: "writing", errno: error)
        }
    }

    /// Writes `line` and a line feed.
    func line(_ line: String) throws(WriteError) { try write(line + "\n") }
}

/// Writes a message to standard error. A failure is ignored: standard error is where
/// failures are reported, so there is nowhere left to say it — but it never traps.
func writeStandardError(_ text: String) {
    try? StandardStream.error.write(text)
}

extension ArgumentHelp {
    /// `--out FILE` of the commands that compute results (`analyze`, `bandpower`). Results
    /// replace an existing file, as the shell's `>` and tools like `sort -o` do: they can
    /// be computed again. A recording cannot, so `eeg record --out` refuses an existing
    /// file without `--force`.
    static let resultsFile = ArgumentHelp("Write results to this file instead of standard output; an existing file is replaced, as by the shell's > (results can be made again; recordings cannot, so 'eeg record --out' asks for --force).", valueName: "file")
}
