import Foundation
import Testing
@testable import EEGLSL

/// The pure parts of the protocol, against bytes and texts written out by hand from
/// liblsl's behaviour (tcp_server.cpp, udp_server.cpp, sample.cpp, api_config.cpp).
@Suite("LSL protocol pieces")
struct LSLProtocolTests {
    @Test("a float32 sample: tag 2, little-endian float64 timestamp, little-endian values")
    func float32Bytes() {
        var out = [UInt8](repeating: 0xEE, count: 17)
        let values: [Float] = [1.0, -2.5]
        values.withUnsafeBufferPointer { v in out.withUnsafeMutableBytes { LSLSampleEncoding.writeFloat32(timestamp: 1.5, values: v, to: $0.baseAddress!) } }
        // 1.5 = 0x3FF8000000000000; 1.0f = 0x3F800000; -2.5f = 0xC0200000
        #expect(out == [2, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0x80, 0x3F, 0, 0, 0x20, 0xC0])
    }

    @Test("a string sample: one-byte length up to 255 bytes, then a four-byte length")
    func stringBytes() {
        let short = LSLSampleEncoding.stringSample(timestamp: 0, values: ["hi"])
        #expect(short == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, UInt8(ascii: "h"), UInt8(ascii: "i")])
        let long = LSLSampleEncoding.stringSample(timestamp: 0, values: [String(repeating: "x", count: 300)])
        #expect(Array(long[9..<14]) == [4, 0x2C, 0x01, 0, 0] && long.count == 14 + 300)
    }

