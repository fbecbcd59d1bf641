import Foundation
import Glibc

/// A hostile or broken LSL marker outlet on loopback, for testing the marker inlet: it
/// answers `LSL:shortinfo` queries on a UDP port (give it to the inlet as `BasePort` with
/// `PortRange = 1`) with a string stream of `name` served on its TCP port, and then feeds
/// each connection the way ``Behaviour`` says. Plain sockets: it shares no code with
/// EEGKit's LSL module, so it cannot share its mistakes.
public final class FakeLSLOutlet: @unchecked Sendable {
    public enum Behaviour: Sendable {
        /// A status line, then a header line that never ends.
        case endlessHeader
        /// A good header and test patterns, then a string claiming 2^40 bytes.
        case hugeString
        /// Accepts, reads the request, sends nothing.
        case silent
        /// A good header, then test patterns with the wrong values.
        case wrongPatterns
        /// A good header and patterns, then a sample with an unknown tag.
        case badTag
        /// A good header and patterns, then markers "m0" and "m1" and a bad tag, in one send.
        case markersThenBadTag
        /// A well-behaved outlet: a good header and patterns, then what ``send(_:timestamp:)``
        /// asks; its time service answers as ``clockOffset`` and ``holdProbesAfter`` say.
        case markers
    }

    public let name: String
    public let behaviour: Behaviour
    public let udpPort: Int
    public let tcpPort: Int
    private let udp: Int32, tcp: Int32
    private var clients: [Int32] = []
    private let lock = NSLock()
    private var running = true
    private var finished = false
    private var accepted = 0
    private var offset: Double?
    private var holdAfter: Int?
    private var created = 1.0
    private var host = "fake"
    /// A time probe: where from, its wave and send time as sent, when it came (CLOCK_MONOTONIC).
    private typealias Probe = (from: sockaddr_in, length: socklen_t, wave: String, t0: String, receivedAt: Double)
    private var held: [Probe] = []
    private var probesSeen = 0
    /// Connections accepted so far (from any thread).
    public var connections: Int { lock.withLock { accepted } }

    /// Seconds the time service's clock is ahead of `CLOCK_MONOTONIC`; nil: it does not
    /// answer time probes at all (as behind a firewall).
    public var clockOffset: Double? {
        get { lock.withLock { offset } }
        set { lock.withLock { offset = newValue } }
    }
    /// Time probes after this many (counting all received) are kept unanswered, until
    /// ``answerHeldProbes()``; nil: none is held.
    public var holdProbesAfter: Int? {
        get { lock.withLock { holdAfter } }
        set { lock.withLock { holdAfter = newValue } }
    }
    /// The stream's `created_at` in answers to queries (on the outlet's clock; 1 at first).
    public var createdAt: Double {
        get { lock.withLock { created } }
        set { lock.withLock { created = newValue } }
    }
    /// The `hostname` in answers to queries ("fake" at first; any text, for hostile names).
    public var hostname: String {
        get { lock.withLock { host } }
        set { lock.withLock { host = newValue } }
    }
    /// Time probes received so far, and how many are held now.
    public var probes: (received: Int, held: Int) { lock.withLock { (probesSeen, held.count) } }

    /// Answers every held probe now, with the current ``clockOffset``.
    public func answerHeldProbes() {
        let (waiting, now) = lock.withLock { () -> ([Probe], Double?) in
            defer { held.removeAll() }
            return (held, self.offset)
        }
        guard let now else { return }
        for probe in waiting { answer(probe, offset: now) }
    }

    /// Closes every connection (the inlet then resolves and connects again).
    public func hangUp() {
        for client in lock.withLock({ defer { clients.removeAll() }; return clients }) { shutdown(client, Int32(SHUT_RDWR)); close(client) }
    }

