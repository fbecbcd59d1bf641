import EEGFormats
#if canImport(Glibc)
import Glibc
#endif

/// One marker inlet's connection to an outlet's TCP data port: the `LSL:streamfeed/110`
/// request (liblsl's inlet headers), the reply read through ``LSLFeedParser``, and the
/// time correction from the outlet's UDP service: measured once before the request, then
/// again every few seconds on the same poll loop as the feed (``LSLTimeProbe``), so the
/// feed is never paused for it.
/// Owned by the inlet's thread; every wait bounded by ``LSLInletTimeouts``.
final class LSLFeedConnection {
    let stream: LSLResolvedStream
    let resolver: LSLResolver
    let timeouts: LSLInletTimeouts
    /// Seconds added to the outlet's timestamps: the last measurement that succeeded
    /// (on this connection, or the one given at creation), else 0.
    private(set) var correction: Double
    /// Where ``correction`` came from.
    private(set) var source: LSLMarkerInlet.Correction
    private var fd: Int32 = -1
    private var parser: LSLFeedParser?
    private var probe: LSLTimeProbe?
    private var openedAt = 0.0
    private var correctedAt = -Double.infinity
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 8)

    /// `known`: a correction measured earlier for the same host (its clock has not moved),
    /// used (as ``LSLMarkerInlet/Correction/lastKnown``) until this connection measures one.
    init(stream: LSLResolvedStream, resolver: LSLResolver, timeouts: LSLInletTimeouts, known: Double? = nil) {
        self.stream = stream
        self.resolver = resolver
        self.timeouts = timeouts
        correction = known ?? 0
        source = known != nil ? .lastKnown : .uncorrected
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

    /// Connects, measures the time correction (over once every probe is answered, at most
    /// ``LSLInletTimeouts/correction``) and sends the request. `keepGoing` is asked between
    /// the steps, so a stopping inlet does not wait for the later ones.
    func open(while keepGoing: () -> Bool) throws(LSLInletError) {
        let info = stream.info
        parser = try LSLFeedParser(channelCount: info.channelCount, format: info.channelFormat, nominalRate: info.nominalRate)
        guard let address = LSLSocket.address(stream.address, port: info.v4DataPort) else { throw LSLInletError(.closed("bad address \(stream.address)")) }
        fd = try LSLSocket.connect(to: address, timeout: timeouts.connect)
        openedAt = LSLClock.now()
        guard keepGoing() else { throw LSLInletError(.closed("the inlet stopped")) }
        if let probe = startProbe() {
            while !probe.advance() { _ = LSLSocket.wait(probe.fd, for: Int16(POLLIN), timeout: probe.nextWait()) }
            finish(probe)
        }
        guard keepGoing() else { throw LSLInletError(.closed("the inlet stopped")) }
        try LSLSocket.sendAll(fd, Self.request(for: info), timeout: timeouts.connect)
    }

    /// Waits at most one poll interval for bytes; returns the samples they complete. A due
    /// time-correction measurement runs on the same wait (its socket polled with the feed's).
    /// Throws when the peer closed, broke the protocol, or missed the handshake deadline.
    func read() throws(LSLInletError) -> [LSLInletSample] {
        guard let verified = parser?.verified else { throw LSLInletError(.closed("not open")) }
        // A fault found behind markers already returned: ends the feed now, not at the next bytes.
        if let error = parser?.pendingError { throw error }
        if !verified && LSLClock.now() - openedAt > timeouts.handshake {
            throw LSLInletError(.timedOut(parser?.headerComplete == true ? "test patterns" : "reply header"))
        }
        if verified && probe == nil && LSLClock.now() - correctedAt > timeouts.correctionInterval { probe = startProbe() }
        let ready = LSLSocket.waitReadable(fd, probe?.fd ?? -1, timeout: min(timeouts.poll, probe?.nextWait() ?? timeouts.poll))
        // The answers first: a marker sent after them is stamped with what they measured.
        if let probe, probe.advance() {
            finish(probe)
            self.probe = nil
        }
        guard ready.first else { return [] }
        guard let n = LSLSocket.read(fd, into: buffer) else { throw LSLInletError(.closed("the outlet hung up")) }
        // Mutated in place (optional chaining): a copy would share `pending` and copy it per read.
        return try parser?.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) ?? []
    }

    /// A measurement started now, or nil when the outlet offers no time service.
    private func startProbe() -> LSLTimeProbe? {
        correctedAt = LSLClock.now()
        let host = resolver.configuration.loopbackOnly ? "127.0.0.1" : resolver.configuration.listenAddress
        guard stream.info.v4ServicePort > 0, let service = LSLSocket.address(stream.address, port: stream.info.v4ServicePort) else { return nil }
        return try? LSLTimeProbe(address: service, host: host, timeout: timeouts.correction)
    }

    /// A finished measurement's result; the previous value stays if none came back.
    private func finish(_ probe: LSLTimeProbe) {
        correctedAt = LSLClock.now()
        guard let best = probe.best else { return }
        correction = best.correction
        source = .measured
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
