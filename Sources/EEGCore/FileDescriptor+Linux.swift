import Glibc

/// Crash-safe file creation, which needs Linux: an unnamed file (`O_TMPFILE`) is
/// written first and named once it holds something whole, and directory entries are
/// flushed so a new name survives a power cut.
extension FileDescriptor {
    /// A new unnamed file, open for writing, in the folder `path` would be in; nil where
    /// the system or file system does not offer one, or it could not be named later
    /// (no `/proc`). Name it with ``link(as:replacing:)``.
    public static func unnamed(besides path: String, permissions: UInt32 = 0o644) -> FileDescriptor? {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; Glibc's macro does not import into
        // Swift, and __O_TMPFILE is 0o20000000 on these architectures.
        let temporaryFile = Options(rawValue: 0o20000000 | O_DIRECTORY)
        guard let file = try? FileDescriptor(opening: folder(of: path), [temporaryFile, .writeOnly], permissions: permissions) else { return nil }
        guard access(file.procPath, F_OK) == 0 else { return nil }
        return file
        #else
        return nil
        #endif
    }

    /// Gives an unnamed file (``unnamed(besides:permissions:)``) the name `path`.
    /// With `replacing`, an existing file or symlink of that name is removed first —
    /// never written through. Throws ``Errno/exists`` otherwise.
    public func link(as path: String, replacing: Bool) throws(Errno) {
        let source = procPath
        if linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return }
        var failure = Errno.current
        if failure == .exists && replacing {
            unlink(path)
            if linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return }
            failure = Errno.current
        }
        throw failure
    }

    private var procPath: String { "/proc/self/fd/\(rawValue)" }

    /// Flushes the folder holding `path`, so a name just created, linked or renamed
    /// there survives a power cut.
    public static func synchronizeFolder(of path: String) throws(Errno) {
        let folder = try FileDescriptor(opening: folder(of: path), [.readOnly, .directory])
        try folder.synchronize()
    }

    /// The folder part of `path` ("." for a bare name).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = path[..<slash]
        return folder.isEmpty ? "/" : String(folder)
    }
}
