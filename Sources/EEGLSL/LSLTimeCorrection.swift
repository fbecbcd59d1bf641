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
    /// are impossible (negative round trip) or the offset is not a finite number.
    public static func fromProbe(t0: Double, t1: Double, t2: Double, t3: Double) -> LSLTimeCorrection? {
        let roundTrip = (t3 - t0) - (t2 - t1)
        guard roundTrip.isFinite, roundTrip >= 0, t2 >= t1 else { return nil }
        let remoteMinusLocal = ((t1 - t0) + (t2 - t3)) / 2
        guard remoteMinusLocal.isFinite else { return nil }
        return LSLTimeCorrection(correction: -remoteMinusLocal, roundTrip: roundTrip)
    }

    /// Measures against the time service at `address`, blocking: `probes` probes 2 ms
    /// apart, over as soon as every one is answered, and at most `timeout` seconds in
    /// all. Nil when none came back. (The marker inlet's feed runs an ``LSLTimeProbe``
    /// on its own poll loop instead, so the feed is never paused.)
    public static func measure(address: sockaddr_in, host: String, probes: Int = 8, timeout: Double = 0.5) -> LSLTimeCorrection? {
        guard let probe = try? LSLTimeProbe(address: address, host: host, probes: probes, timeout: timeout) else { return nil }
        while !probe.advance() { _ = LSLSocket.wait(probe.fd, for: Int16(POLLIN), timeout: probe.nextWait()) }
        return probe.best
    }
}

/// One time-correction measurement in progress that never blocks: its owner waits on
/// ``fd`` (with its other sockets) for at most ``nextWait()`` and then calls ``advance()``,
/// which sends the next probe when due and reads the answers that came. Over when every
/// probe is answered or the deadline passed; ``best`` is then the result (nil: none came).
///
/// Untrusted answers: only from the service's address, for a probe of this wave, echoing
/// its send time; at most 64 datagrams read per call (a flood cannot hold the caller).
/// Threading: one thread. Allocates its buffer once.
final class LSLTimeProbe {
    let fd: Int32
    private let address: sockaddr_in
    private let probes: Int
    private let wave = Int.random(in: 1...1_000_000_000)
    private let deadline: Double
    private var sentAt: [Double] = []
    private var answered: Set<Int> = []
    private var nextSend: Double
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
    /// The answer with the shortest round trip so far.
    private(set) var best: LSLTimeCorrection?
    static let spacing = 0.002

    init(address: sockaddr_in, host: String, probes: Int = 8, timeout: Double = 0.5) throws(LSLError) {
        do { fd = try LSLSocket.querySocket(host: host) } catch { buffer.deallocate(); throw error }
        self.address = address
        self.probes = max(1, probes)
        nextSend = LSLClock.now()
        deadline = nextSend + max(0, timeout)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Whether every probe was answered or the time is up.
    var isOver: Bool { answered.count == probes || LSLClock.now() >= deadline }

    /// How long the owner may wait before the next ``advance()`` (seconds, ≥ 0).
    func nextWait() -> Double {
        let until = sentAt.count < probes ? min(nextSend, deadline) : deadline
        return max(0, until - LSLClock.now())
    }

    /// Sends the next probe if it is due, reads what came; whether the measurement is over.
    func advance() -> Bool {
        let now = LSLClock.now()
        if sentAt.count < probes && now >= nextSend && now < deadline {
            LSLSocket.send(fd, Array("LSL:timedata\r\n\(wave + sentAt.count) \(now)\r\n".utf8), to: address)
            sentAt.append(now)
            nextSend = now + Self.spacing
        }
        for _ in 0..<64 {
            guard let (length, sender) = LSLSocket.receive(fd, into: buffer) else { break }
            take(length: length, from: sender, at: LSLClock.now())
        }
        return isOver
    }

    private func take(length: Int, from sender: sockaddr_in, at t3: Double) {
        guard sender.sin_addr.s_addr == address.sin_addr.s_addr, length <= buffer.count,
              let reply = LSLReplyParser.timeReply(UnsafeRawBufferPointer(rebasing: buffer[0..<length])),
              reply.wave >= wave, reply.wave < wave + sentAt.count, abs(sentAt[reply.wave - wave] - reply.t0) < 1e-6,
              // Our own t0: liblsl echoes it with 16 significant digits only.
              let estimate = LSLTimeCorrection.fromProbe(t0: sentAt[reply.wave - wave], t1: reply.t1, t2: reply.t2, t3: t3) else { return }
        answered.insert(reply.wave)
        if best.map({ estimate.roundTrip < $0.roundTrip }) ?? true { best = estimate }
    }
}
