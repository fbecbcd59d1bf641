import Glibc

/// The `errno` of a failed system call, as a typed error: what every call of the
/// system-call layer (``FileDescriptor``, ``StandardStream``) throws. Callers switch on
/// the code (or compare with the named values) and wrap it in their own error with its
/// kind (``WriteError``, `EDFError.io`, `DeviceError.serial`…); nothing reads its text.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The C `errno` value.
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    /// The calling thread's `errno`, read right after a call failed.
    static var current: Errno { Errno(errno) }

    /// The system's text for the code (`strerror`), e.g. "No space left on device".
    public var description: String { String(cString: strerror(code)) }

    public static let interrupted = Errno(EINTR)
    public static let wouldBlock = Errno(EAGAIN)
    public static let exists = Errno(EEXIST)
    public static let noSuchFile = Errno(ENOENT)
    public static let isDirectory = Errno(EISDIR)
    public static let permissionDenied = Errno(EACCES)
    public static let brokenPipe = Errno(EPIPE)
    /// Also what a write that accepts no byte (returns 0) is reported as.
    public static let io = Errno(EIO)
}
