import EEGCore
import Foundation

/// What ``EDFRepair/repair(path:)`` found and did.
public struct EDFRepairReport: Sendable, Equatable {
    public let declaredRecords: Int
    public let wholeRecords: Int
    /// Bytes of a torn last record that were dropped.
    public let tornBytes: Int
    public let changed: Bool
}

/// Makes a file left by a crash whole: writes the true record count and drops a torn
/// last record. Never touches a sample of a whole record. Atomic: the repaired file is
/// written beside the original and renamed over it, so a failure leaves the original
/// as it was and no temporary file behind. The repaired file keeps the original's
/// permission bits (and owner, where allowed); a symlink is followed and its target
/// repaired, the link left as it is; the folder is flushed after the rename so the
/// repair survives a power cut.
public enum EDFRepair {
    /// The whole records and torn bytes after the header, checked so the repaired header
    /// can state the count: it must fit the 8-character field, and the recording's length
    /// must be a time the reader accepts (``EDFLimits``).
    static func wholeRecords(_ header: EDFHeader, fileSize: Int, path: String) throws(EDFError) -> (whole: Int, torn: Int) {
        let dataBytes = max(0, fileSize - header.headerBytes)
        let whole = dataBytes / header.recordBytes  // recordBytes ≥ 2: every signal has a sample
        guard whole <= EDFLimits.maxRecords else {
            throw .badField(path: path, field: "number of data records", offset: EDFHeader.recordCountOffset, found: "\(header.recordCount)",
                            expected: "a count the 8-character field can hold, but the file holds \(whole) records of \(header.recordBytes) bytes (more than \(EDFLimits.maxRecords)); not repaired")
        }
        guard Double(whole) * header.recordDuration <= EDFLimits.maxSeconds else {
            throw .badField(path: path, field: "duration of a data record", offset: 244, found: "\(header.recordDuration)",
                            expected: "a duration that keeps \(whole) records within \(Int(EDFLimits.maxSeconds)) s; not repaired")
        }
        return (whole, dataBytes % header.recordBytes)
    }

    /// Refuses a file whose whole records the reader would refuse (malformed
    /// annotations, EDF+D records out of order…): repair fixes a count, and the file it
    /// leaves must open.
    static func checkReadable(path: String) throws(EDFError) {
        let reader = try EDFReader(path: path, countingWholeRecords: true)
        try reader.forEachAnnotation { _ in }
    }

    public static func repair(path link: String) throws(EDFError) -> EDFRepairReport {
        let path = try resolvedTarget(link)
        let original = try opened(path)
        let size = (try? original.status().size) ?? 0
        let fixedPart = (try? original.read(upTo: 256, at: 0)) ?? []
        let headerData = (try? original.read(upTo: EDFHeader.statedSize(fixedPart: fixedPart), at: 0)) ?? []
        let header = try EDFHeader.parse(headerData, path: path)
        let (whole, torn) = try wholeRecords(header, fileSize: size, path: path)
        try checkReadable(path: path)
        let report = EDFRepairReport(declaredRecords: header.recordCount, wholeRecords: whole, tornBytes: torn,
                                     changed: header.recordCount != whole || torn > 0)
        guard report.changed else { return report }

        let temporary = temporaryName(beside: path)
        let out = try createTemporary(temporary, like: original, path: path)
        var ok = false
        defer { if !ok { unlink(temporary) } }
        // The original header bytes with only the record count replaced: nothing else
        // of another tool's header is rewritten.
        var newHeader = headerData
        var count = Array("\(whole)".utf8)
        count += Array(repeating: UInt8(ascii: " "), count: 8 - count.count)
        newHeader.replaceSubrange(EDFHeader.recordCountOffset..<(EDFHeader.recordCountOffset + 8), with: count)
        try put(newHeader, into: out, at: 0, temporary: temporary)
        try copyRecords(whole * header.recordBytes, from: original, at: header.headerBytes, into: out, temporary: temporary, path: path)
        try commit(out, temporary: temporary, over: path)
        ok = true
        return report
    }

    // MARK: File handling

