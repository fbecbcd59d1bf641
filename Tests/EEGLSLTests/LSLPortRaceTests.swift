import Foundation
import Glibc
import Synchronization
import Testing
@testable import EEGLSL

/// Two programs starting outlets at the same moment both bind the first free port (TCP
/// listeners set SO_REUSEADDR, and two bound sockets conflict only once one listens), so
/// the later `listen` fails with EADDRINUSE. That must move on to the next port, as a
/// failed bind does, not fail the command with "listen failed: Address already in use".
@Suite("LSL ports: two outlets starting at once")
struct LSLPortRaceTests {
    @Test("binding the first free port from two threads at once never fails on listen")
    func simultaneousListeners() throws {
        let base = 21000 + Int(getpid() % 500) * 8
        let failures = Atomic<Int>(0), successes = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        for _ in 0..<2 {
            Thread {
                for _ in 0..<3000 {
                    do {
                        let (fd, _) = try LSLSocket.boundInRange(Int32(SOCK_STREAM.rawValue), host: "127.0.0.1", base: base, range: 8, allowRandom: false)
                        successes.add(1, ordering: .relaxed)
                        close(fd)
                    } catch {
                        failures.add(1, ordering: .relaxed)
                    }
                }
                done.add(1, ordering: .releasing)
            }.start()
        }
        let deadline = Date().addingTimeInterval(120)
        while done.load(ordering: .acquiring) < 2 && Date() < deadline { usleep(10_000) }
        #expect(done.load(ordering: .acquiring) == 2, "the binding threads did not finish")
        #expect(failures.load(ordering: .relaxed) == 0, "\(failures.load(ordering: .relaxed)) of 6000 binds failed")
        #expect(successes.load(ordering: .relaxed) == 6000)
    }
}
