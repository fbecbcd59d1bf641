/// A UDP datagram an outlet's service or the discovery responder received. Untrusted:
/// parsed from at most ``maximumBytes`` bytes, never trapping, anything else is `nil`.
public enum LSLDatagramRequest: Sendable, Equatable {
    /// `LSL:shortinfo\r\nQUERY\r\nRETURN_PORT QUERY_ID\r\n`: answer with `QUERY_ID\r\n` and
    /// the short info to the sender's address at RETURN_PORT, if the query matches.
    case shortinfo(query: String, returnPort: UInt16, queryID: String)
    /// `LSL:timedata\r\nWAVE_ID T0\r\n`: answer ` WAVE_ID T0 T1 T2` to the sender.
    case timedata(waveID: Int, t0: String)

    public static let maximumBytes = 8192

    public static func parse(_ bytes: some Collection<UInt8>) -> LSLDatagramRequest? {
        guard bytes.count <= maximumBytes else { return nil }
        // Split bytes, not Characters: "\r\n" is one Character in Swift.
        let lines = Array(bytes).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
        guard lines.count >= 2 else { return nil }
        let words = lines.count > 2 ? lines[2].split(separator: " ").map(String.init) : []
        switch lines[0] {
        case "LSL:shortinfo":
            guard words.count >= 2, let port = UInt16(words[0]), port > 0, words[1].utf8.count <= 64 else { return nil }
            return .shortinfo(query: lines[1], returnPort: port, queryID: words[1])
        case "LSL:timedata":
            let fields = lines[1].split(separator: " ").map(String.init)
            guard fields.count >= 2, let wave = Int(fields[0]), fields[1].utf8.count <= 40,
                  let t0 = Double(fields[1]), t0.isFinite else { return nil }
            return .timedata(waveID: wave, t0: fields[1])
        default:
            return nil
        }
    }
}

/// What an inlet asked an outlet's TCP service for.
public enum LSLStreamRequest: Sendable, Equatable {
    /// `LSL:shortinfo\r\nQUERY\r\n`: the short info if the query matches (else nothing).
    case shortinfo(query: String)
    /// `LSL:fullinfo\r\n`: the full info, description included.
    case fullinfo
    /// `LSL:streamfeed/VERSION [UID]\r\n` and `Key: value` header lines up to an empty line.
    case streamfeed(StreamFeedRequest)
}

/// The parameters of a `LSL:streamfeed/110` request that matter to an outlet.
public struct StreamFeedRequest: Sendable, Equatable {
    public var protocolVersion: Int
    public var uid: String
    /// `Max-Buffer-Length`: how many samples the inlet wants buffered (0 = only the test patterns).
    public var maxBufferedSamples = 0
    /// `Max-Chunk-Length`: samples per transfer the inlet asks for (0 = the outlet's choice).
    public var chunkLength = 0
    /// `Value-Size`: bytes per value the inlet expects.
    public var valueSize: Int?
    /// `Native-Byte-Order` (1234 little-endian); EEGKit always sends its own (little) order
    /// and says so, which liblsl's inlets convert.
    public var byteOrder = 1234
    public var hasIEEE754Floats = true
}

/// Why a TCP request was refused (the connection is then closed).
public enum LSLRequestError: Error, Sendable, Equatable {
    case lineTooLong, headerTooLarge, tooManyHeaderLines, unknownMethod, badVersion, badHeaderValue(String)
}

/// Parses a request from the bytes a connection has sent so far (bounded: a line of at
/// most ``maximumLineBytes``, a request of at most ``maximumRequestBytes``, at most
/// ``maximumHeaderLines`` header lines). Pure, so it is fuzzed directly.
public enum LSLRequestParser {
    public static let maximumLineBytes = 1024
    public static let maximumRequestBytes = 16384
    public static let maximumHeaderLines = 64

    public enum Outcome: Sendable, Equatable {
        /// Not a whole request yet: read more (within the limits).
        case incomplete
        case complete(LSLStreamRequest)
    }

    public static func parse(_ bytes: [UInt8]) throws(LSLRequestError) -> Outcome {
        var lines: [String] = []
        var start = 0
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            guard i - start <= maximumLineBytes else { throw .lineTooLong }
            lines.append(String(decoding: bytes[start..<i], as: UTF8.self).trimmingSpaces)
            start = i + 1
            if let outcome = try request(from: lines) { return outcome }
            guard lines.count <= maximumHeaderLines + 1 else { throw .tooManyHeaderLines }
        }
        guard bytes.count - start <= maximumLineBytes else { throw .lineTooLong }
        guard bytes.count <= maximumRequestBytes else { throw .headerTooLarge }
        return .incomplete
    }

    /// The request once `lines` make a whole one; `nil` while more are needed.
    private static func request(from lines: [String]) throws(LSLRequestError) -> Outcome? {
        let method = lines[0]
        if method == "LSL:fullinfo" { return .complete(.fullinfo) }
        if method == "LSL:shortinfo" { return lines.count < 2 ? nil : .complete(.shortinfo(query: lines[1])) }
        guard method.hasPrefix("LSL:streamfeed/") else { throw .unknownMethod }
        let words = method.dropFirst("LSL:streamfeed/".count).split(separator: " ")
        guard let first = words.first, let version = Int(first), (100...999).contains(version) else { throw .badVersion }
        guard version >= 110 else { throw .badVersion }
        guard lines.count >= 2, lines.last!.isEmpty else { return nil }
        var feed = StreamFeedRequest(protocolVersion: version, uid: words.count > 1 ? String(words[1]) : "")
        for line in lines.dropFirst().dropLast() { try apply(header: line, to: &feed) }
        return .complete(.streamfeed(feed))
    }

    private static func apply(header line: String, to feed: inout StreamFeedRequest) throws(LSLRequestError) {
        guard let colon = line.firstIndex(of: ":") else { return }
        let key = line[..<colon].trimmingSpaces.lowercased()
        var value = line[line.index(after: colon)...].trimmingSpaces
        if let semicolon = value.firstIndex(of: ";") { value = value[..<semicolon].trimmingSpaces }
        func number(_ range: ClosedRange<Int>) throws(LSLRequestError) -> Int {
            guard let n = Int(value), range.contains(n) else { throw .badHeaderValue(key) }
            return n
        }
        switch key {
        case "max-buffer-length": feed.maxBufferedSamples = try number(0...Int(Int32.max))
        case "max-chunk-length": feed.chunkLength = try number(0...Int(Int32.max))
        case "value-size": feed.valueSize = try number(0...Int(Int32.max)) // liblsl: stoi; strings send sizeof(std::string)
        case "native-byte-order": feed.byteOrder = try number(0...9999)
        case "has-ieee754-floats": feed.hasIEEE754Floats = value != "0" && value.lowercased() != "false"
        default: break
        }
    }
}
