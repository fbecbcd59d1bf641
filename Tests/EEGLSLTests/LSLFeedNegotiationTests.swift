import Foundation
import Glibc
import Testing
import EEGFormats
@testable import EEGLSL

/// A machine-scope service on ports from `base` (no discovery responder); with
/// `startingThread: false` the test turns it by hand.
func loopbackService(base: Int, startingThread: Bool = true) throws -> LSLService {
    var configuration = LSLConfiguration()
    configuration.scope = .machine
    configuration.basePort = base + Int(getpid() % 100) // away from the other suites' ports
    configuration.multicastPort = 1 // no discovery responder needed
    return try LSLService(configuration: configuration, limits: LSLLimits(), startingThread: startingThread)
}

/// A hand-turned service (ports from `base`) with one small outlet, already adopted.
func adoptedOutlet(base: Int, _ name: String) throws -> (LSLService, LSLOutlet) {
    let service = try loopbackService(base: base, startingThread: false)
    let outlet = try smallOutlet(service, name)
    service.turn() // adopts the outlet
    return (service, outlet)
}

/// A one-channel 250 Hz float32 outlet.
func smallOutlet(_ service: LSLService, _ name: String) throws -> LSLOutlet {
    try service.addOutlet(StreamInfo(name: name, type: "EEG", channelCount: 1, nominalRate: 250, channelFormat: .float32, sourceID: name), format: .float32)
}

/// What a streamfeed request's headers negotiate, against the bytes liblsl's outlet
/// (tcp_server.cpp) would send for the same request.
@Suite("LSL streamfeed negotiation", .serialized)
struct LSLFeedNegotiationTests {
    func makeService() throws -> LSLService { try loopbackService(base: 16900) }

    /// A service with one outlet (strings: 1 channel, irregular; float32: 2 channels at
    /// 250 Hz) and a raw inlet that sent it liblsl 1.17's request.
    func requested(_ format: LSLValueFormat, valueSize: Int) throws -> (LSLService, LSLOutlet, RawPeer) {
        let service = try makeService()
        let text = format == .string
        let info = StreamInfo(name: "neg-\(format)-\(getpid())", type: text ? "Markers" : "EEG", channelCount: text ? 1 : 2,
                              nominalRate: text ? 0 : 250, channelFormat: text ? .string : .float32, sourceID: "t")
        let outlet = try service.addOutlet(info, format: format)
        let peer = try RawPeer(port: outlet.info.v4DataPort)
        peer.send(liblsl117Request(uid: outlet.info.uid, valueSize: valueSize))
        return (service, outlet, peer)
    }

    func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<400 { if condition() { return true }; usleep(20_000) }
        return condition()
    }

    /// The request liblsl 1.17's inlet sends for a string stream: `Value-Size` is its
    /// `channel_bytes()`, `sizeof(std::string)` = 32 on 64-bit Linux.
    func liblsl117Request(uid: String, valueSize: Int) -> String {
        "LSL:streamfeed/110 \(uid)\r\nNative-Byte-Order: 1234\r\nEndian-Performance: 0\r\nHas-IEEE754-Floats: 1\r\n"
            + "Supports-Subnormals: 1\r\nValue-Size: \(valueSize)\r\nData-Protocol-Version: 110\r\nMax-Buffer-Length: 360\r\n"
            + "Max-Chunk-Length: 0\r\nHostname: h\r\nSource-Id: s\r\nSession-Id: default\r\n\r\n"
    }

    @Test("Value-Size is any non-negative int (liblsl reads it with stoi); negative or past Int32 is refused")
    func valueSizeParsing() throws {
        var expected = StreamFeedRequest(protocolVersion: 110, uid: "u")
        expected.valueSize = 32
        #expect(try LSLRequestParser.parse(Array("LSL:streamfeed/110 u\r\nValue-Size: 32\r\n\r\n".utf8)) == .complete(.streamfeed(expected)))
        for bad in ["-1", "2147483648", "x"] {
            #expect(throws: LSLRequestError.badHeaderValue("value-size")) {
                try LSLRequestParser.parse(Array("LSL:streamfeed/110 u\r\nValue-Size: \(bad)\r\n\r\n".utf8))
            }
        }
    }

    @Test("a markers outlet serves a liblsl 1.17 inlet (Value-Size: 32): 200 OK, test patterns, then the marker")
    func stringOutletIgnoresValueSize() throws {
        let (service, outlet, peer) = try requested(.string, valueSize: 32)
        defer { service.stop() }
        #expect(waitFor { service.currentStatistics.connections == 1 })
        usleep(100_000) // the request was read and the feed started
        outlet.push("stimulus A", timestamp: 1234.5)
        outlet.publish()
        usleep(100_000)
        outlet.close()
        let bytes = try #require(peer.readToEnd())
        let expected = Array("LSL/110 200 OK\r\nUID: \(outlet.info.uid)\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n".utf8)
            + LSLSampleEncoding.testPatterns(channels: 1, format: .string)
            + LSLSampleEncoding.stringSample(timestamp: 1234.5, values: ["stimulus A"])
        #expect(bytes == expected, "got \(String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription)…")
    }

    @Test("a float32 outlet still answers 505 to a Value-Size other than 4 (liblsl would fall back to protocol 1.00)")
    func numericOutletChecksValueSize() throws {
        let (service, _, peer) = try requested(.float32, valueSize: 8)
        defer { service.stop() }
        #expect(try #require(peer.readToEnd()) == Array("LSL/110 505 Version not supported\r\n".utf8))
    }
}

