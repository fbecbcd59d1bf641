#if canImport(Glibc)
import Glibc
#endif

/// Why an outlet could not be offered on the network.
public struct LSLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No port of the configured range (and no random port, if allowed) could be bound.
        case noFreePort
        /// A socket call failed with this errno.
        case socket(call: String, errno: Int32)
        /// The configuration leaves nothing EEGKit can serve (`[ports] IPv6 = force`).
        case noIPv4
    }
    public let kind: Kind
    public var description: String {
        switch kind {
        case .noFreePort: return "LSL: every port of the configured range is in use (see [ports] BasePort/PortRange in lsl_api.cfg)"
        case .socket(let call, let code): return "LSL: \(call) failed: \(String(cString: strerror(code)))"
        case .noIPv4: return "LSL: lsl_api.cfg forces IPv6 ([ports] IPv6 = force); EEGKit's outlets speak IPv4 only"
        }
    }
}

/// The POSIX socket calls EEGLSL makes, in one thin layer: every socket is non-blocking
/// and close-on-exec, addresses are IPv4.
enum LSLSocket {
    static func failure(_ call: String) -> LSLError { LSLError(kind: .socket(call: call, errno: errno)) }

    static func address(_ text: String, port: Int) -> sockaddr_in? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        if text.isEmpty { addr.sin_addr.s_addr = INADDR_ANY.bigEndian; return addr }
        guard inet_pton(AF_INET, text, &addr.sin_addr) == 1 else { return nil }
        return addr
    }

    /// A new non-blocking socket of `type` (SOCK_STREAM/SOCK_DGRAM) bound to `host:port`.
    static func bound(_ type: Int32, host: String, port: Int, reuseAddress: Bool = false) throws(LSLError) -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        var one: Int32 = 1
        if reuseAddress || type == Int32(SOCK_STREAM.rawValue) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard var addr = address(host, port: port) else { close(fd); throw LSLError(kind: .socket(call: "inet_pton(\(host))", errno: EINVAL)) }
        let result = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard result == 0 else { let e = errno; close(fd); throw LSLError(kind: .socket(call: "bind(\(host):\(port))", errno: e)) }
        if type == Int32(SOCK_STREAM.rawValue) {
            guard listen(fd, 16) == 0 else { let e = errno; close(fd); throw LSLError(kind: .socket(call: "listen", errno: e)) }
        }
        return fd
    }

    /// Binds the first free port of `base..<base+range` (liblsl's order), else a random one
    /// when allowed; the socket and its port.
    static func boundInRange(_ type: Int32, host: String, base: Int, range: Int, allowRandom: Bool) throws(LSLError) -> (Int32, Int) {
        for port in base..<(base + range) where port <= 65535 {
            do { return (try bound(type, host: host, port: port), port) } catch let error where Self.taken(error, host: host, port: port) { continue }
        }
        guard allowRandom else { throw LSLError(kind: .noFreePort) }
        let fd = try bound(type, host: host, port: 0)
        return (fd, localPort(fd))
    }

    /// The port is another socket's: its bind failed, or — with SO_REUSEADDR, two
    /// processes binding the same free port at once both succeed — its listen did.
    private static func taken(_ error: LSLError, host: String, port: Int) -> Bool {
        error.kind == .socket(call: "bind(\(host):\(port))", errno: EADDRINUSE) || error.kind == .socket(call: "listen", errno: EADDRINUSE)
    }

    static func localPort(_ fd: Int32) -> Int {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Joins an IPv4 multicast group on the interface with address `interface` ("0.0.0.0":
    /// the default one); false when it could not (not every interface has a multicast route,
    /// and Linux allows `net.ipv4.igmp_max_memberships`, 20 by default, per socket). liblsl
    /// goes on without such groups too; the service lists them (``LSLService/multicastJoinFailures``).
    @discardableResult
    static func joinGroup(_ fd: Int32, _ group: String, on interface: String) -> Bool {
        var request = ip_mreq()
        guard inet_pton(AF_INET, group, &request.imr_multiaddr) == 1, inet_pton(AF_INET, interface, &request.imr_interface) == 1 else { return false }
        return setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreq>.size)) == 0
    }

    /// One local IPv4 interface as `getifaddrs` lists it.
    struct Interface: Equatable {
        let name: String
        let address: String
        let flags: UInt32
    }

    /// The machine's IPv4 interfaces (empty if they cannot be listed).
    static func interfaces() -> [Interface] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [Interface] = []
        var entry = list
        while let current = entry?.pointee {
            entry = current.ifa_next
            guard let address = current.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let text = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Self.text(of: $0.pointee) }
            found.append(Interface(name: String(cString: current.ifa_name), address: text, flags: current.ifa_flags))
        }
        return found
    }

    /// The interfaces the discovery responder joins its groups on: the configured listen
    /// address if there is one, else every interface that is up and multicast-capable (as
    /// liblsl joins on every local interface, so a query arriving on a second network card
    /// is heard), else the default interface ("0.0.0.0").
    static func multicastInterfaces(_ interfaces: [Interface], listenAddress: String) -> [String] {
        if !listenAddress.isEmpty && listenAddress != "0.0.0.0" { return [listenAddress] }
        let wanted = UInt32(IFF_UP) | UInt32(IFF_MULTICAST)
        var addresses: [String] = []
        for interface in interfaces where interface.flags & wanted == wanted && !addresses.contains(interface.address) {
            addresses.append(interface.address)
        }
        return addresses.isEmpty ? ["0.0.0.0"] : addresses
    }

    static func isMulticast(_ text: String) -> Bool {
        guard let first = text.split(separator: ".").first, let octet = Int(first) else { return false }
        return (224...239).contains(octet)
    }

    /// One datagram into `buffer`: its length and sender, or nil when none is waiting.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> (Int, sockaddr_in)? {
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC), $0, &length) } }
        guard n >= 0 else { return nil }
        return (n, from)
    }

    /// Sends one datagram (dropped if the socket would block: UDP answers are best effort).
    static func send(_ fd: Int32, _ bytes: [UInt8], to address: sockaddr_in) {
        var to = address
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
    }

    static let sendBufferBytes: Int32 = 256 << 10

    /// What `accept` gave: a connection, nothing waiting (or a connection that failed
    /// before it was taken), or no descriptor to take it with (EMFILE, ENFILE, ENOBUFS,
    /// ENOMEM: the listener stays readable, so polling it again at once would spin).
    enum Accepted: Equatable { case connection(Int32), none, outOfDescriptors }

    /// An accepted, non-blocking connection with TCP_NODELAY (as liblsl sets).
    static func accept(_ fd: Int32) -> Accepted {
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else {
            let error = errno
            return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM ? .outOfDescriptors : .none
        }
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A fixed kernel send buffer, so what a stalled inlet can hold in the kernel is
        // bounded too (and its stall is seen) rather than growing with autotuning.
        var size = sendBufferBytes
        setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        probeIdlePeers(client)
        return .connection(client)
    }

    /// An idle feed (a markers stream between markers) of an inlet whose machine slept or
    /// left the network would never fail on its own and would hold one of the outlet's
    /// connection slots for good: keepalive probes after 10 s idle, 5 s apart; with
    /// TCP_USER_TIMEOUT 30 s (which Linux also applies to unanswered probes) the socket
    /// errors about 30–40 s after the peer vanished, and poll reports it.
    static func probeIdlePeers(_ fd: Int32) {
        let size = socklen_t(MemoryLayout<Int32>.size)
        for (level, name, value) in [(SOL_SOCKET, SO_KEEPALIVE, Int32(1)), (Int32(IPPROTO_TCP), TCP_KEEPIDLE, 10),
                                     (Int32(IPPROTO_TCP), TCP_KEEPINTVL, 5), (Int32(IPPROTO_TCP), TCP_KEEPCNT, 3),
                                     (Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, 30_000)] {
            var option = value
            setsockopt(fd, level, name, &option, size)
        }
    }

    /// Closes a connection that is being refused (stalled, too slow, hostile) with a reset:
    /// the bytes still in its kernel send buffer (up to ``sendBufferBytes`` × 2) are dropped
    /// at once rather than held until the peer reads them, and the peer learns at once.
    static func abort(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    /// Bytes written (0 when the socket would block), or nil when the peer is gone.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if n >= 0 { return n }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : nil
    }

    /// Bytes read (nil when the peer closed or failed; 0 when nothing is waiting).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n > 0 { return n }
        if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        return nil
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func text(of address: sockaddr_in) -> String {
        var addr = address.sin_addr
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
