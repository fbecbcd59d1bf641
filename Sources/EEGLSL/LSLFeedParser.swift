import EEGFormats

/// Why the marker inlet gave up on an outlet (it then resolves the stream again, with
/// backoff): each names what the peer did wrong, for one warning line.
public struct LSLInletError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The reply's status line or a header line was longer than ``LSLFeedParser/maximumLineBytes``,
        /// or the header longer than ``LSLFeedParser/maximumHeaderBytes`` or ``LSLFeedParser/maximumHeaderLines``.
        case headerTooLarge
        /// Not `LSL/110 200 …`: the outlet refused (404: not that stream any more) or spoke another version.
        case refused(status: String)
        /// A header value the inlet cannot work with (byte order, data protocol version).
        case badHeader(String)
        /// The two test-pattern samples were not the ones protocol 1.10 defines.
        case testPatternMismatch
        /// A sample's tag byte was neither 1 (deduced timestamp) nor 2 (timestamp follows).
        case badTag(UInt8)
        /// A string value's length byte was not 1, 4 or 8, or its length over ``LSLFeedParser/maximumStringBytes``.
        case badStringLength(UInt64)
        /// A timestamp that is NaN or infinite.
        case badTimestamp
        /// The stream's format or channel count is not one the inlet reads.
        case unsupportedStream(String)
        /// The peer closed the connection, or a socket call failed.
        case closed(String)
        /// The peer sent nothing for the header within the timeout.
        case timedOut(String)
    }
    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .headerTooLarge: return "the outlet's reply header is larger than \(LSLFeedParser.maximumHeaderBytes) bytes (or has a line over \(LSLFeedParser.maximumLineBytes))"
        case .refused(let status): return "the outlet refused the feed: '\(status.prefix(80))'"
        case .badHeader(let line): return "the outlet's reply header has an unusable value: '\(line.prefix(80))'"
        case .testPatternMismatch: return "the outlet's test-pattern samples are wrong (not an LSL 1.10 outlet of this format)"
        case .badTag(let tag): return "a sample starts with tag \(tag) (1 or 2 expected)"
        case .badStringLength(let length): return "a marker string of \(length) bytes (at most \(LSLFeedParser.maximumStringBytes) are accepted)"
        case .badTimestamp: return "a sample carries a timestamp that is not a finite number"
        case .unsupportedStream(let why): return "the stream cannot be read: \(why)"
        case .closed(let why): return "connection closed (\(why))"
        case .timedOut(let what): return "the outlet sent no \(what) in time"
        }
    }
}

/// One sample an outlet sent: its values as text and its timestamp in the outlet's clock.
public struct LSLInletSample: Sendable, Equatable {
    public var values: [String]
    public var timestamp: Double
}

/// Parses an outlet's answer to `LSL:streamfeed/110` as it arrives, in pieces: the status
/// line and headers, the two test-pattern samples, then samples (protocol 1.10: a tag byte,
/// 1 = the timestamp is deduced from the previous one, 2 = a float64 timestamp follows; then
/// each channel's value, a string being a length width (1, 4 or 8), the length, its bytes).
///
/// Untrusted input: every line, the header, each string and so the bytes held back are
/// bounded (at most one sample of ``maximumSampleBytes`` is kept waiting for its end);
/// anything malformed throws ``LSLInletError``, never traps. Pure, so it is fuzzed directly.
/// Not for a hot path: it allocates per sample (markers are rare).
public struct LSLFeedParser: Sendable {
    public static let maximumLineBytes = 1024
    public static let maximumHeaderBytes = 16384
    public static let maximumHeaderLines = 64
    /// The longest string value accepted (a marker beyond it ends the connection).
    public static let maximumStringBytes = 65536
    /// The most channels a marker stream may have.
    public static let maximumChannels = 64
    static let testPatternTimestamp = 123456.789

    public let channelCount: Int
    public let format: StreamInfo.ChannelFormat
    public let nominalRate: Double
    private var headerDone = false
    private var headerLines: [String] = []
    private var swapBytes = false
    private var patternsSeen = 0
    private var lastTimestamp = 0.0
    private var pending: [UInt8] = []
    /// Header bytes consumed so far (lines already read), however the bytes arrived.
    private var headerBytes = 0
    /// An error found after samples that were returned first; thrown by the next call.
    private var deferredError: LSLInletError?

    /// The longest sample this stream can send (strings at their cap).
    public var maximumSampleBytes: Int { 9 + channelCount * (format.byteWidth ?? (9 + Self.maximumStringBytes)) }

