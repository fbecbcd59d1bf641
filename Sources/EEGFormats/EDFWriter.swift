import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes EDF+ (16-bit) or BDF+ (24-bit) as frames arrive, one data record at a time.
///
/// Crash safety: the header is written first with "number of data records" −1; each
/// completed record is written and flushed to the disk (`fdatasync`) at once, so the
/// file is valid after every record and a crash loses at most the record being filled
/// (≤ 1 s). `close()` pads and writes the last partial record (annotated as padding) and
/// writes the record count. `eeg repair` finishes a file whose writer never closed.
///
/// Gaps are never stitched: ``gap(frames:)`` writes the missing span as zero-valued
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
    private var pending: [[UInt8]] = []
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
        guard channels.allSatisfy({ $0.samplesPerRecord == first.samplesPerRecord }) else {
            throw .invalidSpec("all channels must have the same sample rate")
        }
        self.path = path
        channelCount = channels.count
        framesPerRecord = first.samplesPerRecord
        let annotationSamples = (annotationBytesPerRecord + flavor.bytesPerSample - 1) / flavor.bytesPerSample
        annotationBytes = annotationSamples * flavor.bytesPerSample
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

        // O_NOFOLLOW: an overwrite never writes through a symlink to another file.
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { throw .exists(path: path) }
            throw .io(path: path, operation: "creating the file", errno: errno)
        }
        recordBuffer = .allocate(byteCount: header.recordBytes, alignment: 16)
        digital = .allocate(capacity: framesPerRecord * channelCount)
        digital.initialize(repeating: 0, count: framesPerRecord * channelCount)
        do {
            try writeAll(header.encode(), at: 0)
            try sync()
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit {
        if !closed { try? close() }
        recordBuffer.deallocate()
        digital.deallocate()
    }

    /// Seconds of signal written so far.
    public var duration: Double { Double(framesWritten) / Double(framesPerRecord) * header.recordDuration }

    /// Appends whole interleaved frames of physical values (µV).
    public func append(_ frames: UnsafeBufferPointer<Float>) throws(EDFError) {
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
                    let (d, clipped) = signal.digital(frames[(frame + i) * channels + c])
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
    /// as lost (`reason`), so the timeline stays true and nothing is stitched.
    public func gap(frames: Int, reason: String) throws(EDFError) {
        guard frames > 0 else { return }
        let rate = Double(framesPerRecord) / header.recordDuration
        annotate(Annotation(onset: duration, duration: Double(frames) / rate,
                            text: "EEGKit: \(frames) samples lost (\(reason)); zeros here are not data"))
        var remaining = frames
        let zero = channels(zeroValue: 0)
        while remaining > 0 {
            let take = min(framesPerRecord - filled, remaining)
            for c in 0..<channelCount {
                (digital + c * framesPerRecord + filled).update(repeating: zero[c], count: take)
            }
            filled += take
            remaining -= take
            framesWritten += Int64(take)
            if filled == framesPerRecord { try writeRecord() }
        }
    }

    private func channels(zeroValue: Float) -> [Int32] {
        (0..<channelCount).map { header.signals[$0].digital(zeroValue).0 }
    }

    /// Adds an annotation; it is written with the record being filled (or the next ones,
    /// if that record's annotation space is full).
    public func annotate(_ annotation: Annotation) {
        pending.append(TAL.encode(annotation))
    }

    private func writeRecord() throws(EDFError) {
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
        while let next = pending.first, tal.count + next.count <= annotationBytes {
            tal += next
            pending.removeFirst()
        }
        for i in 0..<annotationBytes { out.storeBytes(of: i < tal.count ? tal[i] : 0, toByteOffset: offset + i, as: UInt8.self) }
        lastRecordTALBytes = tal.count
        let start = header.headerBytes + recordsWritten * header.recordBytes
        try writeAll(UnsafeRawBufferPointer(recordBuffer), at: start)
        try sync()
        recordsWritten += 1
        filled = 0
    }

    /// Pads and writes the last partial record, flushes annotations still waiting, and
    /// writes the record count. Idempotent.
    public func close() throws(EDFError) {
        guard !closed else { return }
        closed = true
        defer { Glibc.close(fd) }
        if filled > 0 {
            let padding = framesPerRecord - filled
            let rate = Double(framesPerRecord) / header.recordDuration
            annotate(Annotation(onset: duration, duration: Double(padding) / rate,
                                text: "EEGKit: recording ended; the rest of this record is padding, not data"))
            let zero = channels(zeroValue: 0)
            for c in 0..<channelCount { (digital + c * framesPerRecord + filled).update(repeating: zero[c], count: padding) }
            filled = framesPerRecord
            try writeRecord()
        }
        if recordsWritten > 0 {
            // Late annotations go into the spare annotation space of the last record.
            var extra: [UInt8] = []
            while let next = pending.first, lastRecordTALBytes + extra.count + next.count <= annotationBytes {
                extra += next
                pending.removeFirst()
            }
            if !extra.isEmpty {
                let channelBytes = channelCount * framesPerRecord * header.flavor.bytesPerSample
                let at = header.headerBytes + (recordsWritten - 1) * header.recordBytes + channelBytes + lastRecordTALBytes
                try writeAll(extra, at: at)
                lastRecordTALBytes += extra.count
            }
        }
        if !pending.isEmpty {
            // Annotations that still do not fit get records of their own, marked as
            // padding so no reader mistakes them for signal.
            annotate(Annotation(onset: duration, duration: header.recordDuration * Double((pending.count + 3) / 4),
                                text: "EEGKit: recording ended; the rest of this record is padding, not data"))
            let zero = channels(zeroValue: 0)
            while !pending.isEmpty {
                for c in 0..<channelCount { (digital + c * framesPerRecord).update(repeating: zero[c], count: framesPerRecord) }
                try writeRecord()
            }
        }
        header.recordCount = recordsWritten
        var countField = Array("\(recordsWritten)".utf8)
        countField += Array(repeating: UInt8(ascii: " "), count: 8 - countField.count)
        try writeAll(countField, at: EDFHeader.recordCountOffset)
        try sync()
    }

    private func writeAll(_ bytes: [UInt8], at offset: Int) throws(EDFError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try writeAll(UnsafeRawBufferPointer(copy), at: offset)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(EDFError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "writing", errno: errno)
            }
            done += n
        }
    }

    private func sync() throws(EDFError) {
        guard fdatasync(fd) == 0 else { throw .io(path: path, operation: "flushing to disk", errno: errno) }
    }
}
