import Foundation
import Glibc
import Testing
import Synchronization
import EEGFormats
@testable import EEGLSL

/// A machine-scope service whose discovery responder is on port 1 (nothing sends there;
/// binding it fails quietly unless the tests run as root)
/// and one 8-channel 250 Hz float32 outlet with a 65536-sample queue.
func eightChannelService(_ limits: LSLLimits, basePort: Int, name: String, startingThread: Bool) throws -> (LSLService, LSLOutlet) {
    var configuration = LSLConfiguration()
    configuration.scope = .machine
    configuration.basePort = basePort
    configuration.multicastPort = 1
    let service = try LSLService(configuration: configuration, limits: limits, startingThread: startingThread)
    let info = StreamInfo(name: name, type: "EEG", channelCount: 8, nominalRate: 250, channelFormat: .float32, sourceID: "t")
    return (service, try service.addOutlet(info, format: .float32, queueSamples: 65536))
}

/// What a query flood, a set of greedy inlets and a trickling reader may cost the service
/// (review SHOULD #13, #16), and which interfaces discovery listens on (#17).
@Suite("LSL service bounds", .serialized)
struct LSLServiceBoundsTests {
    func service(_ limits: LSLLimits, base: Int, startingThread: Bool) throws -> (LSLService, LSLOutlet) {
        try eightChannelService(limits, basePort: base + Int(getpid() % 100), name: "bounds-\(getpid())", startingThread: startingThread)
    }

