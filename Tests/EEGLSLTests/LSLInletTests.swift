import Foundation
import Glibc
import Testing
import EEGFormats
@testable import EEGLSL

/// The marker inlet's pieces against bytes written out by hand (protocol 1.10 as liblsl's
/// outlet sends it), and the whole inlet against EEGKit's own outlet on loopback.
@Suite("LSL marker inlet")
struct LSLInletTests {
    static let okHeader = "LSL/110 200 OK\r\nUID: abc\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n"

    /// Tag 2, the timestamp's little-endian bytes, then one-byte-length strings.
    static func stringSample(_ timestamp: Double, _ values: [String], bigEndian: Bool = false) -> [UInt8] {
        let bits = bigEndian ? timestamp.bitPattern.bigEndian : timestamp.bitPattern.littleEndian
        var bytes: [UInt8] = [2] + withUnsafeBytes(of: bits) { Array($0) }
        for value in values { bytes += [1, UInt8(value.utf8.count)] + Array(value.utf8) }
        return bytes
    }

    static var stringPatterns: [UInt8] { stringSample(123456.789, ["10"]) + stringSample(123456.789, ["10"]) }

    @Test("a string feed parses the same whole or byte by byte; deduced timestamps follow the rate")
    func stringFeed() throws {
        let bytes = Array(Self.okHeader.utf8) + Self.stringPatterns + Self.stringSample(1000.25, ["stimulus on"])
            + [1, 1, 3] + Array("off".utf8) // deduced: previous + 1/rate
            + [2] + withUnsafeBytes(of: (1001.5).bitPattern.littleEndian) { Array($0) } + [4, 2, 0, 0, 0] + Array("ab".utf8)
        let expected = [LSLInletSample(values: ["stimulus on"], timestamp: 1000.25), LSLInletSample(values: ["off"], timestamp: 1000.5),
                        LSLInletSample(values: ["ab"], timestamp: 1001.5)]
        var whole = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 4)
        #expect(try whole.consume(bytes) == expected)
        #expect(whole.verified)
        var pieces = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 4)
        var pulled: [LSLInletSample] = []
        for byte in bytes { pulled += try pieces.consume([byte]) }
        #expect(pulled == expected)
    }

    @Test("an int32 feed in big-endian byte order: patterns ±(k+4+65537), ±(k+2+65537) as pylsl 1.18 sends them, values as text")
    func int32BigEndian() throws {
        func sample(_ t: Double, _ values: [Int32]) -> [UInt8] {
            [2] + withUnsafeBytes(of: t.bitPattern.bigEndian) { Array($0) } + values.flatMap { v in withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        }
        let header = Self.okHeader.replacingOccurrences(of: "1234", with: "4321")
        let bytes = Array(header.utf8) + sample(123456.789, [65541, -65542]) + sample(123456.789, [65539, -65540]) + sample(7.5, [42, -1])
        var parser = try LSLFeedParser(channelCount: 2, format: .int32, nominalRate: 0)
        #expect(try parser.consume(bytes) == [LSLInletSample(values: ["42", "-1"], timestamp: 7.5)])
    }

    @Test("the test patterns of every numeric format, as pylsl 1.18's outlet sends them (3 channels)")
    func numericPatterns() throws {
        func sample(_ values: [Double], _ format: StreamInfo.ChannelFormat) -> [UInt8] {
            var bytes: [UInt8] = [2] + withUnsafeBytes(of: (123456.789).bitPattern.littleEndian) { Array($0) }
            for v in values {
                switch format {
                case .int8: bytes += [UInt8(bitPattern: Int8(v))]
                case .int16: bytes += withUnsafeBytes(of: Int16(v).littleEndian) { Array($0) }
                case .int32: bytes += withUnsafeBytes(of: Int32(v).littleEndian) { Array($0) }
                case .int64: bytes += withUnsafeBytes(of: Int64(v).littleEndian) { Array($0) }
                case .double64: bytes += withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) }
                default: bytes += withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { Array($0) }
                }
            }
            return bytes
        }
        let measured: [(StreamInfo.ChannelFormat, [Double], [Double])] = [
            (.int32, [65541, -65542, 65543], [65539, -65540, 65541]), (.int16, [261, -262, 263], [259, -260, 261]),
            (.int8, [5, -6, 7], [3, -4, 5]), (.int64, [2147483653, -2147483654, 2147483655], [2147483651, -2147483652, 2147483653]),
            (.double64, [16777221, -16777222, 16777223], [16777219, -16777220, 16777221]), (.float32, [4, -5, 6], [2, -3, 4]),
        ]
        for (format, first, second) in measured {
            var parser = try LSLFeedParser(channelCount: 3, format: format, nominalRate: 0)
            _ = try parser.consume(Array(Self.okHeader.utf8) + sample(first, format) + sample(second, format))
            #expect(parser.verified, "\(format)")
        }
    }

    @Test("hostile replies end the feed with the kind that says why", arguments: [
        ("LSL/110 404 Not found\r\n\r\n", LSLInletError.Kind.refused(status: "LSL/110 404 Not found")),
        ("LSL/110 200 OK\r\nByte-Order: 3412\r\n\r\n", .badHeader("Byte-Order: 3412")),
        ("LSL/110 200 OK\r\nData-Protocol-Version: 100\r\n\r\n", .badHeader("Data-Protocol-Version: 100")),
        ("A × 1100", .headerTooLarge),
        ("70 header lines", .headerTooLarge),
    ])
    func hostileHeaders(reply: String, kind: LSLInletError.Kind) throws {
        let bytes = switch reply {
        case "A × 1100": String(repeating: "A", count: 1100)
        case "70 header lines": "LSL/110 200 OK\r\n" + String(repeating: "X: y\r\n", count: 70)
        default: reply
        }
        var parser = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
        #expect(throws: LSLInletError(kind)) { _ = try parser.consume(Array(bytes.utf8)) }
    }

    @Test("hostile samples: wrong patterns, bad tags, huge or bogus string lengths, NaN timestamps")
    func hostileSamples() throws {
        let header = Array(Self.okHeader.utf8)
        let nan = [2] + withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { Array($0) } + [1, 1, 65]
        let cases: [([UInt8], LSLInletError.Kind)] = [
            (Self.stringSample(123456.789, ["11"]), .testPatternMismatch),
            (Self.stringSample(1, ["10"]), .testPatternMismatch),
            (Self.stringPatterns + [7], .badTag(7)),
            (Self.stringPatterns + [1, 3], .badStringLength(3)),
            (Self.stringPatterns + [1, 8] + withUnsafeBytes(of: UInt64(1) << 40) { Array($0) }, .badStringLength(1 << 40)),
            (Self.stringPatterns + [1, 8] + [UInt8](repeating: 0xFF, count: 8), .badStringLength(UInt64.max)),
            (Self.stringPatterns + nan, .badTimestamp),
        ]
        for (bytes, kind) in cases {
            var parser = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
            #expect(throws: LSLInletError(kind)) { _ = try parser.consume(header + bytes) }
        }
        #expect(throws: LSLInletError(.unsupportedStream("0 channels (1–64 read)"))) { _ = try LSLFeedParser(channelCount: 0, format: .string, nominalRate: 0) }
    }

    @Test("markers before a protocol error in the same bytes are returned; the error comes next")
    func samplesBeforeError() throws {
        var parser = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
        let bytes = Array(Self.okHeader.utf8) + Self.stringPatterns + Self.stringSample(1, ["m0"]) + Self.stringSample(2, ["m1"]) + [9]
        #expect(try parser.consume(bytes).map(\.values) == [["m0"], ["m1"]])
        #expect(throws: LSLInletError(.badTag(9))) { _ = try parser.consume([]) }
    }

    @Test("the header bound holds however the bytes arrive (20 lines of 998 bytes: whole or in 255-byte pieces)")
    func headerBoundInPieces() throws {
        let bytes = Array(("LSL/110 200 OK\r\n" + String(repeating: "X: " + String(repeating: "y", count: 993) + "\r\n", count: 20)).utf8)
        var whole = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
        #expect(throws: LSLInletError(.headerTooLarge)) { _ = try whole.consume(bytes) }
        var pieces = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
        #expect(throws: LSLInletError(.headerTooLarge)) {
            for start in stride(from: 0, to: bytes.count, by: 255) { _ = try pieces.consume(bytes[start..<min(bytes.count, start + 255)]) }
        }
    }

    @Test("a string announced within the cap waits for its bytes; what is held stays bounded")
    func partialString() throws {
        var parser = try LSLFeedParser(channelCount: 1, format: .string, nominalRate: 0)
        let start = Array(Self.okHeader.utf8) + Self.stringPatterns + [2] + withUnsafeBytes(of: (5.0).bitPattern.littleEndian) { Array($0) }
            + [4] + withUnsafeBytes(of: UInt32(60000).littleEndian) { Array($0) }
        #expect(try parser.consume(start + [UInt8](repeating: 65, count: 30000)).isEmpty)
        let rest = try parser.consume([UInt8](repeating: 66, count: 30000))
        #expect(rest.count == 1 && rest[0].values[0].utf8.count == 60000 && rest[0].timestamp == 5)
    }

    @Test("reply parsers: the shortinfo of our query only; time replies of four finite numbers")
    func replies() {
        let info = StreamInfo(name: "Triggers", type: "Markers", channelCount: 1, nominalRate: 0, channelFormat: .string, sourceID: "s")
        let reply = Array("42\r\n".utf8) + Array(info.xml(includingDescription: false).utf8)
        #expect(LSLReplyParser.shortInfo(reply, queryID: "42")?.name == "Triggers")
        #expect(LSLReplyParser.shortInfo(reply, queryID: "43") == nil)
        #expect(LSLReplyParser.shortInfo(Array("42\r\n<info>".utf8), queryID: "42") == nil)
        #expect(LSLReplyParser.timeReply(Array(" 7 1.5 2.25 2.5".utf8))! == (7, 1.5, 2.25, 2.5))
        #expect(LSLReplyParser.timeReply(Array(" 7 1.5 nan 2.5".utf8)) == nil)
        #expect(LSLReplyParser.timeReply(Array(" 7 1.5 2.5".utf8)) == nil)
    }

    @Test("time correction from one probe: NTP's offset, negated; impossible times refused")
    func probe() {
        // The outlet's clock is 100 s ahead; 1 ms each way, 1 ms to answer.
        let estimate = LSLTimeCorrection.fromProbe(t0: 10, t1: 110.001, t2: 110.002, t3: 10.003)!
        #expect(abs(estimate.correction - -100) < 1e-9 && abs(estimate.roundTrip - 0.002) < 1e-9)
        #expect(LSLTimeCorrection.fromProbe(t0: 10, t1: 110.002, t2: 110.001, t3: 10.003) == nil)
        #expect(LSLTimeCorrection.fromProbe(t0: 10, t1: 110, t2: 110.01, t3: 10.001) == nil)
        #expect(LSLTimeCorrection.fromProbe(t0: -1e308, t1: 1e308, t2: 1e308, t3: -1e308) == nil)
    }

    @Test("machine scope: queries go to loopback targets only, KnownPeers on every port of the range")
    func targets() throws {
        var configuration = try LSLConfiguration(iniText: "[multicast]\nResolveScope = machine\n[lab]\nKnownPeers = {127.0.0.1, 10.1.2.3, lab-pc}\n[ports]\nBasePort = 20000\nPortRange = 3\n")
        let targets = LSLResolver(configuration: configuration).targets.map { "\($0.address):\($0.port)" }
        #expect(targets == ["127.0.0.1:16571", "127.0.0.1:20000", "127.0.0.1:20001", "127.0.0.1:20002"])
        configuration.scope = .site
        let site = LSLResolver(configuration: configuration).targets.map(\.address)
        #expect(site.contains("10.1.2.3") && !site.contains("lab-pc"))
        #expect(LSLResolver(configuration: configuration).query(name: "Triggers") == "session_id='default' and name='Triggers'")
    }
}
