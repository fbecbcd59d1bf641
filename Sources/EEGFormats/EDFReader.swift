import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads EDF, EDF+, BDF and BDF+ files a record at a time, with memory that does not
/// grow with the file: the header, one record's bytes and one record's frames.
///
/// Accepts files from other tools (MNE, pyedflib, EDFbrowser, edfio). The EEG channels
/// are the ordinary signals sharing the first one's sample rate; others are skipped and
/// listed in ``problems``. A record count of −1 (a recording that was never closed) is
/// read as the whole records present, and reported.
public final class EDFReader {
    public let path: String
    public let header: EDFHeader
    /// Indices (into `header.signals`) of the channels delivered as frames.
    public let channelSignals: [Int]
    /// Whole data records in the file.
    public let recordCount: Int
    /// Things a careful user should know (a never-closed recording, skipped signals…).
    public private(set) var problems: [String] = []
    public let fileSize: Int

    private let fd: Int32
    private let recordBuffer: UnsafeMutableRawBufferPointer
    private var signalOffsets: [Int] = []

    public init(path: String) throws(EDFError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        self.fd = fd
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw .io(path: path, operation: "opening (no such file)", errno: code) }
            throw .io(path: path, operation: "opening", errno: code)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else { let c = errno; Glibc.close(fd); throw .io(path: path, operation: "stat", errno: c) }
        if (info.st_mode & S_IFMT) == S_IFDIR { Glibc.close(fd); throw .unsupported(path: path, reason: "is a directory, not an EDF/BDF file") }
        let fileSize = Int(info.st_size)
        self.fileSize = fileSize

        var head = [UInt8](repeating: 0, count: min(fileSize, 256))
        _ = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let header: EDFHeader
        do {
            // The full header size comes from the fixed part; read that much, then parse.
            var size = 256
            if head.count == 256, let ns = Int(String(decoding: head[252..<256], as: UTF8.self).trimmingCharacters(in: .whitespaces)), ns > 0, ns <= 4096 {
                size = 256 * (ns + 1)
            }
            var bytes = [UInt8](repeating: 0, count: min(size, fileSize))
            _ = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            header = try EDFHeader.parse(bytes, path: path)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.header = header
        let dataBytes = fileSize - header.headerBytes
        let whole = dataBytes / header.recordBytes
        let torn = dataBytes % header.recordBytes
        if header.recordCount == -1 {
            recordCount = whole
            problems.append("the record count is −1: the recording was not closed (crash or still running); \(whole) whole records found" + (torn > 0 ? ", plus \(torn) bytes of a torn record" : "") + "; 'eeg repair' fixes the header")
        } else if header.recordCount > whole {
            Glibc.close(fd)
            throw .recordCountMismatch(path: path, declared: header.recordCount, inFile: whole, tornBytes: torn)
        } else {
            recordCount = header.recordCount
            if whole > header.recordCount || torn > 0 {
                problems.append("\(dataBytes - header.recordCount * header.recordBytes) bytes after the last declared record are ignored")
            }
        }
        var offsets: [Int] = []
        var offset = 0
        for s in header.signals {
            offsets.append(offset)
            offset += s.samplesPerRecord * header.flavor.bytesPerSample
        }
        signalOffsets = offsets
        let ordinary = header.signals.indices.filter { !header.signals[$0].isAnnotations }
        let rate = ordinary.first.map { header.signals[$0].samplesPerRecord } ?? 0
        channelSignals = ordinary.filter { header.signals[$0].samplesPerRecord == rate }
        let skipped = ordinary.filter { header.signals[$0].samplesPerRecord != rate }
        if !skipped.isEmpty {
            problems.append("signals at other sample rates are not read as EEG channels: " + skipped.map { header.signals[$0].label }.joined(separator: ", "))
        }
        if channelSignals.isEmpty { Glibc.close(fd); throw .unsupported(path: path, reason: "has no signals besides annotations") }
        if header.recordDuration <= 0 { Glibc.close(fd); throw .unsupported(path: path, reason: "a data record duration of 0 (annotation-only file) holds no samples") }
        recordBuffer = .allocate(byteCount: header.recordBytes, alignment: 16)
    }