    /// Sends one string marker to every connected inlet (``Behaviour/markers``).
    public func send(_ text: String, timestamp: Double) {
        let bytes = sample(timestamp, text)
        for client in lock.withLock({ clients }) { _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    }

    public init(name: String, behaviour: Behaviour, udpPort: Int, clockOffset: Double? = nil) throws {
        offset = clockOffset
        self.name = name
        self.behaviour = behaviour
        udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        guard Self.bind(udp, port: udpPort), Self.bind(tcp, port: 0), listen(tcp, 8) == 0 else {
            close(udp); close(tcp)
            throw POSIXError(.EADDRINUSE)
        }
        self.udpPort = udpPort
        tcpPort = Self.port(of: tcp)
        Thread { [self] in serve() }.start()
    }

    deinit { stop() }

    public func stop() {
        lock.withLock { running = false }
        for _ in 0..<200 where !lock.withLock({ finished }) { usleep(5000) }
    }

    private static func bind(_ fd: Int32, port: Int) -> Bool {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    private static func port(of fd: Int32) -> Int {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private func serve() {
        while lock.withLock({ running }) {
            var fds = [pollfd(fd: udp, events: Int16(POLLIN), revents: 0), pollfd(fd: tcp, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 50)
            if fds[0].revents != 0 { answerQuery() }
            if fds[1].revents != 0 {
                let client = accept(tcp, nil, nil)
                if client >= 0 {
                    lock.withLock { accepted += 1; clients.append(client) }
                    feed(client)
                }
            }
        }
        for client in lock.withLock({ clients }) { close(client) }
        close(udp)
        close(tcp)
        lock.withLock { finished = true }
    }

    private func answerQuery() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, buffer.count, 0, $0, &length) } }
        guard n > 0 else { return }
        let lines = String(decoding: buffer[0..<n], as: UTF8.self).components(separatedBy: "\r\n")
        if lines.count >= 2, lines[0] == "LSL:timedata" { return timeProbe(lines[1], from: from, length: length) }
        guard lines.count >= 3, lines[0] == "LSL:shortinfo", lines[1].contains("'\(name)'") else { return }
        let words = lines[2].split(separator: " ")
        guard words.count == 2, let port = UInt16(words[0]) else { return }
        let info = "<?xml version=\"1.0\"?><info><name>\(name)</name><type>Markers</type><channel_count>1</channel_count>"
            + "<channel_format>string</channel_format><source_id>fake</source_id><nominal_srate>0</nominal_srate><version>1.1</version>"
            + "<created_at>\(createdAt)</created_at><uid>fake-uid</uid><session_id>default</session_id><hostname>\(hostname)</hostname>"
            + "<v4address/><v4data_port>\(tcpPort)</v4data_port><v4service_port>\(udpPort)</v4service_port></info>"
        var reply = Array("\(words[1])\r\n\(info)".utf8)
        from.sin_port = port.bigEndian
        _ = withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, &reply, reply.count, 0, $0, length) } }
    }

    private static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    /// `WAVE T0`: answered at once, held, or ignored (no ``clockOffset``).
    private func timeProbe(_ line: String, from: sockaddr_in, length: socklen_t) {
        let words = line.split(separator: " ")
        guard words.count == 2 else { return }
        let probe = (from: from, length: length, wave: String(words[0]), t0: String(words[1]), receivedAt: Self.monotonic())
        let answerNow: Double? = lock.withLock {
            probesSeen += 1
            if let holdAfter, probesSeen > holdAfter { held.append(probe); return nil }
            return self.offset
        }
        if let answerNow { answer(probe, offset: answerNow) }
    }

    /// ` WAVE T0 T1 T2` on a clock `offset` seconds ahead: T1 when the probe came, T2 now
    /// (a held probe is answered late but truthfully, as a slow outlet would).
    private func answer(_ probe: Probe, offset: Double) {
        var reply = Array(" \(probe.wave) \(probe.t0) \(probe.receivedAt + offset) \(Self.monotonic() + offset)".utf8)
        var to = probe.from
        _ = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, &reply, reply.count, 0, $0, probe.length) } }
    }

    private func sample(_ timestamp: Double, _ text: String) -> [UInt8] {
        [2] + withUnsafeBytes(of: timestamp.bitPattern.littleEndian) { Array($0) } + [1, UInt8(text.utf8.count)] + Array(text.utf8)
    }

    /// Sends the behaviour's bytes (a blocking send with a timeout: the inlet may have closed).
    private func feed(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let ok = Array("LSL/110 200 OK\r\nUID: fake-uid\r\nByte-Order: 1234\r\nData-Protocol-Version: 110\r\n\r\n".utf8)
        let patterns = sample(123456.789, "10") + sample(123456.789, "10")
        let bytes: [UInt8]
        switch behaviour {
        case .endlessHeader: bytes = Array("LSL/110 200 OK\r\nX-Pad: ".utf8) + [UInt8](repeating: 65, count: 200_000)
        case .hugeString: bytes = ok + patterns + [2] + withUnsafeBytes(of: (1.0).bitPattern.littleEndian) { Array($0) } + [8] + withUnsafeBytes(of: (UInt64(1) << 40).littleEndian) { Array($0) }
        case .silent: bytes = []
        case .wrongPatterns: bytes = ok + sample(123456.789, "99") + sample(123456.789, "99")
        case .badTag: bytes = ok + patterns + [9, 9, 9]
        case .markersThenBadTag: bytes = ok + patterns + sample(1, "m0") + sample(2, "m1") + [9]
        case .markers: bytes = ok + patterns
        }
        _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
