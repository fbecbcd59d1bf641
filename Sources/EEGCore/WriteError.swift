import Glibc

/// Why writing a file (a recording, a raw capture) failed, with a ``Kind`` callers switch
/// on — the command-line tool maps kinds, never message text, to its exit code (74).
///
/// Shared by every writer so that a full disk reads the same wherever it happens.
public struct WriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, from the `errno` of the failed call.
    public enum Kind: Equatable, Sendable {
        /// The file system (or the user's quota) is full: `ENOSPC`, `EDQUOT`.
        case noSpace
        /// The file reached the largest size allowed (`EFBIG`: the file system's limit or
        /// the process's `RLIMIT_FSIZE`).
        case fileTooLarge
        /// Any other failure, with its `errno`.
        case io(errno: Errno)

        /// The kind for a failed call's `errno`.
        public init(errno error: Errno) {
            switch error.code {
            case ENOSPC, EDQUOT: self = .noSpace
            case EFBIG: self = .fileTooLarge
            default: self = .io(errno: error)
            }
        }
    }

    public let kind: Kind
    /// The file being written.
    public let path: String
    /// What was being done, e.g. "writing data record 12".
    public let operation: String
    /// The `errno` of the failed call.
    public let errno: Errno
    /// What the writer did about it, e.g. "the file is closed with the 12 s before it".
    public var outcome: String?

    public init(path: String, operation: String, errno error: Errno, outcome: String? = nil) {
        kind = Kind(errno: error)
        self.path = path
        self.operation = operation
        errno = error
        self.outcome = outcome
    }

    public var description: String {
        let reason: String
        switch kind {
        case .noSpace: reason = "the disk is full"
        case .fileTooLarge: reason = "the file is as large as this system allows"
        case .io: reason = "the system refused"
        }
        let text = "\(path): \(operation) failed: \(reason) (\(errno), errno \(errno.code))"
        return outcome.map { "\(text); \($0)" } ?? text
    }
}
