import EEGCore

extension XDFReader {
    /// Decodes a numeric samples chunk of `stream`: its values, converted to Float, replace
    /// `values` (interleaved, `sampleCount × channelCount`), its timestamps replace
    /// `timestamps`. A sample without a stored timestamp gets the previous one + 1 /
    /// nominal rate (XDF's rule); `last` carries the previous timestamp across chunks.
    ///
    /// - Throws: ``XDFError`` (`badSamples`: a timestamp width that is not 0 or 8, a
    ///   stored timestamp that is not finite, values that do not fill the chunk exactly).
    public func decodeNumeric(_ chunk: SampleChunk, of stream: Stream, last: inout Double,
                              values: inout [Float], timestamps: inout [Double]) throws(XDFError) {
        let info = stream.info
        guard let width = info.channelFormat.byteWidth else {
            throw XDFError(.badSamples, path: path, offset: chunk.offset, "stream \(stream.id) holds strings, not numbers")
        }
        let bytes = try source.read(chunk.length, at: chunk.offset)
        let channels = info.channelCount
        let step = info.nominalRate > 0 ? 1 / info.nominalRate : 0
        values.removeAll(keepingCapacity: true)
        values.reserveCapacity(chunk.sampleCount * channels)
        timestamps.removeAll(keepingCapacity: true)
        var p = 0
        for _ in 0..<chunk.sampleCount {
            last = try timestamp(bytes, &p, chunk: chunk, deduced: last + step)
            timestamps.append(last)
            guard bytes.count - p >= channels * width else {
                throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "the chunk ends inside a sample of stream \(stream.id)")
            }
            bytes.withUnsafeBytes { raw in
                for c in 0..<channels { values.append(Self.value(raw, at: p + c * width, format: info.channelFormat)) }
            }
            p += channels * width
        }
        try checkFilled(bytes.count, p, chunk: chunk)
    }

    /// The timestamps alone of a numeric samples chunk of `stream` (replacing `timestamps`),
    /// as ``decodeNumeric(_:of:last:values:timestamps:)`` gives them, with the same checks,
    /// but without converting a value: what placing frames on the timeline needs. Reads the
    /// chunk's bytes once; allocates nothing else once `timestamps` has grown.
    public func decodeTimestamps(_ chunk: SampleChunk, of stream: Stream, last: inout Double, timestamps: inout [Double]) throws(XDFError) {
        guard let width = stream.info.channelFormat.byteWidth else {
            throw XDFError(.badSamples, path: path, offset: chunk.offset, "stream \(stream.id) holds strings, not numbers")
        }
        let bytes = try source.read(chunk.length, at: chunk.offset)
        let sampleBytes = stream.info.channelCount * width
        let step = stream.info.nominalRate > 0 ? 1 / stream.info.nominalRate : 0
        timestamps.removeAll(keepingCapacity: true)
        timestamps.reserveCapacity(chunk.sampleCount)
        var p = 0
        for _ in 0..<chunk.sampleCount {
            last = try timestamp(bytes, &p, chunk: chunk, deduced: last + step)
            timestamps.append(last)
            guard bytes.count - p >= sampleBytes else {
                throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "the chunk ends inside a sample of stream \(stream.id)")
            }
            p += sampleBytes
        }
        try checkFilled(bytes.count, p, chunk: chunk)
    }

    /// Decodes a string samples chunk: each sample's timestamp and its strings (one per
    /// channel; invalid UTF-8 repaired).
    public func decodeStrings(_ chunk: SampleChunk, of stream: Stream, last: inout Double) throws(XDFError) -> [(timestamp: Double, strings: [String])] {
        let bytes = try source.read(chunk.length, at: chunk.offset)
        let step = stream.info.nominalRate > 0 ? 1 / stream.info.nominalRate : 0
        var samples: [(timestamp: Double, strings: [String])] = []
        var p = 0
        for _ in 0..<chunk.sampleCount {
            last = try timestamp(bytes, &p, chunk: chunk, deduced: last + step)
            var strings: [String] = []
            for _ in 0..<stream.info.channelCount {
                var at = chunk.offset + p
                let length = try variableLength(at: &at, what: "a string length", limit: chunk.offset + chunk.length)
                p = at - chunk.offset
                guard length <= UInt64(bytes.count - p) else {
                    throw XDFError(.badSamples, path: path, offset: at, "a string of \(length) bytes in a chunk with \(bytes.count - p) left")
                }
                strings.append(String(decoding: bytes[p..<(p + Int(length))], as: UTF8.self))
                p += Int(length)
            }
            samples.append((last, strings))
        }
        try checkFilled(bytes.count, p, chunk: chunk)
        return samples
    }

    /// A sample's timestamp: stored (width byte 8, then a double) or `deduced` (width 0).
    private func timestamp(_ bytes: [UInt8], _ p: inout Int, chunk: SampleChunk, deduced: Double) throws(XDFError) -> Double {
        guard p < bytes.count else { throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "the chunk ends before its samples do") }
        switch bytes[p] {
        case 0:
            p += 1
            return deduced
        case 8:
            guard bytes.count - p >= 9 else { throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "the chunk ends inside a timestamp") }
            let value = Double(bitPattern: XDFByteSource.littleEndian(bytes[(p + 1)..<(p + 9)]))
            guard value.isFinite else { throw XDFError(.badSamples, path: path, offset: chunk.offset + p + 1, "a timestamp that is not a finite number") }
            p += 9
            return value
        default:
            throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "a timestamp of width \(bytes[p]) (expected 0 or 8)")
        }
    }

    private func checkFilled(_ count: Int, _ p: Int, chunk: SampleChunk) throws(XDFError) {
        guard p == count else {
            throw XDFError(.badSamples, path: path, offset: chunk.offset + p, "\(count - p) bytes after the chunk's \(chunk.sampleCount) samples")
        }
    }

    /// One little-endian value of `format` at `p` (checked by the caller), as Float.
    static func value(_ raw: UnsafeRawBufferPointer, at p: Int, format: StreamInfo.ChannelFormat) -> Float {
        switch format {
        case .float32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
        case .double64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self))))
        case .int8: return Float(Int8(bitPattern: raw[p]))
        case .int16: return Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: Int16.self)))
        case .int32: return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: Int32.self)))
        case .int64: return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: Int64.self)))
        case .string: return .nan
        }
    }
}
