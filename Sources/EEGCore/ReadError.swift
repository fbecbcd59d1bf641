/// Why reading an input (a raw capture, a file being replayed) failed part-way, with the
/// `errno` of the failed call. Its kind is always an I/O failure: the command-line tool
/// exits 74, as for ``WriteError``.
public struct ReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input being read.
    public let path: String
    /// What was being done, e.g. "reading the capture".
    public let operation: String
    /// The `errno` of the failed call.
    public let errno: Errno

    public init(path: String, operation: String, errno: Errno) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(path): \(operation) failed: \(errno) (errno \(errno.code))" }
}
