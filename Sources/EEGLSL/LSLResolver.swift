import EEGFormats
#if canImport(Glibc)
import Glibc
#endif

/// A stream another program offers, as its short info described it, and where to reach it.
public struct LSLResolvedStream: Sendable, Equatable {
    public var info: StreamInfo
    /// The IPv4 address the reply came from (liblsl's inlets connect there too).
    public var address: String
}

/// The replies a resolver receives, parsed from untrusted datagrams: a shortinfo reply is
/// `QUERY_ID\r\n` and the `<info>` document; a time reply ` WAVE_ID T0 T1 T2`. Pure, fuzzed.
public enum LSLReplyParser {
    /// The most bytes of one reply read (a datagram is at most 64 KiB anyway).
    public static let maximumBytes = 65536

    /// The stream a shortinfo reply describes, if it answers `queryID` and is well formed.
    public static func shortInfo(_ bytes: some Collection<UInt8>, queryID: String) -> StreamInfo? {
        guard bytes.count <= maximumBytes, let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        guard String(decoding: bytes[..<newline], as: UTF8.self).trimmingSpaces == queryID else { return nil }
        return try? StreamInfo(xml: Array(bytes[bytes.index(after: newline)...]))
    }

    /// A time-service reply: the probe's wave id, its send time t0 (as sent back), the
    /// outlet's receive time t1 and reply time t2 — all finite, or nil.
    public static func timeReply(_ bytes: some Collection<UInt8>) -> (wave: Int, t0: Double, t1: Double, t2: Double)? {
        guard bytes.count <= 256 else { return nil }
        let words = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\r" || $0 == "\n" })
        guard words.count == 4, let wave = Int(words[0]) else { return nil }
        let times = words.dropFirst().compactMap { Double($0) }
        guard times.count == 3, times.allSatisfy(\.isFinite) else { return nil }
        return (wave, times[0], times[1], times[2])
    }
}

/// Finds streams by query the way liblsl's resolver does, but only where `lsl_api.cfg`
/// allows: `LSL:shortinfo` datagrams to the scope's discovery addresses at `MulticastPort`
/// and to every `KnownPeers` address at each port of `BasePort…BasePort+PortRange−1`.
/// Under machine scope only loopback addresses are asked and only loopback replies heard.
/// Peers are IPv4 literals or `localhost` (no name lookups: they could block).
public struct LSLResolver: Sendable {
    public let configuration: LSLConfiguration
    /// The most streams one resolve returns.
    public static let maximumResults = 64

    public init(configuration: LSLConfiguration) { self.configuration = configuration }

    /// Where queries go, in liblsl's order: discovery addresses, then known peers' ports.
    public var targets: [(address: String, port: Int)] {
        func allowed(_ address: String) -> Bool { !configuration.loopbackOnly || address.hasPrefix("127.") }
        var targets = configuration.discoveryAddresses.filter(allowed).map { ($0, configuration.multicastPort) }
        let peers = configuration.knownPeers.map { $0 == "localhost" ? "127.0.0.1" : $0 }.filter { LSLSocket.address($0, port: 0) != nil && allowed($0) }
        for peer in peers {
            for port in configuration.basePort..<(configuration.basePort + configuration.portRange) where port <= 65535 { targets.append((peer, port)) }
        }
        return targets
    }

    /// liblsl's query for a stream name in this lab session.
    public func query(name: String) -> String { "session_id='\(configuration.sessionID)' and name='\(name)'" }

    /// The streams answering `query` within `wait` seconds (queries re-sent every 0.5 s;
    /// returns early, 0.2 s after the first answer, or when `keepGoing` says no — asked at
    /// least every 0.5 s). Never blocks longer than `wait`, however many datagrams come.
    public func resolve(query: String, wait: Double, while keepGoing: () -> Bool = { true }) throws(LSLError) -> [LSLResolvedStream] {
        let host = configuration.loopbackOnly ? "127.0.0.1" : configuration.listenAddress
        let fd = try LSLSocket.querySocket(host: host)
        defer { close(fd) }
        let queryID = String(UInt64.random(in: 1...UInt64.max))
        let request = Array("LSL:shortinfo\r\n\(query)\r\n\(LSLSocket.localPort(fd)) \(queryID)\r\n".utf8)
        let addresses = targets.compactMap { LSLSocket.address($0.address, port: $0.port) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LSLReplyParser.maximumBytes, alignment: 8)
        defer { buffer.deallocate() }
        let start = LSLClock.now()
        var deadline = start + max(0, wait), nextWave = start
        var found: [LSLResolvedStream] = []
        while LSLClock.now() < deadline && keepGoing() {
            if LSLClock.now() >= nextWave {
                for address in addresses { LSLSocket.send(fd, request, to: address) }
                nextWave += 0.5
            }
            guard LSLSocket.wait(fd, for: Int16(POLLIN), timeout: min(nextWave, deadline) - LSLClock.now()) else { continue }
            // At most 64 datagrams per wake-up, so a flood cannot hold the loop past its deadline.
            for _ in 0..<64 where found.count < Self.maximumResults {
                guard let (length, sender) = LSLSocket.receive(fd, into: buffer) else { break }
                let address = LSLSocket.text(of: sender)
                if configuration.loopbackOnly && !address.hasPrefix("127.") { continue }
                guard length <= buffer.count, let info = LSLReplyParser.shortInfo(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), queryID: queryID),
                      info.v4DataPort > 0, info.createdAt.isFinite, !found.contains(where: { $0.info.uid == info.uid }) else { continue }
                found.append(LSLResolvedStream(info: info, address: address))
                deadline = min(deadline, LSLClock.now() + 0.2)
            }
        }
        return found
    }
}
