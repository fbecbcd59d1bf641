import EEGCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes EDF+ (16-bit) or BDF+ (24-bit) as frames arrive, one data record at a time.
///
/// Crash safety: the file appears under its name only with its header on disk (see
/// `create`), the header saying "number of data records" −1; each
/// completed record is written and flushed to the disk (`fdatasync`) at once, so the
/// file is valid after every record and a crash loses at most the record being filled
/// (≤ 1 s). `close()` pads and writes the last partial record (annotated as padding) and
/// writes the record count. `eeg repair` finishes a file whose writer never closed.
///
/// Write failures (a full disk, a file-size limit) throw ``WriteError`` with its kind,
/// after the writer has finished the file as far as it is whole: the torn record is cut
/// off and the header states the records that are there, so the file is valid as it is
/// (and `eeg repair` still has nothing to lose if even that failed).
///
/// Annotations are bounded (see ``annotate(_:essential:)``), so `close()` is too.
///
/// Gaps are never stitched: ``gap(frames:cause:)`` writes the missing span as zero-valued
/// samples with an annotation saying they are not data.
///
/// Not thread-safe: one consumer thread writes. Appending does not allocate per frame
/// (the record buffer is allocated once).
public final class EDFWriter {
    public let path: String
    public private(set) var header: EDFHeader
    public let channelCount: Int
    /// Frames per data record (sample rate × record duration).
    public let framesPerRecord: Int
    public private(set) var recordsWritten = 0
    /// Samples that were outside the physical range and stored at its limit.
    public private(set) var clippedSamples = 0
    /// Frames appended (including gap filling).
    public private(set) var framesWritten: Int64 = 0

    private let fd: Int32
    private let recordBuffer: UnsafeMutableRawBufferPointer
    private let digital: UnsafeMutablePointer<Int32>   // framesPerRecord × channels, channel-major
    private var filled = 0
    private var annotations: AnnotationQueue
    /// The file is still unnamed (``linkIn()`` names it after its first record).
    private var linkPending: Bool
    private let overwrite: Bool
    /// Bytes of annotation space used in the last record written (to add late
    /// annotations to it at close).
    private var lastRecordTALBytes = 0
    private let annotationBytes: Int
    private var closed = false

    /// Creates the file and writes its header.
    ///
    /// - Parameters:
    ///   - channels: the EEG signals (every one with `samplesPerRecord` =
    ///     `framesPerRecord`); the annotations signal is added here.
    ///   - annotationBytesPerRecord: room for TALs in each record.
    ///   - overwrite: replace an existing file (otherwise ``EDFError/exists(path:)``).
    public init(path: String, flavor: EDFFlavor, channels: [EDFSignal], start: DateComponents,
                patient: String = "X X X X", recording: String? = nil, recordDuration: Double = 1,
                annotationBytesPerRecord: Int = 384, overwrite: Bool = false) throws(EDFError) {
        guard let first = channels.first else { throw .invalidSpec("a recording needs at least one channel") }
        guard annotationBytesPerRecord >= 120 else {
            throw .invalidSpec("each record needs at least 120 bytes of annotation space, not \(annotationBytesPerRecord)")
        }
        guard channels.allSatisfy({ $0.samplesPerRecord == first.samplesPerRecord }) else {
            throw .invalidSpec("all channels must have the same sample rate")
        }
        self.path = path
        channelCount = channels.count
        framesPerRecord = first.samplesPerRecord
        let annotationSamples = (annotationBytesPerRecord + flavor.bytesPerSample - 1) / flavor.bytesPerSample
        annotationBytes = annotationSamples * flavor.bytesPerSample
        annotations = AnnotationQueue(recordSpace: annotationBytes)
        var annotations = EDFSignal(label: flavor.annotationLabel, physicalMinimum: -1, physicalMaximum: 1,
                                    digitalMinimum: -flavor.digitalLimit - 1, digitalMaximum: flavor.digitalLimit, samplesPerRecord: annotationSamples)
        annotations.physicalDimension = ""
        // Physical limits as the header's 8 characters will state them, so values
        // quantised here dequantise identically in any reader of the file.
        let stated = channels.map { signal -> EDFSignal in
            var s = signal
            s.physicalMinimum = Double(formatNumber(s.physicalMinimum, width: 8)) ?? s.physicalMinimum
            s.physicalMaximum = Double(formatNumber(s.physicalMaximum, width: 8)) ?? s.physicalMaximum
            return s
        }
        var header = EDFHeader(flavor: flavor, start: start, signals: stated + [annotations])
        header.patient = patient
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        header.recording = recording ?? String(format: "Startdate %02d-%@-%04d X X EEGKit", start.day ?? 1, months[(start.month ?? 1) - 1], start.year ?? 2000)
        header.recordDuration = recordDuration
        self.header = header

        (fd, linkPending) = try Self.create(path: path, header: header.encode(), overwrite: overwrite)
        self.overwrite = overwrite
        recordBuffer = .allocate(byteCount: header.recordBytes, alignment: 16)
        digital = .allocate(capacity: framesPerRecord * channelCount)
        digital.initialize(repeating: 0, count: framesPerRecord * channelCount)
    }

