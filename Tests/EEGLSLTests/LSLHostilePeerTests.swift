import Foundation
import Glibc
import Testing
import Synchronization
import EEGFormats
@testable import EEGLSL

/// A plain TCP peer on loopback that does what a hostile or broken inlet would.
final class RawPeer: @unchecked Sendable { // one thread uses it at a time
    let fd: Int32
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4) }
        var timeout = timeval(tv_sec: 8, tv_usec: 0) // a hang guard: a test fails instead of hanging
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = LSLSocket.address("127.0.0.1", port: port)!
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { close(fd); throw LSLError(kind: .socket(call: "connect", errno: errno)) }
    }
    deinit { close(fd) }
    /// False once the service closed the connection.
    @discardableResult func send(_ text: String) -> Bool { send(Array(text.utf8)) }
    @discardableResult func send(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) == $0.count } }
    /// Everything until the service closes the connection (nil if it did not within 8 s).
    func readToEnd(limit: Int = 1 << 20) -> [UInt8]? {
        var all: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while all.count < limit {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return all }
            if n < 0 { return errno == ECONNRESET ? all : nil }
            all += chunk[0..<n]
        }
        return nil
    }
}

/// The service against inlets that misbehave: none of them stops it answering others,
/// grows its memory past the caps, or holds a connection past its timeout.
@Suite("LSL outlet against hostile peers", .serialized)
struct LSLHostilePeerTests {
    func makeService(_ limits: LSLLimits = LSLLimits()) throws -> (LSLService, LSLOutlet) {
        // Ports away from the interop tests' ones.
        try eightChannelService(limits, basePort: 16700 + Int(getpid() % 200), name: "hostile-\(getpid())", startingThread: true)
    }

