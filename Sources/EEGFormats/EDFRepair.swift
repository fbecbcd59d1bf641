import EEGCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .io(path: path, operation: "opening", errno: errno == 0 ? ENOENT : errno)
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let fixed = (try? handle.read(upToCount: 256)) ?? Data()
        var headerSize = 256
        if fixed.count == 256, let ns = try? CheckedNumber.integer(Array(fixed[252..<256]), field: "", offset: 252, in: 1...EDFLimits.maxSignals, expected: "") {
            headerSize = 256 * (ns + 1)
        }
        try? handle.seek(toOffset: 0)
        let headerData = (try? handle.read(upToCount: headerSize)) ?? Data()
        let header = try EDFHeader.parse(Array(headerData), path: path)
        let (whole, torn) = try wholeRecords(header, fileSize: size, path: path)
        try checkReadable(path: path)
        let report = EDFRepairReport(declaredRecords: header.recordCount, wholeRecords: whole, tornBytes: torn,
                                     changed: header.recordCount != whole || torn > 0)
        guard report.changed else { return report }

        let (out, temporary) = try createTemporary(beside: path)
        var ok = false
        defer {
            Glibc.close(out)
            if !ok { unlink(temporary) }
        }
        var fixedHeader = header
        fixedHeader.recordCount = whole
        // Whole writes: a short write is retried, so a full disk is reported by the
        // write that fails (ENOSPC), not as a stale errno.
        func put(_ data: Data) throws(EDFError) {
            var done = 0
            while done < data.count {
                let n = data.withUnsafeBytes { Glibc.write(out, $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw .io(path: temporary, operation: "writing the repaired copy", errno: n < 0 ? errno : EIO) }
                done += n
            }
        }
        // The original header bytes with only the record count replaced: nothing else
        // of another tool's header is rewritten.
        var newHeader = Array(headerData)
        var count = Array("\(whole)".utf8)
        count += Array(repeating: UInt8(ascii: " "), count: 8 - count.count)
        newHeader.replaceSubrange(EDFHeader.recordCountOffset..<(EDFHeader.recordCountOffset + 8), with: count)
        try put(Data(newHeader))
        try? handle.seek(toOffset: UInt64(header.headerBytes))
        var remaining = whole * header.recordBytes
        while remaining > 0 {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: min(remaining, 1 << 20)) ?? Data()
            } catch {
                // A failing disk is an I/O error (74), not a damaged file (65).
                throw .io(path: path, operation: "reading the data records", errno: EIO)
            }
            guard !chunk.isEmpty else { throw .truncated(path: path, need: header.headerBytes + whole * header.recordBytes, have: header.headerBytes + whole * header.recordBytes - remaining, what: "the data records") }
            try put(chunk)
            remaining -= chunk.count
        }
        try commit(out, temporary: temporary, over: path)
        ok = true
        return report
    }

    // MARK: File handling

    /// The file a path names, symlinks followed, so the target is repaired in place of
    /// the link being replaced by a regular file.
    static func resolvedTarget(_ path: String) throws(EDFError) -> String {
        guard let resolved = realpath(path, nil) else {
            throw .io(path: path, operation: "opening", errno: errno == 0 ? ENOENT : errno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A new, empty file beside `path` (same folder, so the rename is atomic) with
    /// `path`'s permission bits and, where allowed, its owner. Returns its descriptor and
    /// name; the caller closes it and unlinks it on failure.
    static func createTemporary(beside path: String) throws(EDFError) -> (Int32, String) {
        var original = stat()
        guard stat(path, &original) == 0 else { throw .io(path: path, operation: "opening", errno: errno) }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).repair-\(getpid())").path
        // Created private (0600), then given the original's bits: never wider than them.
        let out = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw .io(path: temporary, operation: "creating the repaired copy", errno: errno) }
        // Owner first (a chown may clear set-id bits), then the mode. Not being allowed
        // to give the file to another user is not a failure: it stays the caller's.
        _ = fchown(out, original.st_uid, original.st_gid)
        guard fchmod(out, original.st_mode & 0o7777) == 0 else {
            let error = errno
            Glibc.close(out)
            unlink(temporary)
            throw .io(path: temporary, operation: "setting the repaired copy's permissions", errno: error)
        }
        return (out, temporary)
    }

    /// Flushes the repaired copy, renames it over `path` and flushes the folder, so
    /// after a power cut either the old or the repaired file is there, whole.
    static func commit(_ out: Int32, temporary: String, over path: String) throws(EDFError) {
        guard fsync(out) == 0 else { throw .io(path: temporary, operation: "flushing the repaired copy", errno: errno) }
        guard rename(temporary, path) == 0 else { throw .io(path: path, operation: "replacing the file with its repaired copy", errno: errno) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw .io(path: folder, operation: "flushing the folder after the rename", errno: errno) }
        defer { Glibc.close(directory) }
        guard fsync(directory) == 0 else { throw .io(path: folder, operation: "flushing the folder after the rename", errno: errno) }
    }
}