    /// The file a path names, symlinks followed, so the target is repaired in place of
    /// the link being replaced by a regular file.
    static func resolvedTarget(_ path: String) throws(EDFError) -> String {
        guard let resolved = realpath(path, nil) else {
            throw .cannotOpen(path: path, operation: "opening", errno: Errno(errno == 0 ? ENOENT : errno))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func opened(_ path: String) throws(EDFError) -> FileDescriptor {
        let file: FileDescriptor
        do { file = try FileDescriptor(opening: path, .readOnly) } catch { throw .cannotOpen(path: path, operation: "opening", errno: error) }
        // A directory opens read-only on Linux: refused here as the reader refuses it.
        let status: FileDescriptor.Status
        do { status = try file.status() } catch { throw .cannotOpen(path: path, operation: "opening", errno: error) }
        if status.isDirectory { throw .isDirectory(path: path) }
        return file
    }

    /// Whole writes: a short write is retried, so a full disk is reported by the write
    /// that fails (ENOSPC), not as a stale errno.
    static func put(_ bytes: [UInt8], into out: borrowing FileDescriptor, at offset: Int, temporary: String) throws(EDFError) {
        do { try out.write(all: bytes, at: offset) } catch { throw .io(path: temporary, operation: "writing the repaired copy", errno: error) }
    }

    /// Copies `count` bytes of whole records, a MiB at a time, from `offset` in the original.
    static func copyRecords(_ count: Int, from original: borrowing FileDescriptor, at offset: Int, into out: borrowing FileDescriptor,
                            temporary: String, path: String) throws(EDFError) {
        var done = 0
        while done < count {
            let chunk: [UInt8]
            do {
                chunk = try original.read(upTo: min(count - done, 1 << 20), at: offset + done)
            } catch {
                // A failing disk is an I/O error (74), not a damaged file (65).
                throw .io(path: path, operation: "reading the data records", errno: error)
            }
            guard !chunk.isEmpty else { throw .truncated(path: path, need: offset + count, have: offset + done, what: "the data records") }
            try put(chunk, into: out, at: offset + done, temporary: temporary)
            done += chunk.count
        }
    }

    /// The repaired copy's name: beside `path` (same folder, so the rename is atomic).
    static func temporaryName(beside path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).repair-\(getpid())").path
    }

    /// A new, empty file named `temporary` with the original's permission bits and,
    /// where allowed, its owner; removed again if that fails.
    static func createTemporary(_ temporary: String, like original: borrowing FileDescriptor, path: String) throws(EDFError) -> FileDescriptor {
        let status: FileDescriptor.Status
        do { status = try original.status() } catch { throw .cannotOpen(path: path, operation: "opening", errno: error) }
        // Created private (0600), then given the original's bits: never wider than them.
        let out: FileDescriptor
        do {
            out = try FileDescriptor(opening: temporary, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600)
        } catch {
            throw .io(path: temporary, operation: "creating the repaired copy", errno: error)
        }
        // Owner first (a chown may clear set-id bits), then the mode. Not being allowed
        // to give the file to another user is not a failure: it stays the caller's.
        _ = out.changeOwner(to: status.owner, group: status.group)
        do {
            try out.changePermissions(to: status.permissions)
        } catch {
            unlink(temporary)
            throw .io(path: temporary, operation: "setting the repaired copy's permissions", errno: error)
        }
        return out
    }

    /// Flushes the repaired copy, renames it over `path` and flushes the folder, so
    /// after a power cut either the old or the repaired file is there, whole.
    static func commit(_ out: borrowing FileDescriptor, temporary: String, over path: String) throws(EDFError) {
        do { try out.synchronize() } catch { throw .io(path: temporary, operation: "flushing the repaired copy", errno: error) }
        guard rename(temporary, path) == 0 else { throw .io(path: path, operation: "replacing the file with its repaired copy", errno: Errno(errno)) }
        do { try FileDescriptor.synchronizeFolder(of: path) } catch {
            throw .io(path: FileDescriptor.folder(of: path), operation: "flushing the folder after the rename", errno: error)
        }
    }
}
