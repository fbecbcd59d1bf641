import Foundation
import Glibc
import Testing
import EEGFormats
@testable import EEGLSL

/// The time service `time_correction()` queries: each reply's receive time is read when
/// its datagram is taken (as liblsl's udp_server does), not once per turn before the
/// turn's work.
@Suite("LSL time service")
struct LSLTimeServiceTests {
    @Test("two time requests answered in one turn: the second's receive time is not before the first's send time")
    func receiveTimeOnReceipt() throws {
        let (service, outlet) = try adoptedOutlet(base: 17300, "time-\(getpid())")
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = UInt16(outlet.info.v4ServicePort).bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        for wave in [1, 2] {
            let request = Array("LSL:timedata\r\n\(wave) 1.5\r\n".utf8)
            let sent = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, request, request.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            try #require(sent == request.count)
        }
        usleep(50_000) // both are queued on the service socket before the turn polls
        service.turn()
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var replies: [[Double]] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        for _ in 0..<2 {
            let n = recv(fd, &buffer, buffer.count, 0)
            try #require(n > 0)
            // " wave t0 t1 t2"
            replies.append(String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ").compactMap { Double($0) })
        }
        service.startThread()
        service.stop()
        try #require(replies.allSatisfy { $0.count == 4 } && replies.map { $0[0] } == [1, 2])
        #expect(replies[1][2] >= replies[0][3], "the second request's receive time \(replies[1][2]) precedes the first reply's send time \(replies[0][3])")
        #expect(replies.allSatisfy { $0[2] <= $0[3] })
    }
}

/// A process out of descriptors: `accept` fails with EMFILE while the listener stays
/// readable, so polling it again at once would spin the network thread (review SHOULD #11).
@Suite("LSL listener out of descriptors")
struct LSLAcceptPauseTests {
    final class Attempts: @unchecked Sendable { var count = 0 }

    @Test("after EMFILE the listener is left out of the poll for the pause: one attempt over two turns, not one per turn")
    func pausesAfterEMFILE() throws {
        var configuration = LSLConfiguration()
        configuration.scope = .machine
        configuration.basePort = 17500 + Int(getpid() % 100)
        configuration.multicastPort = 1
        var limits = LSLLimits()
        limits.acceptPause = 30 // far longer than the test: no turn may retry within it
        let service = try LSLService(configuration: configuration, limits: limits, startingThread: false)
        let outlet = try smallOutlet(service, "emfile-\(getpid())")
        service.turn() // adopts the outlet
        let attempts = Attempts()
        service.acceptConnection = { _ in attempts.count += 1; return .outOfDescriptors }
        let peer = try RawPeer(port: outlet.info.v4DataPort)
        _ = peer
        usleep(50_000) // the connection waits in the backlog: the listener polls readable
        service.turn()
        service.turn()
        #expect(attempts.count == 1)
        #expect(service.statistics.acceptPauses == 1)
        service.startThread()
        service.stop()
    }
}
