import EEGCore
import Glibc

/// Writes an XDF 1.0 file chunk by chunk: each chunk goes to the file as soon as it is
/// built (one `write`), so whatever was written before a crash is readable; ``sync()``
/// makes it durable. The container only: which streams there are and what they hold is
/// the caller's (``XDFRecordingSink`` for a recording).
///
/// Crash safety: the file is created unnamed where Linux allows (`O_TMPFILE`) and named
/// once its file header is on disk, so it never exists empty.
///
/// Not thread-safe: one thread writes. Building a samples chunk reuses one buffer, which
/// grows only when a chunk is larger than every one before it.
public final class XDFWriter {
    public let path: String
    /// Bytes in the file so far.
    public private(set) var bytesWritten = 0
    private var file: FileDescriptor?
    private var chunk: [UInt8] = []
    /// Room left before a chunk's content for its length (up to 1 + 8 bytes) and tag.
    private static let headroom = 11

    /// Creates the file and writes the magic number and the file header
    /// (`<info><version>1.0</version></info>`).
    ///
    /// - Throws: ``XDFError`` (`exists` unless `overwrite`; `cannotOpen`, `io`).
    public init(path: String, overwrite: Bool) throws(XDFError) {
        self.path = path
        var existing = stat()
        if !overwrite && lstat(path, &existing) == 0 { throw XDFError(.exists, path: path, "exists") }
        let header = XDFChunk.magic + XDFChunk.encode(.fileHeader, content: Array("<?xml version=\"1.0\"?>\n<info><version>1.0</version></info>".utf8))
        do {
            if let unnamed = FileDescriptor.unnamed(besides: path) {
                try unnamed.write(all: header)
                try unnamed.synchronizeData()
                try unnamed.link(as: path, replacing: overwrite)
                file = consume unnamed
            } else {
                // O_NOFOLLOW: an overwrite never writes through a symlink to another file.
                let named = try FileDescriptor(opening: path, [.writeOnly, .create, .noFollow, overwrite ? .truncate : .exclusive])
                try named.write(all: header)
                file = consume named
            }
            try? FileDescriptor.synchronizeFolder(of: path)
        } catch {
            if error == .exists { throw XDFError(.exists, path: path, "exists") }
            throw XDFError(.cannotOpen(error), path: path, "creating the file")
        }
        bytesWritten = header.count
    }

    deinit { file.take()?.close() }

    /// Writes a stream header chunk: the stream's id and its `<info>` document.
    public func writeStreamHeader(id: UInt32, xml: String) throws(WriteError) {
        try write(XDFChunk.encode(.streamHeader, streamID: id, content: Array(xml.utf8)), "writing the header of stream \(id)")
    }

    /// Writes a stream footer chunk (first and last timestamp, sample count).
    public func writeStreamFooter(id: UInt32, xml: String) throws(WriteError) {
        try write(XDFChunk.encode(.streamFooter, streamID: id, content: Array(xml.utf8)), "writing the footer of stream \(id)")
    }

    /// Writes a clock offset chunk: at `collectionTime` (the recording computer's clock),
    /// the stream's clock was `offset` seconds behind it.
    public func writeClockOffset(id: UInt32, collectionTime: Double, offset: Double) throws(WriteError) {
        var content: [UInt8] = []
        XDFChunk.appendDouble(collectionTime, to: &content)
        XDFChunk.appendDouble(offset, to: &content)
        try write(XDFChunk.encode(.clockOffset, streamID: id, content: content), "writing a clock offset of stream \(id)")
    }

    /// Writes a boundary chunk (a mark readers can resynchronise on).
    public func writeBoundary() throws(WriteError) {
        try write(XDFChunk.encode(.boundary, content: XDFChunk.boundaryUUID), "writing a boundary chunk")
    }

    /// Writes `frames` interleaved frames of `channels` float32 values as one samples
    /// chunk: the first frame's timestamp is stored, the others are left for the reader
    /// to deduce (previous + 1 / nominal rate), as XDF allows.
    public func writeSamples(id: UInt32, frames: UnsafeBufferPointer<Float>, channels: Int, firstTimestamp: Double) throws(WriteError) {
        try writeSamples(id: id, frames: frames, channels: channels) { f in f == 0 ? firstTimestamp : nil }
    }

    /// Writes `frames` interleaved frames of `channels` float32 values as one samples
    /// chunk, frame `f` at `timestamps[f]`: a timestamp is stored only where the reader's
    /// deduction (the previous one + `step`, bit for bit as XDF readers compute it) would
    /// not give it exactly, so evenly spaced stamps cost nothing and every stamp reads
    /// back as given. `step` is 1 / the stream's nominal rate.
    public func writeSamples(id: UInt32, frames: UnsafeBufferPointer<Float>, channels: Int,
                             timestamps: UnsafeBufferPointer<Double>, step: Double) throws(WriteError) {
        precondition(timestamps.count * channels == frames.count, "one timestamp per frame")
        try writeSamples(id: id, frames: frames, channels: channels) { f in
            f > 0 && timestamps[f - 1] + step == timestamps[f] ? nil : timestamps[f]
        }
    }