    @Test("the test patterns: offsets 4 then 2, ±(k + offset), timestamp 123456.789")
    func testPatterns() {
        let bytes = LSLSampleEncoding.testPatterns(channels: 3, format: .float32)
        #expect(bytes.count == 2 * 21)
        func floats(_ sample: Int) -> [Float] {
            (0..<3).map { k in Float(bitPattern: UInt32(bytes[sample * 21 + 9 + 4 * k]) | UInt32(bytes[sample * 21 + 10 + 4 * k]) << 8 | UInt32(bytes[sample * 21 + 11 + 4 * k]) << 16 | UInt32(bytes[sample * 21 + 12 + 4 * k]) << 24) }
        }
        #expect(floats(0) == [4, -5, 6] && floats(1) == [2, -3, 4])
        let stamp = bytes[1..<9].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        #expect(Double(bitPattern: stamp) == 123456.789)
        let strings = LSLSampleEncoding.testPatterns(channels: 2, format: .string)
        #expect(strings == [2] + Array(strings[1..<9]) + [1, 2] + Array("10".utf8) + [1, 3] + Array("-11".utf8)
                + [2] + Array(strings[1..<9]) + [1, 2] + Array("10".utf8) + [1, 3] + Array("-11".utf8))
    }

    @Test("UDP requests: shortinfo with return port and id, timedata; anything else is nil")
    func datagrams() {
        #expect(LSLDatagramRequest.parse(Array("LSL:shortinfo\r\nsession_id='default' and name='X'\r\n16580 123456789\r\n".utf8))
                == .shortinfo(query: "session_id='default' and name='X'", returnPort: 16580, queryID: "123456789"))
        #expect(LSLDatagramRequest.parse(Array("LSL:timedata\r\n3 1234.5678\r\n".utf8)) == .timedata(waveID: 3, t0: "1234.5678"))
        for bad in ["", "LSL:shortinfo\r\n", "LSL:shortinfo\r\nq\r\n0 1\r\n", "LSL:shortinfo\r\nq\r\n70000 1\r\n",
                    "LSL:timedata\r\nx 1\r\n", "LSL:timedata\r\n1 nan\r\n", "LSL:fullinfo\r\n\r\n", "\u{0}\u{1}"] {
            #expect(LSLDatagramRequest.parse(Array(bad.utf8)) == nil, "\(bad.debugDescription)")
        }
        #expect(LSLDatagramRequest.parse([UInt8](repeating: 65, count: LSLDatagramRequest.maximumBytes + 1)) == nil)
    }

    @Test("TCP requests: whole, incomplete, and refused past the limits")
    func streamRequests() throws {
        let feed = "LSL:streamfeed/110 abc-uid\r\nNative-Byte-Order: 1234\r\nEndian-Performance: 0\r\nHas-IEEE754-Floats: 1\r\n"
            + "Supports-Subnormals: 1\r\nValue-Size: 4\r\nData-Protocol-Version: 110\r\nMax-Buffer-Length: 90000\r\nMax-Chunk-Length: 0\r\n"
            + "Hostname: h\r\nSource-Id: s\r\nSession-Id: default\r\n\r\n"
        var expected = StreamFeedRequest(protocolVersion: 110, uid: "abc-uid")
        expected.maxBufferedSamples = 90000
        expected.valueSize = 4
        #expect(try LSLRequestParser.parse(Array(feed.utf8)) == .complete(.streamfeed(expected)))
        #expect(try LSLRequestParser.parse(Array(feed.dropLast(2).utf8)) == .incomplete)
        #expect(try LSLRequestParser.parse(Array("LSL:fullinfo\r\n".utf8)) == .complete(.fullinfo))
        #expect(try LSLRequestParser.parse(Array("LSL:shortinfo\r\n".utf8)) == .incomplete)
        #expect(try LSLRequestParser.parse(Array("LSL:shortinfo\r\nname='a'\r\n".utf8)) == .complete(.shortinfo(query: "name='a'")))
        #expect(throws: LSLRequestError.unknownMethod) { try LSLRequestParser.parse(Array("GET / HTTP/1.1\r\n".utf8)) }
        #expect(throws: LSLRequestError.badVersion) { try LSLRequestParser.parse(Array("LSL:streamfeed/100\r\n".utf8)) }
        #expect(throws: LSLRequestError.badVersion) { try LSLRequestParser.parse(Array("LSL:streamfeed/x\r\n".utf8)) }
        #expect(throws: LSLRequestError.lineTooLong) { try LSLRequestParser.parse([UInt8](repeating: 65, count: 2000)) }
        let endless = "LSL:streamfeed/110\r\n" + String(repeating: "X-Pad: 1\r\n", count: 100)
        #expect(throws: LSLRequestError.tooManyHeaderLines) { try LSLRequestParser.parse(Array(endless.utf8)) }
        #expect(throws: LSLRequestError.badHeaderValue("max-buffer-length")) {
            try LSLRequestParser.parse(Array("LSL:streamfeed/110\r\nMax-Buffer-Length: -5\r\n\r\n".utf8))
        }
    }

    @Test("queries: the XPath subset resolvers send")
    func queries() {
        let fields = ["name": "EEG", "type": "EEG", "source_id": "sim-1", "session_id": "default", "channel_count": "8"]
        for (query, expected) in [("", true), ("session_id='default'", true), ("session_id='default' and name='EEG'", true),
                                  ("session_id='default' and name='Other'", false), ("name='EEG' or name='x'", true),
                                  ("not(name='EEG')", false), ("starts-with(source_id,'sim')", true), ("contains(name,'E')", true),
                                  ("channel_count=8", true), ("channel_count>8", false), ("name!='x' and (type='EEG')", true),
                                  ("desc/channels='x'", false), ("name='EEG", false), ("((((name='EEG'))))", true)] {
            #expect(LSLQuery.matches(query, fields: fields) == expected, "\(query)")
        }
        #expect(!LSLQuery.matches(String(repeating: "(", count: 100) + "name='EEG'" + String(repeating: ")", count: 100), fields: fields))
    }

    @Test("lsl_api.cfg: machine scope, known peers, IPv6 off, ports; liblsl's search order")
    func configuration() throws {
        let text = "; comment\r\n[multicast]\r\nResolveScope = machine\r\n[lab]\r\nKnownPeers = {127.0.0.1, 10.0.0.2}\r\nSessionID = lab1\r\n[ports]\r\nIPv6 = disable\r\nBasePort = 17000\r\nPortRange = 4\r\n"
        let c = try LSLConfiguration(iniText: text)
        #expect(c.scope == .machine && c.loopbackOnly && c.knownPeers == ["127.0.0.1", "10.0.0.2"] && c.sessionID == "lab1")
        #expect(!c.allowIPv6 && c.allowIPv4 && c.basePort == 17000 && c.portRange == 4 && c.discoveryAddresses == ["127.0.0.1"])
        let defaults = LSLConfiguration()
        #expect(defaults.scope == .site && defaults.discoveryAddresses.contains("239.255.172.215") && defaults.multicastPort == 16571)
        #expect(throws: LSLConfigurationError(kind: .badValue(key: "multicast.ResolveScope"), path: "x", line: 2)) {
            try LSLConfiguration(iniText: "[multicast]\nResolveScope = galaxy", path: "x")
        }
        #expect(LSLConfiguration.searchPath(environment: ["LSLAPICFG": "/a.cfg", "HOME": "/h"]) == ["/a.cfg", "lsl_api.cfg", "/h/lsl_api/lsl_api.cfg", "/etc/lsl_api/lsl_api.cfg"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-\(getpid()).cfg").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let loaded = try LSLConfiguration.load(environment: ["LSLAPICFG": file, "HOME": "/nonexistent"])
        #expect(loaded.source == file && loaded.scope == .machine)
    }

    @Test("the sample queue hands over whole samples in order, wraps, and drops (counted) when full")
    func queue() {
        let queue = LSLSampleQueue(capacity: 64, maximumSampleBytes: 20)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 20, alignment: 8)
        defer { scratch.deallocate() }
        var received: [[UInt8]] = []
        for round in 0..<10 {
            for k in 0..<3 { _ = [UInt8](repeating: UInt8(round * 3 + k), count: 10 + k).withUnsafeBytes { queue.push($0) } }
            queue.drain(scratch: scratch) { received.append(Array($0)) }
        }
        var expected: [[UInt8]] = []
        for round in 0..<10 { for k in 0..<3 { expected.append([UInt8](repeating: UInt8(round * 3 + k), count: 10 + k)) } }
        #expect(received == expected)
        for _ in 0..<5 { _ = [UInt8](repeating: 1, count: 20).withUnsafeBytes { queue.push($0) } }
        #expect(queue.droppedSamples == 3) // 64 bytes hold two 24-byte records
        #expect(![UInt8](repeating: 1, count: 21).withUnsafeBytes { queue.push($0) })
    }
}
