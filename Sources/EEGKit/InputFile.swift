import EEGCore

/// A file, or standard input, opened once for reading samples: the CSV and float32
/// readers read through it. Opening and the directory check happen on one descriptor
/// (no check-then-open window), and every failure keeps its `errno` as a kinded
/// ``InputError``: a missing file, a directory or a refused permission when opening
/// (exit 66), ``InputError/readFailed(source:reason:)`` when reading fails (74).
///
/// A class because the readers are copyable values that share one open descriptor.
/// Not thread-safe: one thread reads. Allocation: none per read.
public final class InputFile {
    /// The path, or "standard input", as messages name it.
    public let name: String
    /// The file's length in bytes when it is a regular file (nil for a pipe, terminal
    /// or device), taken from the open descriptor.
    public let regularFileSize: Int?
    private let descriptor: FileDescriptor

    /// Opens `path`, or standard input for nil or `-` (a duplicate of descriptor 0, so
    /// closing this leaves standard input open). Messages call it `name` when given.
    public init(path: String?, name: String? = nil) throws(InputError) {
        if let path, path != "-" {
            self.name = name ?? path
            descriptor = try Self.openFile(path)
        } else {
            self.name = name ?? "standard input"
            do {
                descriptor = try FileDescriptor(duplicating: 0)
            } catch {
                throw .cannotOpen(path: self.name, reason: error.description)
            }
        }
        let status = try? descriptor.status()
        if status?.isDirectory == true { throw .isDirectory(path: self.name) }
        regularFileSize = status?.isRegularFile == true ? status?.size : nil
    }

    /// Opens the file `path` for reading, failing for a directory, with the failure as
    /// an ``InputError`` (see ``InputError/init(opening:failure:)``).
    public static func openFile(_ path: String) throws(InputError) -> FileDescriptor {
        do {
            return try FileDescriptor(readingFile: path)
        } catch {
            throw InputError(opening: path, failure: error)
        }
    }

    /// One read(2) into `buffer` (retried after a signal): the bytes read, 0 at the end.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        do {
            return try descriptor.readSome(into: buffer)
        } catch {
            throw .readFailed(source: name, reason: error.description)
        }
    }
}

extension InputError {
    /// Why opening `path` for reading failed, by its `errno`: missing, a directory, not
    /// allowed, or the system's text for anything else.
    public init(opening path: String, failure: Errno) {
        switch failure {
        case .noSuchFile: self = .cannotOpen(path: path, reason: "no such file")
        case .isDirectory: self = .isDirectory(path: path)
        case .permissionDenied: self = .cannotOpen(path: path, reason: "permission denied")
        default: self = .cannotOpen(path: path, reason: failure.description)
        }
    }
}