/// The service's life: it ends when stopped (no thread ↔ service cycle keeping it and its
/// wake pipe alive), and a publisher whose later outlet fails stops the service it began.
@Suite("LSL service lifetime", .serialized)
struct LSLServiceLifetimeTests {
    @Test("a stopped service is released (its thread does not keep it alive)")
    func releasedAfterStop() throws {
        weak var weakService: LSLService?
        do {
            let service = try loopbackService(base: 17000)
            weakService = service
            service.stop()
        }
        for _ in 0..<100 where weakService != nil { usleep(20_000) } // the thread's exit releases it
        #expect(weakService == nil)
    }
}

extension LSLServiceLifetimeTests {
    @Test("a connection accepted on the fd number another one closed in the same turn is served, not dropped")
    func reusedDescriptorInOneTurn() throws {
        let service = try loopbackService(base: 17100, startingThread: false)
        let first = try smallOutlet(service, "reuse-a"), second = try smallOutlet(service, "reuse-b")
        service.turn() // adopts both outlets
        var reset: RawPeer? = try RawPeer(port: first.info.v4DataPort)
        usleep(50_000)
        service.turn() // accepts it (fd N)
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(reset!.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        reset = nil // closed with a reset: fd N polls POLLERR|POLLHUP next turn
        let inlet = try RawPeer(port: second.info.v4DataPort)
        inlet.send("LSL:fullinfo\r\n")
        usleep(50_000)
        service.turn() // closes fd N for the first outlet, then accepts the inlet, on fd N, for the second
        service.startThread()
        defer { service.stop() }
        #expect(inlet.readToEnd() == second.fullInfo)
    }
}

extension LSLServiceLifetimeTests {
    @Test("accepted connections probe idle peers: SO_KEEPALIVE (10 s idle, 5 s × 3 probes) and TCP_USER_TIMEOUT 30 s")
    func keepalive() throws {
        let (service, outlet) = try adoptedOutlet(base: 17200, "keepalive")
        let peer = try RawPeer(port: outlet.info.v4DataPort)
        usleep(50_000)
        service.turn() // accepts the peer
        let fd = try #require(service.connections[ObjectIdentifier(outlet)]?.first?.fd)
        func option(_ level: Int32, _ name: Int32) -> Int32 {
            var value: Int32 = -1, size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, level, name, &value, &size)
            return value
        }
        #expect(option(SOL_SOCKET, SO_KEEPALIVE) == 1)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 10)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPINTVL) == 5)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPCNT) == 3)
        #expect(option(Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 30_000)
        service.startThread()
        service.stop()
        _ = peer
    }
}