    /// One samples chunk of float32 frames; `stamp(f)` is frame f's stored timestamp, nil
    /// to leave it deduced.
    private func writeSamples(id: UInt32, frames: UnsafeBufferPointer<Float>, channels: Int,
                              stamp: (Int) -> Double?) throws(WriteError) {
        let count = frames.count / channels
        guard count > 0 else { return }
        begin(.samples, id: id)
        XDFChunk.appendVariableLength(UInt64(count), to: &chunk)
        let frameBytes = UnsafeRawBufferPointer(frames)
        for f in 0..<count {
            if let time = stamp(f) {
                chunk.append(8)
                XDFChunk.appendDouble(time, to: &chunk)
            } else {
                chunk.append(0)
            }
            // float32 little-endian: this host's own layout (Linux on x86_64 and arm64).
            chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: frameBytes[(f * channels * 4)..<((f + 1) * channels * 4)]))
        }
        try finish("writing samples of stream \(id)")
    }

    /// Writes one sample of float32 values with its timestamp.
    public func writeSample(id: UInt32, values: UnsafeBufferPointer<Float>, timestamp: Double) throws(WriteError) {
        begin(.samples, id: id)
        XDFChunk.appendVariableLength(1, to: &chunk)
        chunk.append(8)
        XDFChunk.appendDouble(timestamp, to: &chunk)
        // float32 little-endian: this host's own layout.
        chunk.append(contentsOf: UnsafeRawBufferPointer(values))
        try finish("writing a sample of stream \(id)")
    }

    /// Writes one sample of a string stream (one string per channel) with its timestamp.
    public func writeSample(id: UInt32, strings: [String], timestamp: Double) throws(WriteError) {
        begin(.samples, id: id)
        XDFChunk.appendVariableLength(1, to: &chunk)
        chunk.append(8)
        XDFChunk.appendDouble(timestamp, to: &chunk)
        for s in strings {
            XDFChunk.appendVariableLength(UInt64(s.utf8.count), to: &chunk)
            chunk.append(contentsOf: s.utf8)
        }
        try finish("writing a sample of stream \(id)")
    }

    /// Flushes what was written to the disk (`fdatasync`).
    public func sync() throws(WriteError) {
        do { try file?.synchronizeData() } catch { throw WriteError(path: path, operation: "flushing to disk", errno: error) }
    }

    /// Closes the file (after a last ``sync()``). Idempotent.
    public func close() throws(WriteError) {
        guard file != nil else { return }
        defer { file.take()?.close() }
        try sync()
    }

    /// Removes the file (a recording that never started).
    public func discard() {
        file.take()?.close()
        unlink(path)
    }

    /// Starts a chunk in the reused buffer, leaving room for its length in front.
    private func begin(_ tag: XDFChunk.Tag, id: UInt32) {
        chunk.removeAll(keepingCapacity: true)
        chunk.append(contentsOf: repeatElement(0, count: Self.headroom - 2))
        XDFChunk.appendLittleEndian(UInt64(tag.rawValue), width: 2, to: &chunk)
        XDFChunk.appendUInt32(id, to: &chunk)
    }

    /// Fills in the chunk's length just before its tag and writes it.
    private func finish(_ operation: String) throws(WriteError) {
        let length = UInt64(chunk.count - (Self.headroom - 2))
        let width = XDFChunk.variableLengthWidth(length)
        let start = Self.headroom - 2 - 1 - width
        chunk[start] = UInt8(width)
        for i in 0..<width { chunk[start + 1 + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
        let written: Result<Void, Errno> = chunk.withUnsafeBytes { all in
            Result { () throws(Errno) in try file?.write(all: UnsafeRawBufferPointer(rebasing: all[start...])) }
        }
        do { try written.get() } catch { throw failed(operation, error) }
        bytesWritten += chunk.count - start
    }

    private func write(_ bytes: [UInt8], _ operation: String) throws(WriteError) {
        do { try file?.write(all: bytes) } catch { throw failed(operation, error) }
        bytesWritten += bytes.count
    }

    /// A failed write, after cutting off the torn chunk so the file ends with whole ones.
    private func failed(_ operation: String, _ error: Errno) -> WriteError {
        let cut = (try? file?.truncate(to: bytesWritten)) != nil
        return WriteError(path: path, operation: operation, errno: error,
                          outcome: cut ? "the file holds the \(bytesWritten) bytes of whole chunks written before" : nil)
    }
}
