#if canImport(Glibc)
import Glibc
#endif

/// The socket calls only the marker inlet makes (a client: it connects, queries and
/// waits), each with a bound on how long it may take.
extension LSLSocket {
    /// A non-blocking UDP socket bound to `host` (loopback under machine scope), any port,
    /// allowed to send to broadcast addresses when not loopback-only.
    static func querySocket(host: String) throws(LSLError) -> Int32 {
        let fd = try bound(Int32(SOCK_DGRAM.rawValue), host: host, port: 0)
        if !host.hasPrefix("127.") {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
    }

    /// Connects a non-blocking TCP socket to `address:port` within `timeout` seconds,
    /// with TCP_NODELAY and the keepalive probes the outlet's connections have.
    static func connect(to address: sockaddr_in, timeout: Double) throws(LSLInletError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LSLInletError(.closed("socket: \(String(cString: strerror(errno)))")) }
        var to = address
        let result = withUnsafePointer(to: &to) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if result != 0 && errno != EINPROGRESS {
            let e = errno
            close(fd)
            throw LSLInletError(.closed("connect: \(String(cString: strerror(e)))"))
        }
        if result != 0 {
            guard wait(fd, for: Int16(POLLOUT), timeout: timeout) else { close(fd); throw LSLInletError(.timedOut("connection")) }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else { close(fd); throw LSLInletError(.closed("connect: \(String(cString: strerror(failure)))")) }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        probeIdlePeers(fd)
        return fd
    }

    /// Whether `fd` became ready for `events` within `timeout` seconds (EINTR retried
    /// within the same deadline; an error or hang-up counts as ready, the next call sees it).
    static func wait(_ fd: Int32, for events: Int16, timeout: Double) -> Bool {
        let deadline = LSLClock.now() + max(0, timeout)
        while true {
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let left = Int32(max(0, min(1000, (deadline - LSLClock.now()) * 1000)).rounded(.up))
            let n = poll(&entry, 1, left)
            if n > 0 { return true }
            if n < 0 && errno == EINTR && LSLClock.now() < deadline { continue }
            if n == 0 && LSLClock.now() < deadline { continue }
            return false
        }
    }

    /// Which of `first` and `second` became readable within `timeout` seconds (a negative
    /// fd is not watched; an error or hang-up counts as readable, the next call sees it).
    static func waitReadable(_ first: Int32, _ second: Int32, timeout: Double) -> (first: Bool, second: Bool) {
        let deadline = LSLClock.now() + max(0, timeout)
        while true {
            var entries = (pollfd(fd: first, events: Int16(POLLIN), revents: 0), pollfd(fd: second, events: Int16(POLLIN), revents: 0))
            let left = Int32(max(0, min(1000, (deadline - LSLClock.now()) * 1000)).rounded(.up))
            let n = withUnsafeMutableBytes(of: &entries) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, left) }
            if n > 0 { return (entries.0.revents != 0, entries.1.revents != 0) }
            if (n == 0 || errno == EINTR) && LSLClock.now() < deadline { continue }
            return (false, false)
        }
    }

    /// Sends all of `bytes` on a connected non-blocking socket within `timeout` seconds.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8], timeout: Double) throws(LSLInletError) {
        let deadline = LSLClock.now() + timeout
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            guard let n else { throw LSLInletError(.closed("send: \(String(cString: strerror(errno)))")) }
            sent += n
            if sent < bytes.count, !wait(fd, for: Int16(POLLOUT), timeout: deadline - LSLClock.now()) { throw LSLInletError(.timedOut("room for the request")) }
        }
    }
}
