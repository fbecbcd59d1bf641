/// One inlet's TCP connection to an outlet, owned by the network thread: the request it
/// is sending (bounded), then the reply or the sample feed waiting to be written
/// (bounded: a feed that cannot take more loses samples, and is closed when it has
/// taken less than ``LSLLimits/minimumDrainRate`` allows for ``LSLLimits/stallTimeout``).
final class LSLConnection {
    enum Phase { case request, reply, streaming }
    let fd: Int32
    var phase = Phase.request
    var inbox: [UInt8] = []
    private(set) var outbox: [UInt8] = []
    private var sent = 0
    var feedLimit = 0
    let openedAt: Double
    /// When the feed last emptied or took a whole progress quantum (see ``flush(now:quantum:)``).
    var lastProgress: Double
    /// Bytes written since `lastProgress`.
    private var drainedSinceProgress = 0
    /// Samples this inlet lost because it read too slowly.
    var droppedSamples = 0
    /// What this turn's `poll` reported for this connection (0 if it was accepted after
    /// the poll): kept per connection, since its fd number may be reused within the turn.
    var revents: Int16 = 0
    /// Bytes the peer sent after its request (read and discarded, up to a limit).
    var bytesAfterRequest = 0
    /// Closed by the network thread (and about to leave its outlet's list).
    var ended = false

    init(fd: Int32, now: Double) {
        self.fd = fd
        openedAt = now
        lastProgress = now
    }

    var pendingBytes: Int { outbox.count - sent }
    /// The most an emptied outbox keeps allocated.
    static let keptCapacity = 256 << 10

    func queue(_ bytes: [UInt8]) { outbox += bytes }

    /// Appends one encoded sample to the feed, unless the feed is full, or the service's
    /// feeds together are (`serviceFull`) and this one holds more than `fairShare` bytes.
    /// Returns the bytes added (0 when the sample was dropped and counted).
    @discardableResult
    func queueSample(_ sample: UnsafeRawBufferPointer, serviceFull: Bool = false, fairShare: Int = .max) -> Int {
        let after = pendingBytes + sample.count
        guard after <= feedLimit, !serviceFull || after <= fairShare else { droppedSamples += 1; return 0 }
        outbox.append(contentsOf: sample)
        return sample.count
    }

    /// Writes what it can; false when the peer is gone. Progress (what ``expired(now:limits:)``
    /// measures from) is the outbox emptying, or `quantum` bytes written since the last
    /// progress: a reader taking a byte now and then does not count as reading.
    func flush(now: Double, quantum: Int = 1) -> Bool {
        guard pendingBytes > 0 else { lastProgress = now; drainedSinceProgress = 0; return true }
        let written = outbox.withUnsafeBytes { LSLSocket.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
        guard let written else { return false }
        sent += written
        drainedSinceProgress += written
        if sent == outbox.count || drainedSinceProgress >= quantum { lastProgress = now; drainedSinceProgress = 0 }
        if sent == outbox.count {
            // A burst's buffer is given back, not kept for the connection's life; a steady
            // feed's stays (no allocation per turn).
            outbox.removeAll(keepingCapacity: outbox.capacity <= Self.keptCapacity)
            sent = 0
        } else if sent > 1 << 16 && sent * 2 > outbox.count {
            outbox.removeFirst(sent)
            sent = 0
        }
        return true
    }

    /// Whether the connection has outlived its patience: a request still incomplete, or a
    /// feed that stopped taking bytes.
    func expired(now: Double, limits: LSLLimits) -> Bool {
        switch phase {
        case .request: return now - openedAt > limits.requestTimeout
        case .reply, .streaming: return pendingBytes > 0 && now - lastProgress > limits.stallTimeout
        }
    }
}