    public init(channelCount: Int, format: StreamInfo.ChannelFormat, nominalRate: Double) throws(LSLInletError) {
        guard (1...Self.maximumChannels).contains(channelCount) else { throw LSLInletError(.unsupportedStream("\(channelCount) channels (1–\(Self.maximumChannels) read)")) }
        guard nominalRate.isFinite, nominalRate >= 0 else { throw LSLInletError(.unsupportedStream("rate \(nominalRate)")) }
        self.channelCount = channelCount
        self.format = format
        self.nominalRate = nominalRate
    }

    /// Whether the header and both test patterns have been read and checked.
    public var verified: Bool { patternsSeen == 2 }
    /// An error found after samples that were returned first, not thrown yet (the next
    /// ``consume(_:)`` throws it).
    public var pendingError: LSLInletError? { deferredError }
    /// Whether the status line and headers have been read.
    public var headerComplete: Bool { headerDone }

    /// Takes the next bytes of the connection; returns the samples they complete (test
    /// patterns excluded), in order.
    /// When the bytes hold samples and then a protocol error, the samples are returned and
    /// the error is thrown by the next call (no marker that arrived is lost to a later fault).
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(LSLInletError) -> [LSLInletSample] {
        if let deferredError { throw deferredError }
        pending.append(contentsOf: bytes)
        var position = 0
        if !headerDone {
            position = try readHeader()
            guard headerDone else { return [] }
        }
        var samples: [LSLInletSample] = []
        do {
            try readSamples(from: &position, into: &samples)
        } catch {
            guard !samples.isEmpty else { throw error }
            deferredError = error
        }
        pending.removeFirst(position)
        return samples
    }

    private mutating func readSamples(from position: inout Int, into samples: inout [LSLInletSample]) throws(LSLInletError) {
        while let (sample, next) = try sample(at: position) {
            position = next
            if patternsSeen < 2 {
                try check(pattern: sample)
                patternsSeen += 1
                // Deduced timestamps count from 0 after the patterns, as liblsl's inlet does.
                lastTimestamp = 0
            } else {
                samples.append(sample)
            }
        }
    }