    func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<400 { if condition() { return true }; usleep(20_000) }
        return condition()
    }

    @Test("malformed, oversized and endless requests are closed; the next inlet is served")
    func malformed() throws {
        let (service, outlet) = try makeService()
        defer { service.stop() }
        let port = outlet.info.v4DataPort
        for bad in ["GET / HTTP/1.1\r\n\r\n", "LSL:streamfeed/999999999999\r\n", String(repeating: "A", count: 5000),
                    "LSL:streamfeed/110\r\nMax-Buffer-Length: 99999999999999999999\r\n\r\n", "\u{0}\u{ff}\r\n"] {
            let peer = try RawPeer(port: port)
            peer.send(bad)
            #expect(peer.readToEnd() == [], "\(bad.prefix(40).debugDescription) was answered or held open")
        }
        let endless = try RawPeer(port: port)
        endless.send("LSL:streamfeed/110\r\n")
        var sent = 0
        while sent < 1 << 20, endless.send("X-Header: " + String(repeating: "y", count: 100) + "\r\n") { sent += 112 }
        #expect(sent < 1 << 20, "the service kept reading an endless header")
        let good = try RawPeer(port: port)
        good.send("LSL:fullinfo\r\n")
        let reply = String(decoding: try #require(good.readToEnd()), as: UTF8.self)
        #expect(reply.contains("<name>hostile-\(getpid())</name>"))
        #expect(service.currentStatistics.refusedOrTimedOut >= 6)
    }

    @Test("silent and half-open connections are closed (request timeout, or the peer's end)")
    func silent() throws {
        var limits = LSLLimits()
        limits.requestTimeout = 0.3
        let (service, outlet) = try makeService(limits)
        defer { service.stop() }
        let silent = try RawPeer(port: outlet.info.v4DataPort)
        #expect(silent.readToEnd() == [])
        let half = try RawPeer(port: outlet.info.v4DataPort)
        half.send("LSL:streamfeed/110 \r\nValue-Size: 4\r\n")
        shutdown(half.fd, Int32(SHUT_WR))
        #expect(half.readToEnd() == [])
        #expect(waitFor { service.currentStatistics.connections == 0 })
    }

    @Test("connections beyond the cap are closed at once")
    func cap() throws {
        var limits = LSLLimits()
        limits.connectionsPerOutlet = 3
        let (service, outlet) = try makeService(limits)
        defer { service.stop() }
        let peers = try (0..<5).map { _ in try RawPeer(port: outlet.info.v4DataPort) }
        #expect(waitFor { service.currentStatistics.connections == 3 && service.currentStatistics.refusedOrTimedOut == 2 })
        #expect(peers.count == 5)
    }

    @Test("a feed whose peer keeps sending after its request is closed (it would cost a turn per read)")
    func keepsSending() throws {
        let (service, outlet) = try makeService()
        defer { service.stop() }
        let peer = try RawPeer(port: outlet.info.v4DataPort)
        peer.send("LSL:streamfeed/110 \(outlet.info.uid)\r\nValue-Size: 4\r\nMax-Buffer-Length: 100\r\n\r\n")
        #expect(waitFor { service.currentStatistics.connections == 1 })
        usleep(100_000) // the feed started
        for _ in 0..<16 where peer.send([UInt8](repeating: 0x41, count: 4096)) {}
        let fed = peer.readToEnd() // the header and test patterns, then the close
        #expect(fed != nil, "the connection was still open after 8 s")
        #expect(waitFor { service.currentStatistics.connections == 0 && service.currentStatistics.refusedOrTimedOut == 1 })
    }

    @Test("an inlet that stops reading costs samples or its connection, never EEGKit's memory; nothing is lost silently")
    func nonReading() throws {
        var limits = LSLLimits()
        // Room for half a second of this producer: the reading inlet keeps up within that on
        // a quiet machine; the stuck one fills it and loses samples, or stalls and is closed.
        limits.feedBytes = 1 << 20
        limits.minimumFeedBytes = 16 << 10
        limits.stallTimeout = 1
        let (service, outlet) = try makeService(limits)
        defer { service.stop() }
        let request = "LSL:streamfeed/110 \(outlet.info.uid)\r\nValue-Size: 4\r\nMax-Buffer-Length: 10000000\r\n\r\n"
        let stuck = try RawPeer(port: outlet.info.v4DataPort, receiveBuffer: 4096)
        stuck.send(request)
        let reader = try RawPeer(port: outlet.info.v4DataPort)
        reader.send(request)
        #expect(waitFor { service.currentStatistics.connections == 2 })
        usleep(100_000) // both feeds started (their headers are sent at once)
        let received = Mutex<[UInt8]?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread { let bytes = reader.readToEnd(limit: 100 << 20); received.withLock { $0 = bytes }; done.signal() }.start()
        let samples = 150_000
        var worstPending = 0
        var values = [Float](repeating: 1.5, count: 8)
        for i in 0..<samples {
            values[0] = Float(i)
            values.withUnsafeBufferPointer { outlet.push($0, timestamp: Double(i)) }
            if i % 1000 == 999 {
                outlet.publish()
                usleep(20_000)
                worstPending = max(worstPending, service.currentStatistics.pendingBytes)
            }
        }
        outlet.publish()
        #expect(waitFor { service.currentStatistics.connections == 1 }, "the stuck inlet was not closed after the stall timeout")
        #expect(worstPending <= 2 * limits.feedBytes + 1024, "feeds held \(worstPending) bytes")
        #expect(outlet.droppedSamples == 0)
        let dropped = service.currentStatistics.samplesDroppedForSlowInlets
        outlet.close()
        done.wait()
        // The reader's feed: header, two test patterns, then whole samples in order. Every
        // sample it lacks is one the service counted as dropped for a slow inlet (on a quiet
        // machine: none; on a loaded one the reader itself may fall half a second behind).
        let header = "LSL/110 200 OK\r\nUID: \(outlet.info.uid)\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n".utf8.count
        let bytes = try #require(received.withLock { $0 })
        let body = bytes.count - header - 2 * 41
        #expect(body >= 0 && body % 41 == 0, "the feed is not whole samples (\(bytes.count) bytes)")
        let firsts = stride(from: header + 2 * 41, to: bytes.count - 40, by: 41).map { offset in
            Float(bitPattern: UInt32(bytes[offset + 9]) | UInt32(bytes[offset + 10]) << 8 | UInt32(bytes[offset + 11]) << 16 | UInt32(bytes[offset + 12]) << 24)
        }
        #expect(zip(firsts, firsts.dropFirst()).allSatisfy { $0 < $1 }, "samples out of order")
        #expect(firsts.count + dropped >= samples, "\(samples - firsts.count) samples missing, \(dropped) counted as dropped")
    }
}
