import Glibc

/// An open file descriptor that this value owns: it is closed exactly once, by
/// ``close()`` or when the value goes away. `~Copyable`, so two owners of one descriptor
/// (a double close, a use after close) do not compile; a class that must close early
/// holds it as an `Optional` and closes with `descriptor.take()?.close()`.
///
/// Every operation retries after `EINTR`, finishes short writes and throws ``Errno``
/// (see ``SystemCall``). Opened with `O_CLOEXEC`: no child process inherits it.
/// Thread safety: the descriptor number is immutable; concurrent calls are as safe as
/// the system calls themselves. Allocation: the calls that take a buffer allocate
/// nothing (so a writer thread may use them per record); ``read(upTo:at:)`` returns a new
/// array, and the calls that take a path build its C string.
public struct FileDescriptor: ~Copyable, Sendable {
    /// The descriptor number, for calls this layer does not wrap (`termios`).
    public let rawValue: Int32

    /// How to open a file; `closeOnExec` is always added.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readOnly = Options(rawValue: O_RDONLY)
        public static let writeOnly = Options(rawValue: O_WRONLY)
        public static let readWrite = Options(rawValue: O_RDWR)
        public static let create = Options(rawValue: O_CREAT)
        public static let truncate = Options(rawValue: O_TRUNC)
        /// With `create`: fail with ``Errno/exists`` if the name is taken.
        public static let exclusive = Options(rawValue: O_EXCL)
        /// Fail (`ELOOP`) instead of following a symbolic link in the last component.
        public static let noFollow = Options(rawValue: O_NOFOLLOW)
        public static let nonBlocking = Options(rawValue: O_NONBLOCK)
        public static let noControllingTerminal = Options(rawValue: O_NOCTTY)
        public static let directory = Options(rawValue: O_DIRECTORY)
    }

    /// Takes ownership of an open descriptor.
    public init(adopting rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path`; `permissions` apply when the file is created (less the umask).
    public init(opening path: String, _ options: Options, permissions: UInt32 = 0o644) throws(Errno) {
        rawValue = try SystemCall.retrying { open(path, options.rawValue | O_CLOEXEC, mode_t(permissions)) }
    }

    /// Opens `path` for reading only if it is not a directory: a directory is
    /// ``Errno/isDirectory``, decided on the open descriptor (fstat), so there is no
    /// window between a check and the open.
    public init(readingFile path: String) throws(Errno) {
        let file = try FileDescriptor(opening: path, .readOnly)
        if try file.status().isDirectory { throw .isDirectory }
        self = file
    }

    /// A second descriptor for the open file `rawValue` (`F_DUPFD_CLOEXEC`), owned by
    /// this value: closing it leaves `rawValue` open (standard input read as a file).
    public init(duplicating rawValue: Int32) throws(Errno) {
        self.rawValue = try SystemCall.retrying { fcntl(rawValue, F_DUPFD_CLOEXEC, Int32(0)) }
    }

    deinit { SystemCall.closeDescriptor(rawValue) }

    /// Closes now. A failure of close(2) is not reported: the data's safety was decided
    /// by ``synchronizeData()``, and retrying a close is never right on Linux.
    public consuming func close() {
        let number = rawValue
        discard self
        SystemCall.closeDescriptor(number)
    }

    // MARK: Reading and writing

    /// Writes every byte (at `offset` if given, leaving the file position alone).
    /// `written` counts the bytes that reached the file, also when it throws.
    public func write(all bytes: UnsafeRawBufferPointer, at offset: Int? = nil, written: inout Int) throws(Errno) {
        try SystemCall.writeAll(rawValue, bytes, at: offset, written: &written)
    }

    /// Writes every byte (at `offset` if given).
    public func write(all bytes: UnsafeRawBufferPointer, at offset: Int? = nil) throws(Errno) {
        var written = 0
        try write(all: bytes, at: offset, written: &written)
    }

    /// Writes every byte of `bytes` (at `offset` if given).
    public func write(all bytes: [UInt8], at offset: Int? = nil) throws(Errno) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try write(all: buffer, at: offset) } }.get()
    }

    /// One write(2) on a non-blocking descriptor: the bytes taken, 0 when it would block.
    public func writeSome(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        do {
            return try SystemCall.retrying { SystemCall.writeOnce(rawValue, bytes.baseAddress, bytes.count) }
        } catch where error == .wouldBlock {
            return 0
        }
    }

    /// One read(2): the bytes read, 0 at the end of the file; ``Errno/wouldBlock`` on a
    /// non-blocking descriptor with nothing to read.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try SystemCall.retrying { SystemCall.readOnce(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads until `buffer` is full or the file ends (at `offset` if given): the bytes read.
    public func read(fill buffer: UnsafeMutableRawBufferPointer, at offset: Int? = nil) throws(Errno) -> Int {
        try SystemCall.readFully(rawValue, into: buffer, at: offset)
    }

    /// Up to `count` bytes from `offset`, or from the file position when nil (fewer
    /// where the file ends).
    public func read(upTo count: Int, at offset: Int?) throws(Errno) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, count))
        let n = try bytes.withUnsafeMutableBytes { buffer in Result { () throws(Errno) in try read(fill: buffer, at: offset) } }.get()
        bytes.removeLast(bytes.count - n)
        return bytes
    }

    /// What ``wait(for:milliseconds:)`` waits for.
    public enum Readiness: Sendable { case readable, writable }

    /// Waits up to `milliseconds` until the descriptor is ready; false on a timeout or
    /// an interrupting signal. `hangUp` is set when the other end went away.
    public func wait(for readiness: Readiness, milliseconds: Int32, hangUp: inout Bool) throws(Errno) -> Bool {
        var request = pollfd(fd: rawValue, events: Int16(readiness == .readable ? POLLIN : POLLOUT), revents: 0)
        let ready = poll(&request, 1, milliseconds)
        if ready < 0 {
            let failure = Errno.current
            if failure == .interrupted { return false }
            throw failure
        }
        hangUp = request.revents & Int16(POLLHUP) != 0
        return ready > 0
    }

    // MARK: The file

    /// Flushes the file's data (and the metadata needed to read it) to the disk.
    public func synchronizeData() throws(Errno) {
        _ = try SystemCall.retrying { fdatasync(rawValue) }
    }

    /// Flushes the file's data and all its metadata to the disk (fsync).
    public func synchronize() throws(Errno) {
        _ = try SystemCall.retrying { fsync(rawValue) }
    }

    /// Cuts (or extends) the file to `size` bytes.
    public func truncate(to size: Int) throws(Errno) {
        _ = try SystemCall.retrying { ftruncate(rawValue, off_t(size)) }
    }

    /// What fstat(2) says about the open file.
    public struct Status: Sendable {
        public let size: Int
        public let isDirectory: Bool
        /// A plain file (not a pipe, device, socket or directory): its `size` is its length.
        public let isRegularFile: Bool
        /// The permission bits, set-id and sticky bits included (`st_mode & 0o7777`).
        public let permissions: UInt32
        public let owner: UInt32
        public let group: UInt32
    }

    public func status() throws(Errno) -> Status {
        var info = stat()
        _ = try SystemCall.retrying { fstat(rawValue, &info) }
        return Status(size: Int(info.st_size), isDirectory: info.st_mode & S_IFMT == S_IFDIR,
                      isRegularFile: info.st_mode & S_IFMT == S_IFREG,
                      permissions: UInt32(info.st_mode & 0o7777), owner: UInt32(info.st_uid), group: UInt32(info.st_gid))
    }

    /// Gives the file to `owner`/`group`; false when not allowed (not an error for a
    /// caller that only tries).
    public func changeOwner(to owner: UInt32, group: UInt32) -> Bool {
        fchown(rawValue, uid_t(owner), gid_t(group)) == 0
    }

    public func changePermissions(to permissions: UInt32) throws(Errno) {
        _ = try SystemCall.retrying { fchmod(rawValue, mode_t(permissions)) }
    }

    /// Whether the descriptor is a terminal (`isatty`).
    public var isTerminal: Bool { isatty(rawValue) == 1 }

    /// Takes the advisory whole-file lock (flock) without waiting: ``Errno`` `EWOULDBLOCK`
    /// when another holds it. Released when the descriptor closes.
    public func lockExclusively() throws(Errno) {
        _ = try SystemCall.retrying { flock(rawValue, LOCK_EX | LOCK_NB) }
    }
}
