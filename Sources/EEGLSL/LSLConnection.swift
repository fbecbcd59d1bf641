/// One inlet's TCP connection to an outlet, owned by the network thread: the request it
/// is sending (bounded), then the reply or the sample feed waiting to be written
/// (bounded: a feed that cannot take more loses samples, and is closed when it has
/// taken nothing for ``LSLLimits/stallTimeout``).
final class LSLConnection {
    enum Phase { case request, reply, streaming }
    let fd: Int32
    var phase = Phase.request
    var inbox: [UInt8] = []
    private(set) var outbox: [UInt8] = []
    private var sent = 0
    var feedLimit = 0
    let openedAt: Double
    var lastProgress: Double
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

    func queue(_ bytes: [UInt8]) { outbox += bytes }

    /// Appends one encoded sample to the feed, unless the feed is full.
    func queueSample(_ sample: UnsafeRawBufferPointer) {
        guard pendingBytes + sample.count <= feedLimit else { droppedSamples += 1; return }
        outbox.append(contentsOf: sample)
    }

    /// Writes what it can; false when the peer is gone.
    func flush(now: Double) -> Bool {
        guard pendingBytes > 0 else { lastProgress = now; return true }
        let written = outbox.withUnsafeBytes { LSLSocket.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
        guard let written else { return false }
        if written > 0 { lastProgress = now }
        sent += written
        if sent == outbox.count {
            outbox.removeAll(keepingCapacity: true)
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
