/// Protocol 1.10's binary sample: a tag byte (2 = a timestamp follows), the timestamp as a
/// little-endian float64, then the channel values in the agreed byte order (EEGKit always
/// answers little-endian, its native order, which liblsl accepts from any client); a
/// string value is a length-width byte (1, 4 or 8), the length, then its bytes.
public enum LSLSampleEncoding {
    static let transmittedTimestampTag: UInt8 = 2
    /// Bytes of one numeric sample of `channels` values of `width` bytes.
    public static func numericSampleSize(channels: Int, width: Int) -> Int { 1 + 8 + channels * width }

    /// Writes one float32 sample at `out` (which holds ``numericSampleSize(channels:width:)``
    /// bytes); no allocation.
    @inline(__always)
    public static func writeFloat32(timestamp: Double, values: UnsafeBufferPointer<Float>, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: transmittedTimestampTag, as: UInt8.self)
        out.storeBytes(of: timestamp.bitPattern.littleEndian, toByteOffset: 1, as: UInt64.self)
        for (i, value) in values.enumerated() {
            out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 9 + 4 * i, as: UInt32.self)
        }
    }

    /// One sample of string values (each as liblsl writes it).
    public static func stringSample(timestamp: Double, values: [String]) -> [UInt8] {
        var bytes: [UInt8] = [transmittedTimestampTag]
        append(timestamp.bitPattern, to: &bytes)
        for value in values {
            let utf8 = Array(value.utf8)
            if utf8.count <= 0xFF {
                bytes += [1, UInt8(utf8.count)]
            } else if utf8.count <= 0xFFFF_FFFF {
                bytes.append(4)
                withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
            } else {
                bytes.append(8)
                append(UInt64(utf8.count), to: &bytes)
            }
            bytes += utf8
        }
        return bytes
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The two test-pattern samples (offsets 4 and 2, timestamp 123456.789) a 1.10 feed
    /// starts with, so the inlet can check both sides agree on the format: channel k holds
    /// ±(k + offset) (+ for even k) for float32, strings hold ±(k + 10).
    public static func testPatterns(channels: Int, format: LSLValueFormat) -> [UInt8] {
        var bytes: [UInt8] = []
        for offset in [4, 2] {
            switch format {
            case .float32:
                let values = (0..<channels).map { k in Float(k + offset) * (k % 2 == 0 ? 1 : -1) }
                var sample = [UInt8](repeating: 0, count: numericSampleSize(channels: channels, width: 4))
                values.withUnsafeBufferPointer { v in sample.withUnsafeMutableBytes { writeFloat32(timestamp: 123456.789, values: v, to: $0.baseAddress!) } }
                bytes += sample
            case .string:
                let values: [String] = (0..<channels).map { (k: Int) -> String in
                    let magnitude = k + 10
                    return String(k % 2 == 0 ? magnitude : -magnitude)
                }
                bytes += stringSample(timestamp: 123456.789, values: values)
            }
        }
        return bytes
    }
}

/// The channel formats EEGKit's outlets send: float32 (EEG µV, metrics) and string (markers).
public enum LSLValueFormat: String, Sendable {
    case float32, string
    /// Bytes per value; 0 for strings (what liblsl's `Value-Size` header says for them).
    public var valueSize: Int { self == .float32 ? 4 : 0 }
}
