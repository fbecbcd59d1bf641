import EEGFormats
#if canImport(Glibc)
import Glibc
#endif

/// One marker inlet's connection to an outlet's TCP data port: the `LSL:streamfeed/110`
/// request (liblsl's inlet headers), the reply read through ``LSLFeedParser``, and the
/// time correction from the outlet's UDP service, re-measured every few seconds.
/// Owned by the inlet's thread; every wait bounded by ``LSLInletTimeouts``.
final class LSLFeedConnection {
    let stream: LSLResolvedStream
    let resolver: LSLResolver
    let timeouts: LSLInletTimeouts
    private(set) var correction = 0.0
    private var fd: Int32 = -1
    private var parser: LSLFeedParser?
    private var openedAt = 0.0
    private var correctedAt = -Double.infinity
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 8)

    init(stream: LSLResolvedStream, resolver: LSLResolver, timeouts: LSLInletTimeouts) {
        self.stream = stream
        self.resolver = resolver
        self.timeouts = timeouts
    }

    var verified: Bool { parser?.verified ?? false }

    /// The request liblsl's inlet sends (data_receiver), for a stream of `info`.
    static func request(for info: StreamInfo) -> [UInt8] {
        let lines = ["LSL:streamfeed/110 \(info.uid)", "Native-Byte-Order: 1234", "Endian-Performance: 0", "Has-IEEE754-Floats: 1",
                     "Supports-Subnormals: 1", "Value-Size: \(info.channelFormat.byteWidth ?? 0)", "Data-Protocol-Version: 110",
                     "Max-Buffer-Length: 360", "Max-Chunk-Length: 0", "Hostname: \(LSLSocket.hostName())",
                     "Source-Id: \(info.sourceID)", "Session-Id: \(info.sessionID)"]
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    /// Connects, measures the time correction and sends the request.
    func open() throws(LSLInletError) {
        let info = stream.info
        parser = try LSLFeedParser(channelCount: info.channelCount, format: info.channelFormat, nominalRate: info.nominalRate)
        guard let address = LSLSocket.address(stream.address, port: info.v4DataPort) else { throw LSLInletError(.closed("bad address \(stream.address)")) }
        fd = try LSLSocket.connect(to: address, timeout: timeouts.connect)
        openedAt = LSLClock.now()
        refreshCorrection()
        try LSLSocket.sendAll(fd, Self.request(for: info), timeout: timeouts.connect)
    }

    /// Waits at most one poll interval for bytes; returns the samples they complete.
    /// Throws when the peer closed, broke the protocol, or missed the handshake deadline.
    func read() throws(LSLInletError) -> [LSLInletSample] {
        guard var parser else { throw LSLInletError(.closed("not open")) }
        if !parser.verified && LSLClock.now() - openedAt > timeouts.handshake {
            throw LSLInletError(.timedOut(parser.headerComplete ? "test patterns" : "reply header"))
        }
        if parser.verified && LSLClock.now() - correctedAt > timeouts.correctionInterval { refreshCorrection() }
        guard LSLSocket.wait(fd, for: Int16(POLLIN), timeout: timeouts.poll) else { return [] }
        guard let n = LSLSocket.read(fd, into: buffer) else { throw LSLInletError(.closed("the outlet hung up")) }
        let samples = try parser.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        self.parser = parser
        return samples
    }

    /// One time-correction measurement; the previous value stays if none comes back.
    private func refreshCorrection() {
        correctedAt = LSLClock.now()
        let host = resolver.configuration.loopbackOnly ? "127.0.0.1" : resolver.configuration.listenAddress
        guard stream.info.v4ServicePort > 0, let service = LSLSocket.address(stream.address, port: stream.info.v4ServicePort),
              let measured = LSLTimeCorrection.measure(address: service, host: host) else { return }
        correction = measured.correction
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit {
        close()
        buffer.deallocate()
    }
}
