import EEGCore
import Foundation
import Glibc

/// Reads EDF, EDF+, BDF and BDF+ files a record at a time, with memory that does not
/// grow with the file's samples: the header, one record's bytes and one record's frames
/// (plus, for EDF+D, one entry per discontinuity).
///
/// Accepts files from other tools (MNE, pyedflib, EDFbrowser, edfio). The EEG channels
/// are the ordinary signals sharing the first one's sample rate; others are skipped and
/// listed in ``problems``. A record count of −1 (a recording that was never closed) is
/// read as the whole records present, and reported.
///
/// Every number from the file is checked before use (``EDFHeader/parse(_:path:)``,
/// ``EDFLimits``): sizes derived from the header are checked against the file's real
/// size before anything is allocated, and a malformed file is an ``EDFError`` naming the
/// field or record and its byte offset.
///
/// EDF+D (discontinuous): each record's start comes from its time-keeping annotation;
/// ``gaps`` lists where time jumps, and ``recordStart(_:)`` / ``recordFirstSample(_:)``
/// place every record on the recording's timeline. Gaps are never stitched.
public final class EDFReader {
    public let path: String
    public let header: EDFHeader
    /// Indices (into `header.signals`) of the channels delivered as frames.
    public let channelSignals: [Int]
    /// Whole data records in the file.
    public let recordCount: Int
    /// Things a careful user should know (a never-closed recording, skipped signals…).
    public private(set) var problems: [String] = []
    /// Signals that are not EEG channels, by index in the header: described, never read as
    /// channels or analysed. Those at a rate other than the channels' (a Cyton's 25 Hz
    /// accelerometer beside 250 Hz EEG) and those whose unit is not a voltage (a Cyton's
    /// analog inputs in "counts", digital inputs as "level", markers as "code").
    public private(set) var otherSignals: [Int] = []
    public let fileSize: Int

    /// The open file, closed when the reader goes away.
    private let file: FileDescriptor
    /// Whole records read ahead with one read(2), so streaming costs one system call per
    /// batch rather than per record; allocated only when the file holds a record (so its
    /// size, taken from the header, is at most the file's). See ``RecordBatch``.
    private let batch: RecordBatch?
    private let signalOffsets: [Int]
    /// Each channel's digital-to-physical conversion, in ``channelSignals`` order.
    private let channelScales: [SampleScale]
    /// Where the timeline jumps (EDF+D), starting with record 0; one entry for a
    /// continuous file.
    private var segments: [Segment] = []

    /// A run of records that follow each other without a gap.
    struct Segment {
        let firstRecord: Int
        /// Seconds from the file's start date/time.
        let start: Double
        /// The timeline position (samples at ``sampleRate`` from the file's start) of its first frame.
        let firstSample: Int
    }

    /// A jump in time between two records of an EDF+D file: where it is in the file, and
    /// the frames it leaves out of the timeline.
    public struct RecordGap: Sendable, Equatable {
        /// The record after the gap.
        public let record: Int
        /// Where the previous record ends, seconds from the file's start.
        public let from: Double
        /// Where `record` starts.
        public let to: Double
        /// The timeline frames missing (sample indices at ``EDFReader/sampleRate`` from the
        /// file's start; cause ``SampleLossCause/notRecorded``).
        public let missing: FrameGap
        public var seconds: Double { to - from }
    }

    public convenience init(path: String) throws(EDFError) {
        try self.init(path: path, countingWholeRecords: false)
    }