    /// Creates the file holding `header`, flushed to disk, and returns it open for
    /// writing, and whether it still has to be linked under `path`.
    ///
    /// Where the system allows (Linux `O_TMPFILE`), the file is written unnamed and linked
    /// under `path` only once its first whole record is on disk (see ``linkIn()``), so a
    /// crash at any moment leaves either no file or one with at least a record — never
    /// an empty file or a bare header that readers refuse.
    private static func create(path: String, header: [UInt8], overwrite: Bool) throws(EDFError) -> (Int32, Bool) {
        if let fd = try createUnnamed(path: path, header: header, overwrite: overwrite) { return (fd, true) }
        // O_NOFOLLOW: an overwrite never writes through a symlink to another file.
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL), 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { throw .exists(path: path) }
            throw .io(path: path, operation: "creating the file", errno: errno)
        }
        do {
            try writeHeader(header, to: fd, path: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
        syncDirectory(of: path)
        return (fd, false)
    }

    /// The `O_TMPFILE` way of ``create(path:header:overwrite:)``; nil when the system or
    /// file system does not offer it (then the file is created by name).
    private static func createUnnamed(path: String, header: [UInt8], overwrite: Bool) throws(EDFError) -> Int32? {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY; Glibc's macro does not import into
        // Swift, and __O_TMPFILE is 0o20000000 on these architectures.
        let temporaryFile: Int32 = 0o20000000 | O_DIRECTORY
        var existing = stat()
        if !overwrite && lstat(path, &existing) == 0 { throw .exists(path: path) }
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, temporaryFile | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        do {
            try writeHeader(header, to: fd, path: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
        // Linking must work later: no /proc, or a file system that cannot link an unnamed
        // file, and the file is created by name instead.
        guard access("/proc/self/fd/\(fd)", F_OK) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return fd
        #else
        return nil
        #endif
    }

    /// Gives the unnamed file its name (once its first record is on disk); with
    /// `overwrite`, an existing file (or symlink) of that name is replaced, never written
    /// through.
    private func linkIn() throws(WriteError) {
        guard linkPending else { return }
        let source = "/proc/self/fd/\(fd)"
        var linked = linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0
        if !linked && errno == EEXIST && overwrite {
            unlink(path)
            linked = linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0
        }
        guard linked else { throw WriteError(path: path, operation: "naming the file", errno: errno) }
        linkPending = false
        Self.syncDirectory(of: path)
    }

    private static func writeHeader(_ header: [UInt8], to fd: Int32, path: String) throws(EDFError) {
        var done = 0
        while done < header.count {
            let n = header[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io(path: path, operation: "writing the header", errno: n < 0 ? errno : EIO) }
            done += n
        }
        guard fdatasync(fd) == 0 else { throw .io(path: path, operation: "writing the header", errno: errno) }
    }

    /// Makes the new directory entry durable (best effort: a crash right after creation
    /// should not lose the file's name).
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        Glibc.close(fd)
    }

    /// Gives up a file that holds no record yet (the session never started): it is not
    /// named (or, where it was created named, removed), so a failed start leaves no file
    /// behind. After the first record this is ``close()``.
    public func discard() {
        guard recordsWritten == 0, !closed else { try? close(); return }
        closed = true
        if !linkPending { unlink(path) }
        Glibc.close(fd)
    }

    deinit {
        if !closed { try? close() }
        recordBuffer.deallocate()
        digital.deallocate()
    }

    /// Seconds of signal written so far.
    public var duration: Double { Double(framesWritten) / Double(framesPerRecord) * header.recordDuration }

    /// Appends whole interleaved frames of physical values (µV).
    ///
    /// - Throws: ``WriteError`` when a record cannot be written (disk full, file too
    ///   large, …). The writer has then already finished the file: it holds every whole
    ///   record written before the failure, with the true record count in its header (see
    ///   ``failure``); later calls throw the same error.
    public func append(_ frames: UnsafeBufferPointer<Float>) throws(WriteError) {
        if let failure { throw failure }
        let channels = channelCount
        precondition(frames.count % channels == 0, "not a whole number of frames")
        var frame = 0
        let total = frames.count / channels
        while frame < total {
            let take = min(framesPerRecord - filled, total - frame)
            for c in 0..<channels {
                let signal = header.signals[c]
                let out = digital + c * framesPerRecord + filled
                for i in 0..<take {
                    let value = frames[(frame + i) * channels + c]
                    // A non-finite value has no digital code: stored as 0 and counted as clipped.
                    let (d, clipped) = value.isFinite ? signal.digital(value) : (signal.digital(0).0, true)
                    out[i] = d
                    if clipped { clippedSamples += 1 }
                }
            }
            filled += take
            frame += take
            framesWritten += Int64(take)
            if filled == framesPerRecord { try writeRecord() }
        }
    }

    /// Records `frames` missing frames at the current position: zero samples, annotated
    /// as lost (``AnnotationKind/samplesLost(count:cause:)``), so the timeline stays true
    /// and nothing is stitched. The zero records of a long gap are flushed to disk once,
    /// at its end.
    public func gap(frames: Int, cause: SampleLossCause) throws(WriteError) {
        if let failure { throw failure }
        guard frames > 0 else { return }
        let rate = Double(framesPerRecord) / header.recordDuration
        annotate(Annotation(onset: duration, duration: Double(frames) / rate, kind: .samplesLost(count: frames, cause: cause)), essential: true)
        var remaining = frames
        let zero = channels(zeroValue: 0)
        var unsynced = false
        while remaining > 0 {
            let take = min(framesPerRecord - filled, remaining)
            for c in 0..<channelCount {
                (digital + c * framesPerRecord + filled).update(repeating: zero[c], count: take)
            }
            filled += take
            remaining -= take
            framesWritten += Int64(take)
            if filled == framesPerRecord {
                try writeRecord(sync: false)
                unsynced = true
            }
        }
        if unsynced { try guarded("flushing to disk") { () throws(WriteError) in try sync() } }
    }

    private func channels(zeroValue: Float) -> [Int32] {
        (0..<channelCount).map { header.signals[$0].digital(zeroValue).0 }
    }

    /// Adds an annotation; it is written with the record being filled (or the next ones,
    /// if that record's annotation space is full).
    ///
    /// Never blocks later annotations and never grows without bound: a text too long for
    /// one record's annotation space is split into parts (very long ones truncated,
    /// saying so in the text), and when annotations come faster than records can carry
    /// them the excess is dropped and counted, with a note in the file. The returned
    /// value says which happened.
    ///
    /// - Parameter essential: never drop it (gaps, the start and end, device events —
    ///   rare, and the timeline depends on them); markers are not essential.
    @discardableResult
    public func annotate(_ annotation: Annotation, essential: Bool = false) -> AnnotationStorage {
        annotations.add(annotation, essential: essential)
    }

    /// Annotations dropped because they came faster than records could carry them.
    public var droppedAnnotationCount: Int { annotations.droppedCount }

    private func writeRecord(sync shouldSync: Bool = true) throws(WriteError) {
        let bytesPerSample = header.flavor.bytesPerSample
        var offset = 0
        let out = recordBuffer.baseAddress!
        for c in 0..<channelCount {
            let values = digital + c * framesPerRecord
            for i in 0..<framesPerRecord {
                let v = UInt32(bitPattern: values[i])
                out.storeBytes(of: UInt8(v & 0xFF), toByteOffset: offset, as: UInt8.self)
                out.storeBytes(of: UInt8((v >> 8) & 0xFF), toByteOffset: offset + 1, as: UInt8.self)
                if bytesPerSample == 3 { out.storeBytes(of: UInt8((v >> 16) & 0xFF), toByteOffset: offset + 2, as: UInt8.self) }
                offset += bytesPerSample
            }
        }
        // The annotation signal: time-keeping TAL, then as many pending TALs as fit.
        var tal = TAL.timekeeping(Double(recordsWritten) * header.recordDuration)
        tal += annotations.take(fitting: annotationBytes - tal.count)
        for i in 0..<annotationBytes { out.storeBytes(of: i < tal.count ? tal[i] : 0, toByteOffset: offset + i, as: UInt8.self) }
        lastRecordTALBytes = tal.count
        let start = header.headerBytes + recordsWritten * header.recordBytes
        try guarded("writing data record \(recordsWritten + 1)") { () throws(WriteError) in
            try writeAll(UnsafeRawBufferPointer(recordBuffer), at: start)
            if shouldSync || linkPending { try sync() }
            try linkIn()
        }
        recordsWritten += 1
        filled = 0
    }

    /// Pads and writes the last partial record, flushes annotations still waiting, and
    /// writes the record count. Idempotent.
    ///
    /// Bounded: at most one partial record plus the annotation backlog
    /// (``AnnotationQueue`` holds at most 32 records' worth) is written, with one flush
    /// to disk at the end. After a write failure the file was already finished by the
    /// failing call; closing then only releases it.
    public func close() throws(WriteError) {
        guard !closed else { return }
        closed = true
        defer { Glibc.close(fd) }
        if failure != nil { return }
        if filled > 0 {
            let padding = framesPerRecord - filled
            let rate = Double(framesPerRecord) / header.recordDuration
            annotate(Annotation(onset: duration, duration: Double(padding) / rate, kind: .padding), essential: true)
            let zero = channels(zeroValue: 0)
            for c in 0..<channelCount { (digital + c * framesPerRecord + filled).update(repeating: zero[c], count: padding) }
            filled = framesPerRecord
            try writeRecord(sync: false)
        }
        annotations.reportDrops()
        if recordsWritten > 0 {
            // Late annotations go into the spare annotation space of the last record.
            let extra = annotations.take(fitting: annotationBytes - lastRecordTALBytes)
            if !extra.isEmpty {
                let channelBytes = channelCount * framesPerRecord * header.flavor.bytesPerSample
                let at = header.headerBytes + (recordsWritten - 1) * header.recordBytes + channelBytes + lastRecordTALBytes
                try guarded("writing the last annotations") { () throws(WriteError) in try writeAll(extra, at: at) }
                lastRecordTALBytes += extra.count
            }
        }
        if !annotations.isEmpty {
            // Annotations that still do not fit get records of their own, marked as
            // padding so no reader mistakes them for signal. Each record takes at least
            // one (every queued TAL fits in a record), so this ends.
            let note = Annotation(onset: duration, duration: 0, kind: .padding)
            var probe = annotations
            _ = probe.add(note, essential: true)
            annotate(Annotation(onset: duration, duration: header.recordDuration * Double(probe.recordsToEmpty()), text: note.text), essential: true)
            let zero = channels(zeroValue: 0)
            while !annotations.isEmpty {
                for c in 0..<channelCount { (digital + c * framesPerRecord).update(repeating: zero[c], count: framesPerRecord) }
                try writeRecord(sync: false)
            }
        }
        header.recordCount = recordsWritten
        try guarded("writing the record count") { () throws(WriteError) in
            try writeRecordCount()
            try sync()
        }
    }

    /// Why writing stopped, if it did: the file then holds every whole record written
    /// before, and its header says how many.
    public private(set) var failure: WriteError?

    /// Runs a write; on failure finishes the file as far as it is whole (drops a torn
    /// record, writes the record count) so it is valid without repair, then rethrows.
    private func guarded(_ operation: String, _ body: () throws(WriteError) -> Void) throws(WriteError) {
        do {
            try body()
        } catch {
            // Best effort: each step only shrinks the file or overwrites bytes it
            // already has, so it needs no free space. If one fails the header keeps −1
            // and 'eeg repair' finishes the job.
            let truncated = ftruncate(fd, off_t(header.headerBytes + recordsWritten * header.recordBytes)) == 0
            header.recordCount = recordsWritten
            let counted = (try? writeRecordCount()) != nil && fdatasync(fd) == 0
            let kept = String(format: "%g s", Double(recordsWritten) * header.recordDuration)
            let outcome = truncated && counted
                ? "the file is closed, valid, with the \(recordsWritten) records (\(kept)) written before"
                : "the \(recordsWritten) records (\(kept)) written before are safe; run 'eeg repair \(path)'"
            let failed = WriteError(path: path, operation: operation, errno: error.errno, outcome: outcome)
            failure = failed
            throw failed
        }
    }

    private func writeRecordCount() throws(WriteError) {
        var countField = Array("\(recordsWritten)".utf8)
        countField += Array(repeating: UInt8(ascii: " "), count: 8 - countField.count)
        try writeAll(countField, at: EDFHeader.recordCountOffset)
    }

    private func writeAll(_ bytes: [UInt8], at offset: Int) throws(WriteError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try writeAll(UnsafeRawBufferPointer(copy), at: offset)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(WriteError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, operation: "writing", errno: errno)
            }
            done += n
        }
    }

    private func sync() throws(WriteError) {
        guard fdatasync(fd) == 0 else { throw WriteError(path: path, operation: "flushing to disk", errno: errno) }
    }
}