    deinit {
        Glibc.close(fd)
        recordBuffer.deallocate()
    }

    public var channelCount: Int { channelSignals.count }
    public var channelLabels: [String] { channelSignals.map { header.signals[$0].label } }
    public var framesPerRecord: Int { header.signals[channelSignals[0]].samplesPerRecord }
    /// Samples per second per channel.
    public var sampleRate: Double { Double(framesPerRecord) / header.recordDuration }
    public var frameCount: Int { recordCount * framesPerRecord }
    public var duration: Double { Double(recordCount) * header.recordDuration }

    /// Reads record `index`: its frames (interleaved µV, `framesPerRecord ×
    /// channelCount` values into `frames`), its start time and its annotations.
    public func readRecord(_ index: Int, into frames: UnsafeMutableBufferPointer<Float>) throws(EDFError) -> (start: Double, annotations: [Annotation]) {
        precondition(index >= 0 && index < recordCount, "record \(index) out of 0..<\(recordCount)")
        precondition(frames.count >= framesPerRecord * channelCount, "frame buffer too small")
        let offset = header.headerBytes + index * header.recordBytes
        var done = 0
        while done < header.recordBytes {
            let n = pread(fd, recordBuffer.baseAddress! + done, header.recordBytes - done, off_t(offset + done))
            if n < 0 { if errno == EINTR { continue }; throw .io(path: path, operation: "reading record \(index)", errno: errno) }
            if n == 0 { throw .truncated(path: path, need: offset + header.recordBytes, have: offset + done, what: "data record \(index)") }
            done += n
        }
        let bytes = UnsafeRawBufferPointer(recordBuffer)
        let channels = channelCount, perRecord = framesPerRecord
        for (c, signalIndex) in channelSignals.enumerated() {
            let signal = header.signals[signalIndex]
            let base = signalOffsets[signalIndex]
            let gain = signal.gain, dmin = Double(signal.digitalMinimum), pmin = signal.physicalMinimum
            if header.flavor == .edf {
                for i in 0..<perRecord {
                    let p = base + 2 * i
                    let raw = Int16(bitPattern: UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8)
                    frames[i * channels + c] = Float((Double(raw) - dmin) * gain + pmin)
                }
            } else {
                for i in 0..<perRecord {
                    let p = base + 3 * i
                    let raw = Int32(bitPattern: (UInt32(bytes[p]) << 8 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 24)) >> 8
                    frames[i * channels + c] = Float((Double(raw) - dmin) * gain + pmin)
                }
            }
        }
        var start = Double(index) * header.recordDuration
        var annotations: [Annotation] = []
        if let a = header.annotationSignalIndex {
            let size = header.signals[a].samplesPerRecord * header.flavor.bytesPerSample
            let decoded = TAL.decode(UnsafeRawBufferPointer(rebasing: bytes[signalOffsets[a]..<(signalOffsets[a] + size)]))
            if let recordStart = decoded.recordStart { start = recordStart }
            annotations = decoded.annotations
        }
        return (start, annotations)
    }

    /// Every annotation in the file (reads only the annotation signal of each record).
    public func allAnnotations() throws(EDFError) -> [Annotation] {
        guard let a = header.annotationSignalIndex else { return [] }
        let size = header.signals[a].samplesPerRecord * header.flavor.bytesPerSample
        var buffer = [UInt8](repeating: 0, count: size)
        var result: [Annotation] = []
        for r in 0..<recordCount {
            let offset = header.headerBytes + r * header.recordBytes + signalOffsets[a]
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, off_t(offset)) }
            guard n == size else { throw .truncated(path: path, need: offset + size, have: offset + max(n, 0), what: "the annotations of record \(r)") }
            result += buffer.withUnsafeBytes { TAL.decode($0).annotations }
        }
        return result
    }
}