    /// - Parameter countingWholeRecords: read every whole record whatever the header's
    ///   count says (what ``EDFRepair`` is about to write), instead of refusing a count
    ///   larger than the file.
    init(path: String, countingWholeRecords: Bool) throws(EDFError) {
        self.path = path
        let file: FileDescriptor
        do {
            file = try FileDescriptor(opening: path, .readOnly)
        } catch {
            throw .cannotOpen(path: path, operation: error == .noSuchFile ? "opening (no such file)" : "opening", errno: error)
        }
        let status: FileDescriptor.Status
        do { status = try file.status() } catch { throw .io(path: path, operation: "stat", errno: error) }
        if status.isDirectory { throw .isDirectory(path: path) }
        let fileSize = status.size
        self.fileSize = fileSize
        // A throw from here on closes `file` as it goes out of scope.
        do {
            let header = try Self.readHeader(file, fileSize: fileSize, path: path)
            self.header = header
            var offsets: [Int] = []
            var offset = 0
            for s in header.signals {
                offsets.append(offset)
                offset += s.samplesPerRecord * header.flavor.bytesPerSample
            }
            signalOffsets = offsets
            let layout = try Self.records(header: header, fileSize: fileSize, path: path, countingWholeRecords: countingWholeRecords)
            recordCount = layout.count
            problems += layout.problems
            let ordinary = header.signals.indices.filter { !header.signals[$0].isAnnotations }
            let channels = Self.channels(among: ordinary, of: header)
            channelSignals = channels
            channelScales = channels.map { SampleScale(header.signals[$0]) }
            let isChannel = Set(channels)
            otherSignals = ordinary.filter { !isChannel.contains($0) }
            if channelSignals.isEmpty {
                throw EDFError.badField(path: path, field: "label of signal 1", offset: 256, found: CheckedNumber.printable(Array(header.signals[0].label.utf8)),
                                        expected: "at least one signal besides annotations (this file has no samples to read)")
            }
            if header.recordDuration <= 0 {
                throw EDFError.badField(path: path, field: "duration of a data record", offset: 244, found: "0",
                                        expected: "a positive number of seconds: 0 is for annotation-only files, and this one has signals")
            }
            if let problem = try Self.checkReserved(header, path: path) { problems.append(problem) }
        }
        self.file = consume file
        batch = recordCount > 0 ? RecordBatch(recordBytes: header.recordBytes, records: recordCount) : nil
        segments = try timeline()  // on a throw, deinit closes the file and the batch frees its buffer
    }

    /// The signals read as EEG channels: those in a voltage unit (or none) at the rate of
    /// the first of them. A file with no signal in a voltage unit is read by rate alone.
    private static func channels(among ordinary: [Int], of header: EDFHeader) -> [Int] {
        let voltages = ordinary.filter { isVoltage(header.signals[$0].physicalDimension) }
        let candidates = voltages.isEmpty ? ordinary : voltages
        let rate = candidates.first.map { header.signals[$0].samplesPerRecord } ?? 0
        return candidates.filter { header.signals[$0].samplesPerRecord == rate }
    }

    /// A physical dimension an EEG channel can have: a voltage, or none given.
    static func isVoltage(_ dimension: String) -> Bool {
        let unit = dimension.trimmingCharacters(in: .whitespaces).lowercased()
        return ["", "v", "mv", "uv", "\u{B5}v", "\u{3BC}v", "nv"].contains(unit)
    }

    public var channelCount: Int { channelSignals.count }
    public var channelLabels: [String] { channelSignals.map { header.signals[$0].label } }
    public var framesPerRecord: Int { header.signals[channelSignals[0]].samplesPerRecord }
    /// Samples per second per channel.
    public var sampleRate: Double { Double(framesPerRecord) / header.recordDuration }
    /// Frames stored in the file (gaps of an EDF+D file hold none).
    public var frameCount: Int { recordCount * framesPerRecord }
    /// Seconds of signal stored (gaps of an EDF+D file excluded).
    public var duration: Double { Double(recordCount) * header.recordDuration }
    /// Where the last record ends, seconds from the file's start (gaps included).
    public var endTime: Double { recordCount == 0 ? 0 : recordStart(recordCount - 1) + header.recordDuration }

    /// Where time jumps between records (EDF+D only; empty for a continuous file).
    public var gaps: [RecordGap] {
        zip(segments, segments.dropFirst()).map { previous, next in
            let records = next.firstRecord - previous.firstRecord
            let from = previous.start + Double(records) * header.recordDuration
            let missing = FrameGap(frames: next.firstSample - (previous.firstSample + records * framesPerRecord),
                                   beforeSampleIndex: Int64(next.firstSample), cause: .notRecorded)
            return RecordGap(record: next.firstRecord, from: from, to: next.start, missing: missing)
        }
    }