    /// Reads header lines from `pending`; returns where the samples start.
    private mutating func readHeader() throws(LSLInletError) -> Int {
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            guard newline - start <= Self.maximumLineBytes else { throw LSLInletError(.headerTooLarge) }
            let line = String(decoding: pending[start..<newline], as: UTF8.self).trimmingSpaces
            headerBytes += newline + 1 - start
            guard headerBytes <= Self.maximumHeaderBytes else { throw LSLInletError(.headerTooLarge) }
            start = newline + 1
            if line.isEmpty && !headerLines.isEmpty {
                try applyHeader()
                headerDone = true
                return start
            }
            headerLines.append(line)
            guard headerLines.count <= Self.maximumHeaderLines + 1 else { throw LSLInletError(.headerTooLarge) }
            if headerLines.count == 1 { try checkStatus(line) }
        }
        guard pending.count - start <= Self.maximumLineBytes, headerBytes + pending.count - start <= Self.maximumHeaderBytes else { throw LSLInletError(.headerTooLarge) }
        pending.removeFirst(start)
        return 0
    }

    private func checkStatus(_ line: String) throws(LSLInletError) {
        let words = line.split(separator: " ")
        guard words.count >= 2, words[0] == "LSL/110", words[1] == "200" else { throw LSLInletError(.refused(status: line)) }
    }

    private mutating func applyHeader() throws(LSLInletError) {
        for line in headerLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces.lowercased(), value = line[line.index(after: colon)...].trimmingSpaces
            switch key {
            case "byte-order":
                guard value == "1234" || value == "4321" else { throw LSLInletError(.badHeader(line)) }
                swapBytes = value == "4321"
            case "data-protocol-version":
                guard value == "110" else { throw LSLInletError(.badHeader(line)) }
            default: break // UID, Suppress-Subnormals: nothing to do for a reader
            }
        }
    }

    /// The sample starting at `position` of `pending` and where the next one starts, or
    /// nil when it is not all there yet.
    private mutating func sample(at position: Int) throws(LSLInletError) -> (LSLInletSample, Int)? {
        var reader = Reader(bytes: pending, position: position, swap: swapBytes)
        guard let tag = reader.take(1) else { return nil }
        let timestamp: Double
        switch tag {
        case 1: timestamp = lastTimestamp + (nominalRate > 0 ? 1 / nominalRate : 0)
        case 2:
            guard let bits = reader.take(8) else { return nil }
            timestamp = Double(bitPattern: bits)
            guard timestamp.isFinite else { throw LSLInletError(.badTimestamp) }
        default: throw LSLInletError(.badTag(UInt8(truncatingIfNeeded: tag)))
        }
        // Its lengths first, without decoding: a large sample arriving in many reads is
        // scanned (one length field per channel) on each, and decoded once, when complete.
        var scan = reader
        for _ in 0..<channelCount {
            guard try scan.skip(format) else {
                guard pending.count - position <= maximumSampleBytes else { throw LSLInletError(.badStringLength(UInt64(pending.count - position))) }
                return nil
            }
        }
        var values: [String] = []
        values.reserveCapacity(channelCount)
        for _ in 0..<channelCount {
            guard let value = try reader.value(format) else { return nil }
            values.append(value)
        }
        lastTimestamp = timestamp
        return (LSLInletSample(values: values, timestamp: timestamp), reader.position)
    }

    /// The test patterns (liblsl's `assign_test_pattern`): timestamp 123456.789, channel
    /// k = ±(k + offset), + for even k, with offset 4 then 2 plus a constant per format
    /// that reaches its high bytes (measured from pylsl 1.18's outlet: int8 +1, int16 +257,
    /// int32 +65537, int64 +2147483649, double64 +16777217, float32 +0); strings k + 10.
    private func check(pattern sample: LSLInletSample) throws(LSLInletError) {
        guard sample.timestamp == Self.testPatternTimestamp else { throw LSLInletError(.testPatternMismatch) }
        let high: Int = switch format {
        case .int8: 1
        case .int16: 257
        case .int32: 65537
        case .int64: 2_147_483_649
        case .double64: 16_777_217
        case .float32, .string: 0
        }
        let offset = format == .string ? 10 : (patternsSeen == 0 ? 4 : 2) + high
        for (k, value) in sample.values.enumerated() {
            let expected = (k + offset) * (k % 2 == 0 ? 1 : -1)
            guard let number = Double(value), number == Double(expected) else { throw LSLInletError(.testPatternMismatch) }
        }
    }

    /// Reads little- or big-endian fields from `pending` without copying.
    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let swap: Bool

        /// The next `count` (1–8) bytes as an unsigned integer in the stream's byte order.
        mutating func take(_ count: Int) -> UInt64? {
            guard bytes.count - position >= count else { return nil }
            var value: UInt64 = 0
            for i in 0..<count {
                let byte = UInt64(bytes[position + (swap ? i : count - 1 - i)])
                value = value << 8 | byte
            }
            position += count
            return value
        }

        /// A string value's length (its width byte and length field read), or nil when
        /// they are not all there.
        mutating func stringLength() throws(LSLInletError) -> Int? {
            guard let width = take(1) else { return nil }
            guard width == 1 || width == 4 || width == 8 else { throw LSLInletError(.badStringLength(width)) }
            guard let length = take(Int(width)) else { return nil }
            guard length <= UInt64(LSLFeedParser.maximumStringBytes) else { throw LSLInletError(.badStringLength(length)) }
            return Int(length)
        }

        /// Moves past one value without decoding it; false when its bytes are not all there.
        mutating func skip(_ format: StreamInfo.ChannelFormat) throws(LSLInletError) -> Bool {
            let length: Int
            if let width = format.byteWidth { length = width } else {
                guard let stringLength = try stringLength() else { return false }
                length = stringLength
            }
            guard bytes.count - position >= length else { return false }
            position += length
            return true
        }

        mutating func value(_ format: StreamInfo.ChannelFormat) throws(LSLInletError) -> String? {
            switch format {
            case .string:
                guard let length = try stringLength(), bytes.count - position >= length else { return nil }
                defer { position += length }
                return String(decoding: bytes[position..<(position + length)], as: UTF8.self)
            case .float32: return take(4).map { String(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
            case .double64: return take(8).map { String(Double(bitPattern: $0)) }
            case .int8: return take(1).map { String(Int8(truncatingIfNeeded: $0)) }
            case .int16: return take(2).map { String(Int16(truncatingIfNeeded: $0)) }
            case .int32: return take(4).map { String(Int32(truncatingIfNeeded: $0)) }
            case .int64: return take(8).map { String(Int64(truncatingIfNeeded: $0)) }
            }
        }
    }
}
