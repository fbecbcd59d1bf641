#if canImport(Glibc)
import Glibc
#endif

/// The offset between an outlet's clock and this machine's, as liblsl's
/// `time_correction()` measures it: probes `LSL:timedata` to the outlet's UDP service and
/// keeps the answer with the shortest round trip (the least queueing noise).
public struct LSLTimeCorrection: Sendable, Equatable {
    /// Seconds to add to the outlet's timestamps to put them on this machine's LSL clock.
    public var correction: Double
    /// The round trip of the probe it came from, seconds (the correction's error is at
    /// most half of it).
    public var roundTrip: Double

    /// The correction from one probe: sent at `t0` here, received at `t1` and answered
    /// at `t2` there, answer received at `t3` here (NTP's formulas). Nil when the times
    /// are impossible (negative round trip).
    public static func fromProbe(t0: Double, t1: Double, t2: Double, t3: Double) -> LSLTimeCorrection? {
        let roundTrip = (t3 - t0) - (t2 - t1)
        guard roundTrip.isFinite, roundTrip >= 0, t2 >= t1 else { return nil }
        let remoteMinusLocal = ((t1 - t0) + (t2 - t3)) / 2
        return LSLTimeCorrection(correction: -remoteMinusLocal, roundTrip: roundTrip)
    }

    /// Measures against the time service at `address:port`: `probes` probes 2 ms apart,
    /// answers awaited at most `timeout` seconds in all. Nil when none came back.
    public static func measure(address: sockaddr_in, host: String, probes: Int = 8, timeout: Double = 0.5) -> LSLTimeCorrection? {
        guard let fd = try? LSLSocket.querySocket(host: host) else { return nil }
        defer { close(fd) }
        let wave = Int.random(in: 1...1_000_000_000)
        var sentAt: [Double] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var best: LSLTimeCorrection?
        let deadline = LSLClock.now() + timeout
        while LSLClock.now() < deadline {
            if sentAt.count < probes {
                let t0 = LSLClock.now()
                LSLSocket.send(fd, Array("LSL:timedata\r\n\(wave + sentAt.count) \(t0)\r\n".utf8), to: address)
                sentAt.append(t0)
            }
            guard LSLSocket.wait(fd, for: Int16(POLLIN), timeout: sentAt.count < probes ? 0.002 : deadline - LSLClock.now()) else {
                if sentAt.count == probes && best != nil { break }
                continue
            }
            while let (length, sender) = LSLSocket.receive(fd, into: buffer) {
                let t3 = LSLClock.now()
                guard sender.sin_addr.s_addr == address.sin_addr.s_addr, length <= buffer.count,
                      let reply = LSLReplyParser.timeReply(UnsafeRawBufferPointer(rebasing: buffer[0..<length])),
                      reply.wave >= wave, reply.wave < wave + sentAt.count, abs(sentAt[reply.wave - wave] - reply.t0) < 1e-6,
                      // Our own t0: liblsl echoes it with 16 significant digits only.
                      let estimate = fromProbe(t0: sentAt[reply.wave - wave], t1: reply.t1, t2: reply.t2, t3: t3) else { continue }
                if best.map({ estimate.roundTrip < $0.roundTrip }) ?? true { best = estimate }
            }
        }
        return best
    }
}
