import EEGCore
import Foundation

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

    /// The open file; nil once closed (closed exactly once, by ``close()`` or ``discard()``).
    private var file: FileDescriptor?
    private let recordBuffer: UnsafeMutableRawBufferPointer
    private let digital: UnsafeMutablePointer<Int32>   // framesPerRecord × channels, channel-major
    /// Signals at a fraction of the frame rate, after the channels (see ``auxiliaryCount``).
    private var auxiliary: EDFAuxiliaryTracks
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
    ///   - auxiliary: signals recorded after the channels at their own rate: each one's
    ///     `samplesPerRecord` must divide `framesPerRecord` (25 beside 250); frames
    ///     appended carry one value per aux signal (``append(_:auxiliary:)``).
    ///   - annotationBytesPerRecord: room for TALs in each record.
    ///   - overwrite: replace an existing file (otherwise ``EDFError/exists(path:)``).
    public init(path: String, flavor: EDFFlavor, channels: [EDFSignal], auxiliary: [EDFSignal] = [], start: DateComponents,
                patient: String = "X X X X", recording: String? = nil, recordDuration: Double = 1,
                annotationBytesPerRecord: Int = 384, overwrite: Bool = false) throws(EDFError) {
        guard let first = channels.first else { throw .invalidSpec("a recording needs at least one channel") }
        guard annotationBytesPerRecord >= 120 else {
            throw .invalidSpec("each record needs at least 120 bytes of annotation space, not \(annotationBytesPerRecord)")
        }
        guard channels.allSatisfy({ $0.samplesPerRecord == first.samplesPerRecord }) else {
            throw .invalidSpec("all channels must have the same sample rate")
        }
        // A digital range the format cannot store would be written as a header that no
        // reader (this one included) accepts, and samples cut to 16 or 24 bits.
        let limit = flavor.digitalLimit
        for signal in channels + auxiliary where signal.digitalMinimum < -limit - 1 || signal.digitalMaximum > limit {
            throw .invalidSpec("signal \(signal.label): digital range \(signal.digitalMinimum)…\(signal.digitalMaximum) does not fit \(flavor == .edf ? "EDF's 16-bit" : "BDF's 24-bit") samples (\(-limit - 1)…\(limit))\(flavor == .edf ? "; record to .bdf" : "")")
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
        for signal in auxiliary where signal.samplesPerRecord < 1 || first.samplesPerRecord % signal.samplesPerRecord != 0 {
            throw .invalidSpec("aux signal \(signal.label): \(signal.samplesPerRecord) samples per record does not divide the channels' \(first.samplesPerRecord)")
        }
        let stated = (channels + auxiliary).map { signal -> EDFSignal in
            var s = signal
            s.physicalMinimum = Double(formatNumber(s.physicalMinimum, width: 8)) ?? s.physicalMinimum
            s.physicalMaximum = Double(formatNumber(s.physicalMaximum, width: 8)) ?? s.physicalMaximum
            return s
        }
        let tracks = try EDFAuxiliaryTracks(Array(stated.suffix(auxiliary.count)), framesPerSample: auxiliary.map { first.samplesPerRecord / $0.samplesPerRecord },
                                            framesPerRecord: first.samplesPerRecord)
        var header = EDFHeader(flavor: flavor, start: start, signals: stated + [annotations])
        header.patient = patient
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        header.recording = recording ?? String(format: "Startdate %02d-%@-%04d X X EEGKit", start.day ?? 1, months[(start.month ?? 1) - 1], start.year ?? 2000)
        header.recordDuration = recordDuration
        self.header = header

        var unnamed = false
        do {
            file = try Self.create(path: path, header: header.encode(), overwrite: overwrite, unnamed: &unnamed)
        } catch {
            // deinit does not run for an object whose init threw.
            tracks.deallocate()
            throw error
        }
        self.auxiliary = tracks
        linkPending = unnamed
        self.overwrite = overwrite
        recordBuffer = .allocate(byteCount: header.recordBytes, alignment: 16)
        digital = .allocate(capacity: framesPerRecord * channelCount)
        digital.initialize(repeating: 0, count: framesPerRecord * channelCount)
    }

    /// Creates the file holding `header`, flushed to disk, and returns it open for
    /// writing; `unnamed` says whether it still has to be linked under `path`.
    ///
    /// Where the system allows (Linux `O_TMPFILE`), the file is written unnamed and linked
    /// under `path` only once its first whole record is on disk (see ``linkIn()``), so a
    /// crash at any moment leaves either no file or one with at least a record — never
    /// an empty file or a bare header that readers refuse.
    private static func create(path: String, header: [UInt8], overwrite: Bool, unnamed: inout Bool) throws(EDFError) -> FileDescriptor {
        var existing = stat()
        if !overwrite && lstat(path, &existing) == 0 { throw .exists(path: path) }
        if let file = FileDescriptor.unnamed(besides: path) {
            try writeHeader(header, to: file, path: path)
            unnamed = true
            return file
        }
        // O_NOFOLLOW: an overwrite never writes through a symlink to another file.
        let file: FileDescriptor
        do {
            file = try FileDescriptor(opening: path, [.writeOnly, .create, .noFollow, overwrite ? .truncate : .exclusive])
        } catch {
            if error == .exists { throw .exists(path: path) }
            throw .io(path: path, operation: "creating the file", errno: error)
        }
        try writeHeader(header, to: file, path: path)
        // Best effort: a crash right after creation should not lose the file's name.
        try? FileDescriptor.synchronizeFolder(of: path)
        return file
    }

    /// Gives the unnamed file its name (once its first record is on disk); with
    /// `overwrite`, an existing file (or symlink) of that name is replaced, never written
    /// through.
    private func linkIn() throws(Errno) {
        guard linkPending else { return }
        try file?.link(as: path, replacing: overwrite)
        linkPending = false
        try? FileDescriptor.synchronizeFolder(of: path)
    }

    private static func writeHeader(_ header: [UInt8], to file: borrowing FileDescriptor, path: String) throws(EDFError) {
        do {
            try file.write(all: header, at: 0)
            try file.synchronizeData()
        } catch {
            throw .io(path: path, operation: "writing the header", errno: error)
        }
    }

    /// Gives up a file that holds no record yet (the session never started): it is not
    /// named (or, where it was created named, removed), so a failed start leaves no file
    /// behind. After the first record this is ``close()``.
    public func discard() {
        guard recordsWritten == 0, !closed else { try? close(); return }
        closed = true
        if !linkPending { unlink(path) }
        file.take()?.close()
    }

    deinit {
        if !closed { try? close() }
        recordBuffer.deallocate()
        digital.deallocate()
        auxiliary.deallocate()
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
        try append(frames, auxiliary: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Aux signals recorded after the channels, at their own rate.
    public var auxiliaryCount: Int { auxiliary.count }

    /// Appends frames with their aux values: `auxiliary` holds ``auxiliaryCount`` values
    /// per frame (interleaved), or nothing (the aux signals then read 0).
    public func append(_ frames: UnsafeBufferPointer<Float>, auxiliary aux: UnsafeBufferPointer<Float>) throws(WriteError) {
        if let failure { throw failure }
        let channels = channelCount
        precondition(frames.count % channels == 0, "not a whole number of frames")
        var frame = 0
        let total = frames.count / channels
        precondition(aux.isEmpty || aux.count == total * auxiliary.count, "one value per aux signal per frame")
        while frame < total {
            let take = min(framesPerRecord - filled, total - frame)
            if aux.isEmpty || auxiliary.count == 0 {
                auxiliary.fillZero(from: filled, count: take)
            } else {
                for i in 0..<take { auxiliary.store(aux, frame: frame + i, at: filled + i) }
            }
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
            auxiliary.fillZero(from: filled, count: take)
            filled += take
            remaining -= take
            framesWritten += Int64(take)
            if filled == framesPerRecord {
                try writeRecord(sync: false)
                unsynced = true
            }
        }
        if unsynced { try guarded("flushing to disk") { () throws(Errno) in try file?.synchronizeData() } }
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
        var offset = 0
        let out = recordBuffer.baseAddress!
        for c in 0..<channelCount {
            header.flavor.store(digital + c * framesPerRecord, count: framesPerRecord, into: out, at: &offset)
        }
        auxiliary.encode(into: out, offset: &offset, flavor: header.flavor)
        // The annotation signal: time-keeping TAL, then as many pending TALs as fit.
        var tal = TAL.timekeeping(Double(recordsWritten) * header.recordDuration)
        tal += annotations.take(fitting: annotationBytes - tal.count)
        for i in 0..<annotationBytes { out.storeBytes(of: i < tal.count ? tal[i] : 0, toByteOffset: offset + i, as: UInt8.self) }
        lastRecordTALBytes = tal.count
        let start = header.headerBytes + recordsWritten * header.recordBytes
        try guarded("writing data record \(recordsWritten + 1)") { () throws(Errno) in
            try file?.write(all: UnsafeRawBufferPointer(recordBuffer), at: start)
            if shouldSync || linkPending { try file?.synchronizeData() }
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
        defer { file.take()?.close() }
        if failure != nil { return }
        if filled > 0 {
            let padding = framesPerRecord - filled
            let rate = Double(framesPerRecord) / header.recordDuration
            annotate(Annotation(onset: duration, duration: Double(padding) / rate, kind: .padding), essential: true)
            let zero = channels(zeroValue: 0)
            for c in 0..<channelCount { (digital + c * framesPerRecord + filled).update(repeating: zero[c], count: padding) }
            auxiliary.fillZero(from: filled, count: padding)
            filled = framesPerRecord
            try writeRecord(sync: false)
        }
        annotations.reportDrops()
        if recordsWritten > 0 {
            // Late annotations go into the spare annotation space of the last record.
            let extra = annotations.take(fitting: annotationBytes - lastRecordTALBytes)
            if !extra.isEmpty {
                let channelBytes = channelCount * framesPerRecord * header.flavor.bytesPerSample
                    + auxiliary.recordBytes(bytesPerSample: header.flavor.bytesPerSample)
                let at = header.headerBytes + (recordsWritten - 1) * header.recordBytes + channelBytes + lastRecordTALBytes
                try guarded("writing the last annotations") { () throws(Errno) in try file?.write(all: extra, at: at) }
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
                auxiliary.fillZero(from: 0, count: framesPerRecord)
                try writeRecord(sync: false)
            }
        }
        header.recordCount = recordsWritten
        try guarded("writing the record count") { () throws(Errno) in
            try writeRecordCount()
            try file?.synchronizeData()
        }
    }

    /// Why writing stopped, if it did: the file then holds every whole record written
    /// before, and its header says how many.
    public private(set) var failure: WriteError?

    /// Runs a write; on failure finishes the file as far as it is whole (drops a torn
    /// record, writes the record count) so it is valid without repair, then rethrows.
    private func guarded(_ operation: String, _ body: () throws(Errno) -> Void) throws(WriteError) {
        do {
            try body()
        } catch {
            // Best effort: each step only shrinks the file or overwrites bytes it
            // already has, so it needs no free space. If one fails the header keeps −1
            // and 'eeg repair' finishes the job.
            let truncated = (try? file?.truncate(to: header.headerBytes + recordsWritten * header.recordBytes)) != nil
            header.recordCount = recordsWritten
            let counted = (try? writeRecordCount()) != nil && (try? file?.synchronizeData()) != nil
            let kept = String(format: "%g s", Double(recordsWritten) * header.recordDuration)
            let outcome = truncated && counted
                ? "the file is closed, valid, with the \(recordsWritten) records (\(kept)) written before"
                : "the \(recordsWritten) records (\(kept)) written before are safe; run 'eeg repair \(path)'"
            let failed = WriteError(path: path, operation: operation, errno: error, outcome: outcome)
            failure = failed
            throw failed
        }
    }

    private func writeRecordCount() throws(Errno) {
        var countField = Array("\(recordsWritten)".utf8)
        countField += Array(repeating: UInt8(ascii: " "), count: 8 - countField.count)
        try file?.write(all: countField, at: EDFHeader.recordCountOffset)
    }
}