    func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0..<1500 { if condition() { return true }; usleep(20_000) }
        return condition()
    }

    /// A UDP socket on loopback; its port is the return port of the queries it sends.
    func querySocket() -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var me = LSLSocket.address("127.0.0.1", port: 0)!
        _ = withUnsafePointer(to: &me) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return (fd, LSLSocket.localPort(fd))
    }

    /// Waits (30 s at most) until `fd` has a datagram to read.
    func readable(_ fd: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 30_000) == 1
    }

    @Test("a query flood is answered at most datagramsPerTurn per turn, over all sockets; the rest waits for the next turn")
    func datagramBudget() throws {
        var limits = LSLLimits()
        limits.datagramsPerTurn = 5
        limits.datagramSeconds = 60 // only the count limits here
        let (service, outlet) = try service(limits, base: 17700, startingThread: false)
        service.turn() // adopts the outlet
        let (fd, returnPort) = querySocket()
        defer { close(fd) }
        let to = LSLSocket.address("127.0.0.1", port: outlet.info.v4ServicePort)!
        for id in 0..<12 {
            LSLSocket.send(fd, Array("LSL:shortinfo\r\nname='\(outlet.info.name)'\r\n\(returnPort) q\(id)\r\n".utf8), to: to)
        }
        // Turn until all twelve are read (30 s guard): never more than five in one turn.
        var perTurn: [Int] = []
        let deadline = LSLClock.now() + 30
        while service.statistics.datagramsRead < 12 && LSLClock.now() < deadline {
            let before = service.statistics.datagramsRead
            service.turn()
            if service.statistics.datagramsRead > before { perTurn.append(service.statistics.datagramsRead - before) }
        }
        service.startThread()
        service.stop()
        #expect(perTurn.reduce(0, +) == 12)
        #expect(perTurn.allSatisfy { $0 <= 5 }, "\(perTurn)")
        #expect(perTurn.count >= 3, "\(perTurn)")
    }

    @Test("a flood on one outlet's service socket does not starve another outlet's time service (one datagram per socket in rounds)")
    func floodedSocketDoesNotStarveOthers() throws {
        var limits = LSLLimits()
        limits.datagramsPerTurn = 4
        limits.datagramSeconds = 60
        let (service, flooded) = try service(limits, base: 17750, startingThread: false)
        let other = try service.addOutlet(StreamInfo(name: "bounds-other-\(getpid())", type: "EEG", channelCount: 1, nominalRate: 250, channelFormat: .float32, sourceID: "o"), format: .float32)
        service.turn() // adopts both outlets
        let (fd, returnPort) = querySocket()
        defer { close(fd) }
        let toFlooded = LSLSocket.address("127.0.0.1", port: flooded.info.v4ServicePort)!
        for id in 0..<40 { LSLSocket.send(fd, Array("LSL:shortinfo\r\nname='nobody'\r\n\(returnPort) q\(id)\r\n".utf8), to: toFlooded) }
        LSLSocket.send(fd, Array("LSL:timedata\r\n7 1.5\r\n".utf8), to: LSLSocket.address("127.0.0.1", port: other.info.v4ServicePort)!)
        // Both sockets hold datagrams before the turn (no sleep: wait for each to be readable).
        #expect(readable(flooded.serviceSocket) && readable(other.serviceSocket))
        let flooding = service.outlets.firstIndex { $0 === flooded }!, timed = service.outlets.firstIndex { $0 === other }!
        #expect(flooding < timed, "the flooded socket must come first in the turn for this test to mean anything")
        service.turn()
        let afterOneTurn = service.statistics // before the thread runs turns of its own
        service.startThread()
        service.stop()
        #expect(afterOneTurn.timeRequestsAnswered == 1)
        #expect(afterOneTurn.datagramsRead <= 4)
    }

    @Test("a service that cannot start (IPv6 forced) throws noIPv4 and leaves nothing allocated (checked under ASan)")
    func failedStartLeaksNothing() {
        var configuration = LSLConfiguration()
        configuration.scope = .machine
        configuration.allowIPv4 = false
        #expect(throws: LSLError(kind: .noIPv4)) { _ = try LSLService(configuration: configuration) }
    }

    @Test("one parsed query answers as the text did, for every outlet it is checked against")
    func parsedOnce() {
        let fields = ["name": "EEG", "type": "EEG", "source_id": "s1", "channel_count": "8"]
        let other = ["name": "Markers", "type": "Markers", "source_id": "s2", "channel_count": "1"]
        for (query, expected) in [("", (true, true)), ("name='EEG'", (true, false)), ("type!='EEG' and channel_count=1", (false, true)),
                                  ("starts-with(source_id,'s')", (true, true)), ("name=", (false, false)), (String(repeating: "x", count: 5000), (false, false))] {
            let parsed = LSLQuery(query)
            #expect(parsed.matches(fields) == expected.0 && parsed.matches(other) == expected.1, "\(query.prefix(40))")
        }
    }

    @Test("greedy inlets together hold at most twice serviceFeedBytes after every turn; the samples they miss are counted")
    func serviceWideCap() throws {
        var limits = LSLLimits()
        limits.feedBytes = 1 << 20
        limits.minimumFeedBytes = 16 << 10
        limits.serviceFeedBytes = 256 << 10 // three stuck feeds would hold 3 MB without it
        limits.stallTimeout = 600 // none is closed during the test: only the cap bounds them
        let (service, outlet) = try service(limits, base: 17800, startingThread: false)
        let request = "LSL:streamfeed/110 \(outlet.info.uid)\r\nValue-Size: 4\r\nMax-Buffer-Length: 10000000\r\n\r\n"
        let peers = try (0..<3).map { _ in try RawPeer(port: outlet.info.v4DataPort, receiveBuffer: 4096) }
        for peer in peers { peer.send(request) }
        // Turn by hand (the thread would publish statistics only now and then): first until
        // the three feeds stream (30 s guard), then after every batch of samples.
        let deadline = LSLClock.now() + 30
        while outlet.streamingFeeds.load(ordering: .relaxed) < 3 && LSLClock.now() < deadline { service.turn() }
        #expect(outlet.streamingFeeds.load(ordering: .relaxed) == 3)
        var values = [Float](repeating: 1.5, count: 8)
        var worstPending = 0
        for batch in 0..<60 { // 60 × 2000 samples, 4.9 MB per feed: more than the kernel and the caps take
            for i in 0..<2000 {
                values[0] = Float(batch * 2000 + i)
                values.withUnsafeBufferPointer { _ = outlet.push($0, timestamp: 1 + Double(batch * 2000 + i)) }
            }
            outlet.publish() // the wake-up: the turn's poll returns at once instead of after its timeout
            service.turn()
            worstPending = max(worstPending, service.statistics.pendingBytes)
        }
        let stats = service.statistics
        service.startThread()
        service.stop()
        #expect(outlet.droppedSamples == 0) // the queue kept up: every loss below is a feed's
        #expect(stats.connections == 3)
        #expect(worstPending <= 2 * limits.serviceFeedBytes, "feeds held \(worstPending) bytes")
        #expect(stats.samplesDroppedForSlowInlets > 0)
    }

    @Test("a reader that takes a little now and then, below minimumDrainRate, is closed")
    func tricklingReader() throws {
        var limits = LSLLimits()
        limits.stallTimeout = 1
        limits.minimumDrainRate = 4_000_000 // 4 MB/s; the trickle below takes about 20 KB/s
        limits.feedBytes = 1 << 20
        let (service, outlet) = try service(limits, base: 17900, startingThread: true)
        defer { service.stop() }
        let trickle = try RawPeer(port: outlet.info.v4DataPort, receiveBuffer: 4096)
        trickle.send("LSL:streamfeed/110 \(outlet.info.uid)\r\nValue-Size: 4\r\nMax-Buffer-Length: 10000000\r\n\r\n")
        #expect(waitFor { outlet.streamingFeeds.load(ordering: .relaxed) == 1 })
        let producing = Atomic<Bool>(true), produced = DispatchSemaphore(value: 0)
        let producer = Thread {
            defer { produced.signal() }
            var values = [Float](repeating: 1.5, count: 8)
            var i = 0
            while producing.load(ordering: .relaxed) { // about 4 MB/s: always more than the trickle takes
                for _ in 0..<1000 { values.withUnsafeBufferPointer { _ = outlet.push($0, timestamp: 1 + Double(i)) }; i += 1 }
                outlet.publish()
                usleep(10_000)
            }
        }
        producer.start()
        defer {
            // The producer stops pushing before the service stops (the defer above runs after this one).
            producing.store(false, ordering: .relaxed)
            produced.wait()
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reset = false
        for _ in 0..<150 where service.currentStatistics.connections > 0 { // 30 s at most
            let n = recv(trickle.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            reset = reset || (n < 0 && errno == ECONNRESET)
            usleep(200_000)
        }
        #expect(service.currentStatistics.connections == 0, "a feed draining 20 KB/s against a 4 MB/s minimum stayed open")
        #expect(service.currentStatistics.refusedOrTimedOut == 1)
        // Closed with a reset: the trickle learns at once, not after reading what the kernel held.
        for _ in 0..<1500 where !reset { // 30 s at most
            let n = recv(trickle.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            reset = n < 0 && errno == ECONNRESET
            usleep(20_000)
        }
        #expect(reset)
    }

    @Test("discovery joins its groups on every interface that is up and multicast-capable, or on the configured listen address")
    func multicastInterfaces() {
        let up = UInt32(IFF_UP), multicast = UInt32(IFF_MULTICAST), loopback = UInt32(IFF_LOOPBACK)
        let interfaces = [LSLSocket.Interface(name: "lo", address: "127.0.0.1", flags: up | loopback),
                          LSLSocket.Interface(name: "eth0", address: "192.168.1.5", flags: up | multicast),
                          LSLSocket.Interface(name: "eth1", address: "10.0.0.7", flags: up | multicast),
                          LSLSocket.Interface(name: "wlan0", address: "172.16.0.2", flags: multicast), // down
                          LSLSocket.Interface(name: "eth1:1", address: "10.0.0.7", flags: up | multicast)]
        #expect(LSLSocket.multicastInterfaces(interfaces, listenAddress: "") == ["192.168.1.5", "10.0.0.7"])
        #expect(LSLSocket.multicastInterfaces(interfaces, listenAddress: "0.0.0.0") == ["192.168.1.5", "10.0.0.7"])
        #expect(LSLSocket.multicastInterfaces(interfaces, listenAddress: "10.0.0.7") == ["10.0.0.7"])
        #expect(LSLSocket.multicastInterfaces(Array(interfaces.prefix(1)), listenAddress: "") == ["0.0.0.0"])
        // A join that cannot be made says so (nothing is sent: the group or the interface is refused first).
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        #expect(!LSLSocket.joinGroup(fd, "not-a-group", on: "0.0.0.0"))
        #expect(!LSLSocket.joinGroup(fd, "239.255.172.215", on: "192.0.2.1")) // TEST-NET-1: no such local interface
        // This machine's list holds loopback (every Linux machine has it).
        #expect(LSLSocket.interfaces().contains { $0.address == "127.0.0.1" })
    }
}