    /// Seconds from the file's start at which record `index` starts.
    public func recordStart(_ index: Int) -> Double {
        let s = segment(of: index)
        return s.start + Double(index - s.firstRecord) * header.recordDuration
    }

    /// The timeline position (samples at ``sampleRate`` from the file's start) of record
    /// `index`'s first frame. Consecutive records follow on; after an EDF+D gap it jumps
    /// by the samples the gap would have held.
    public func recordFirstSample(_ index: Int) -> Int {
        let s = segment(of: index)
        return s.firstSample + (index - s.firstRecord) * framesPerRecord
    }

    private func segment(of record: Int) -> Segment {
        // The last segment starting at or before `record` (binary search).
        var lo = 0, hi = segments.count
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if segments[mid].firstRecord <= record { lo = mid } else { hi = mid }
        }
        return segments[lo]
    }

    /// Reads record `index`'s frames (interleaved µV, `framesPerRecord × channelCount`
    /// values into `frames`) and returns its start, seconds from the file's start.
    @discardableResult
    public func readRecord(_ index: Int, into frames: UnsafeMutableBufferPointer<Float>) throws(EDFError) -> Double {
        precondition(frames.count >= framesPerRecord * channelCount, "frame buffer too small")
        let bytes = try recordBytes(index)
        guard let start = frames.baseAddress else { return recordStart(index) }  // only when a record holds no frames
        for c in channelSignals.indices {
            decode(channel: c, of: bytes, into: start + c, stride: channelCount)
        }
        return recordStart(index)
    }

    /// Reads record `index`'s samples channel by channel, without interleaving them:
    /// channel `channels[k]` (a position in ``channelSignals``) fills the
    /// `framesPerRecord` floats from `destination + k × channelStride` on. The values are
    /// those ``readRecord(_:into:)`` gives; each channel's samples are contiguous in the
    /// file, so this is one streaming pass per channel — what an analysis that works a
    /// channel at a time reads into its own buffers. Returns the record's start, seconds
    /// from the file's start.
    ///
    /// Allocation: none.
    @discardableResult
    public func readRecord(_ index: Int, channels: [Int], into destination: UnsafeMutablePointer<Float>, channelStride: Int) throws(EDFError) -> Double {
        precondition(channels.isEmpty || channelStride >= framesPerRecord, "channel stride \(channelStride) below \(framesPerRecord) frames")
        let bytes = try recordBytes(index)
        for (k, c) in channels.enumerated() {
            precondition(channelSignals.indices.contains(c), "channel \(c) out of 0..<\(channelCount)")
            decode(channel: c, of: bytes, into: destination + k * channelStride, stride: 1)
        }
        return recordStart(index)
    }

    /// Decodes channel `c`'s run of `record` into `destination`, every `stride` floats.
    private func decode(channel c: Int, of record: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, stride: Int) {
        SampleDecoding.decode(header.flavor, record + signalOffsets[channelSignals[c]], count: framesPerRecord,
                              scale: channelScales[c], into: destination, stride: stride)
    }

    /// The annotations kept by ``annotations(keeping:)`` and how many there were.
    public struct AnnotationList: Sendable {
        /// The first ones in file order, at most the limit asked for.
        public var kept: [Annotation] = []
        /// All annotations in the file.
        public var total = 0
        /// Annotations read but not kept.
        public var omitted: Int { total - kept.count }
    }

    /// Reads every annotation, keeping at most `limit` (memory stays bounded however many
    /// the file holds) and counting the rest.
    public func annotations(keeping limit: Int) throws(EDFError) -> AnnotationList {
        var list = AnnotationList()
        try forEachAnnotation { a in
            list.total += 1
            if list.kept.count < limit { list.kept.append(a) }
        }
        return list
    }

    /// Every annotation in the file. Memory grows with their number: prefer
    /// ``annotations(keeping:)`` or ``forEachAnnotation(_:)`` for files you did not write.
    public func allAnnotations() throws(EDFError) -> [Annotation] {
        try annotations(keeping: .max).kept
    }

    /// Streams every annotation of every annotation signal, in file order, checking each
    /// TAL as it goes; nothing is kept.
    /// - Throws: ``EDFError/badAnnotation(path:record:offset:found:expected:)`` at the
    ///   first malformed TAL, or what `body` throws (as ``EDFError/unsupported(path:reason:)``).
    public func forEachAnnotation(_ body: (Annotation) throws -> Void) throws(EDFError) {
        let annotationSignals = header.signals.indices.filter { header.signals[$0].isAnnotations }
        guard !annotationSignals.isEmpty else { return }
        try forEachRecordChunk { record, bytes throws(EDFError) in
            for a in annotationSignals {
                let size = header.signals[a].samplesPerRecord * header.flavor.bytesPerSample
                let signal = UnsafeRawBufferPointer(rebasing: bytes[signalOffsets[a]..<(signalOffsets[a] + size)])
                do {
                    try TAL.scan(signal, timekeeping: nil) { onset, duration, text in
                        try body(Annotation(onset: onset, duration: duration, text: String(decoding: text, as: UTF8.self)))
                    }
                } catch let bad as TAL.Malformed {
                    throw .badAnnotation(path: path, record: record, offset: annotationOffset(record, a) + bad.position, found: bad.found, expected: bad.expected)
                } catch let error as EDFError {
                    throw error
                } catch {
                    throw .unsupported(path: path, reason: "\(error)")
                }
            }
        }
    }

    // MARK: Opening

    /// Reads and parses the header; its size comes from the fixed part, and no more than
    /// the file holds is read.
    private static func readHeader(_ file: borrowing FileDescriptor, fileSize: Int, path: String) throws(EDFError) -> EDFHeader {
        let head = (try? file.read(upTo: min(fileSize, 256), at: 0)) ?? []
        let size = EDFHeader.statedSize(fixedPart: head)
        let bytes = (try? file.read(upTo: min(size, fileSize), at: 0)) ?? []
        return try EDFHeader.parse(bytes, path: path)
    }

    /// The whole records the file holds, checked against the header's count: sizes and
    /// products are compared by division, so nothing overflows.
    private static func records(header: EDFHeader, fileSize: Int, path: String, countingWholeRecords: Bool) throws(EDFError) -> (count: Int, problems: [String]) {
        let recordBytes = header.recordBytes  // ≤ 4096 × 99,999,999 × 3: no overflow
        // One record larger than the whole file was taken from the header alone: name the
        // signal that asks for the most.
        // A record is read (and converted) whole, so one larger than the bound is refused
        // even when a sparse file really is that large.
        if recordBytes > fileSize || recordBytes > EDFLimits.maxRecordBytes,
           let big = header.signals.indices.max(by: { header.signals[$0].samplesPerRecord < header.signals[$1].samplesPerRecord }) {
            let ns = header.signals.count
            let expected = recordBytes > fileSize
                ? "a data record (here \(recordBytes) bytes) no larger than the whole file (\(fileSize) bytes)"
                : "a data record (here \(recordBytes) bytes) of at most \(EDFLimits.maxRecordBytes) bytes"
            throw .badField(path: path, field: "samples per record of signal \(big + 1)", offset: 256 + ns * 216 + big * 8,
                            found: "\(header.signals[big].samplesPerRecord)", expected: expected)
        }
        let dataBytes = fileSize - header.headerBytes
        let whole = dataBytes / recordBytes
        let torn = dataBytes % recordBytes
        var problems: [String] = []
        let count: Int
        if header.recordCount == -1 || countingWholeRecords {
            count = whole
            problems.append("the record count is −1: the recording was not closed (crash or still running); \(whole) whole records found" + (torn > 0 ? ", plus \(torn) bytes of a torn record" : "") + "; 'eeg repair' fixes the header")
        } else if header.recordCount > whole {
            throw .recordCountMismatch(path: path, declared: header.recordCount, inFile: whole, tornBytes: torn)
        } else {
            count = header.recordCount
            if whole > header.recordCount || torn > 0 {
                problems.append("\(dataBytes - header.recordCount * header.recordBytes) bytes after the last declared record are ignored")
            }
        }
        // records × duration: the recording's length must be a time, not an overflow.
        if Double(count) * header.recordDuration > EDFLimits.maxSeconds {
            throw .badField(path: path, field: "duration of a data record", offset: 244, found: "\(header.recordDuration)",
                            expected: "a duration that keeps \(count) records within \(Int(EDFLimits.maxSeconds)) s")
        }
        return (count, problems)
    }

    /// The reserved field's EDF+C/EDF+D claim against the signals.
    private static func checkReserved(_ header: EDFHeader, path: String) throws(EDFError) -> String? {
        guard header.isPlus, header.annotationSignalIndex == nil else { return nil }
        if header.isDiscontinuous {
            throw .badField(path: path, field: "reserved", offset: 192, found: header.flavor == .edf ? "EDF+D" : "BDF+D",
                            expected: "an 'EDF Annotations' signal giving each record's start (EDF+D needs one to place its records in time)")
        }
        return "the header says \(header.flavor == .edf ? "EDF+C" : "BDF+C") but there is no annotations signal; read as plain \(header.flavor == .edf ? "EDF" : "BDF")"
    }

    /// The record timeline: contiguous, or (EDF+D) from every record's time-keeping TAL.
    private func timeline() throws(EDFError) -> [Segment] {
        guard header.isDiscontinuous, let a = header.annotationSignalIndex, recordCount > 0 else {
            return [Segment(firstRecord: 0, start: 0, firstSample: 0)]
        }
        let size = header.signals[a].samplesPerRecord * header.flavor.bytesPerSample
        let rate = sampleRate, duration = header.recordDuration, perRecord = framesPerRecord
        var result: [Segment] = []
        var previous: (start: Double, firstSample: Int)?
        try forEachRecordChunk { record, bytes throws(EDFError) in
            let signal = UnsafeRawBufferPointer(rebasing: bytes[signalOffsets[a]..<(signalOffsets[a] + size)])
            var start: Double?
            do {
                try TAL.scan(signal, firstTALOnly: true, timekeeping: { start = $0 }, annotation: { _, _, _ in })
            } catch let bad as TAL.Malformed {
                throw .badAnnotation(path: path, record: record, offset: annotationOffset(record, a) + bad.position, found: bad.found, expected: bad.expected)
            } catch {
                throw .unsupported(path: path, reason: "\(error)")
            }
            guard let start else {
                throw .badAnnotation(path: path, record: record, offset: annotationOffset(record, a), found: "no time-keeping annotation",
                                     expected: "the record's start as its first TAL ('+seconds' 0x14 0x14 0x00), as EDF+D requires")
            }
            guard let before = previous else {
                let first = CheckedNumber.roundedInt(start * rate) ?? 0  // start ≤ maxSeconds, rate ≤ maxSampleRate: fits
                result.append(Segment(firstRecord: 0, start: start, firstSample: first))
                previous = (start, first)
                return
            }
            let expected = before.start + duration
            // A gap is at least half a sample; an overlap of more is a file out of order.
            let jump = CheckedNumber.roundedInt((start - expected) * rate) ?? 0
            if jump < 0 {
                throw .badAnnotation(path: path, record: record, offset: annotationOffset(record, a),
                                     found: "a start of \(start) s, before the previous record ends at \(expected) s",
                                     expected: "records in time order without overlap")
            }
            let firstSample = before.firstSample + perRecord + jump
            if jump > 0 { result.append(Segment(firstRecord: record, start: start, firstSample: firstSample)) }
            previous = (start, firstSample)
        }
        return result
    }

    // MARK: Reading

    private func annotationOffset(_ record: Int, _ signal: Int) -> Int {
        header.headerBytes + record * header.recordBytes + signalOffsets[signal]
    }

    /// Record `index`'s bytes, from the batch read ahead, or from the file — with the
    /// records after it, as many as the batch holds — when the batch does not have it.
    ///
    /// The read starts at `index`, so a file that shrank since it was opened or fails to
    /// read is reported exactly as reading that one record would report it
    /// (``EDFError/truncated(path:need:have:what:)`` naming the record); a batch that
    /// ends early keeps only its whole records.
    private func recordBytes(_ index: Int) throws(EDFError) -> UnsafeRawPointer {
        precondition(index >= 0 && index < recordCount, "record \(index) out of 0..<\(recordCount)")
        guard let batch else { preconditionFailure("a file with records has a record batch") }
        if let bytes = batch.record(index) { return bytes }
        let records = min(batch.capacity, recordCount - index)
        let target = UnsafeMutableRawBufferPointer(rebasing: batch.buffer[0..<(records * batch.recordBytes)])
        let offset = header.headerBytes + index * header.recordBytes
        let done: Int
        batch.invalidate()
        do { done = try file.read(fill: target, at: offset) } catch { throw .io(path: path, operation: "reading data record \(index)", errno: error) }
        if done < batch.recordBytes { throw .truncated(path: path, need: offset + batch.recordBytes, have: offset + done, what: "data record \(index)") }
        batch.hold(first: index, count: done / batch.recordBytes)
        return batch.record(index)!  // just read: it is in the batch
    }

    private func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, what: String) throws(EDFError) {
        let done: Int
        do { done = try file.read(fill: buffer, at: offset) } catch { throw .io(path: path, operation: "reading \(what)", errno: error) }
        if done < buffer.count { throw .truncated(path: path, need: offset + buffer.count, have: offset + done, what: what) }
    }

    /// Visits every record's bytes in order, reading about 256 KiB of whole records at a
    /// time (one record when records are larger), so a scan of many small records costs
    /// few system calls and memory stays at one chunk.
    private func forEachRecordChunk(_ body: (Int, UnsafeRawBufferPointer) throws(EDFError) -> Void) throws(EDFError) {
        guard recordCount > 0 else { return }
        let recordBytes = header.recordBytes
        let perChunk = max(1, min(recordCount, RecordBatch.targetBytes / recordBytes))
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: perChunk * recordBytes, alignment: 16)
        defer { chunk.deallocate() }
        var record = 0
        while record < recordCount {
            let n = min(perChunk, recordCount - record)
            let target = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(n * recordBytes)])
            try readFully(into: target, at: header.headerBytes + record * recordBytes, what: "data records \(record)…\(record + n - 1)")
            for k in 0..<n {
                try body(record + k, UnsafeRawBufferPointer(rebasing: chunk[(k * recordBytes)..<((k + 1) * recordBytes)]))
            }
            record += n
        }
    }
}

/// Whole data records read in one go: up to ``targetBytes`` of them, or one record when
/// records are larger. Memory stays at this one buffer however long the file is.
///
/// A class so the reader's reads can refill it without copying; not thread-safe (one
/// reader, one thread).
final class RecordBatch {
    /// About 256 KiB. One read(2) per small record (a 1 s record of 8 channels at 250 Hz is
    /// 6 KB) costs about 0.8 µs of system call here, as much again as copying the record;
    /// batches of 64 KiB and 256 KiB measured the same, and 256 KiB keeps the bytes read and
    /// the floats decoded from them within a core's L2 cache.
    static let targetBytes = 1 << 18
    let recordBytes: Int
    /// Records the buffer holds.
    let capacity: Int
    let buffer: UnsafeMutableRawBufferPointer
    /// The records held: `first..<first + count`.
    private var first = 0
    private var count = 0

    /// - Parameter records: the file's records: no more are held than it has.
    init(recordBytes: Int, records: Int) {
        self.recordBytes = recordBytes
        capacity = max(1, min(records, Self.targetBytes / recordBytes))
        buffer = .allocate(byteCount: capacity * recordBytes, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Record `index`'s bytes if the batch holds it.
    func record(_ index: Int) -> UnsafeRawPointer? {
        guard index >= first, index - first < count, let base = buffer.baseAddress else { return nil }
        return UnsafeRawPointer(base + (index - first) * recordBytes)
    }

    /// Forgets what the buffer held (before it is overwritten).
    func invalidate() { count = 0 }

    /// The buffer now holds records `first..<first + count`.
    func hold(first: Int, count: Int) {
        self.first = first
        self.count = count
    }
}
