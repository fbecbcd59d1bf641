/// What one inlet may cost an outlet: the caps and timeouts that keep malformed, slow,
/// silent or greedy peers from stalling EEGKit or growing its memory.
public struct LSLLimits: Sendable, Equatable {
    /// Connections per outlet; more are accepted and closed at once.
    public var connectionsPerOutlet = 16
    /// Seconds a connection has to send a whole request (slow or silent senders are cut).
    public var requestTimeout = 5.0
    /// Seconds a connection with bytes waiting may take none (or fewer than
    /// ``minimumDrainRate`` allows) before it is closed.
    public var stallTimeout = 10.0
    /// The most a feed buffers for a slow inlet, whatever `Max-Buffer-Length` asks for;
    /// beyond it the inlet loses samples (counted) rather than EEGKit gaining memory.
    public var feedBytes = 4 << 20
    /// The most all feeds of the service buffer together: 16 connections × 3 outlets ×
    /// ``feedBytes`` would otherwise let one set of greedy inlets pin about 200 MB. When the
    /// total is reached, feeds holding more than their fair share (this ÷ the feeds) lose
    /// samples (counted); the others still get theirs up to that share, so the total stays
    /// under twice this.
    public var serviceFeedBytes = 16 << 20
    /// Bytes per second a feed with bytes waiting must at least take: one that takes fewer
    /// than this × ``stallTimeout`` within ``stallTimeout`` seconds is closed. A reader that
    /// takes a byte now and then would otherwise keep its connection and its buffer for good.
    public var minimumDrainRate = 1024.0

    /// The bytes a feed must take within ``stallTimeout`` (at least 1; a non-finite or
    /// negative product counts as 1, a huge one as 2 GB).
    var progressQuantum: Int {
        let bytes = minimumDrainRate * stallTimeout
        guard bytes.isFinite, bytes > 1 else { return 1 }
        return Int(min(bytes, Double(Int32.max)))
    }
    /// The least a feed buffers (an inlet asking for almost nothing still gets this).
    public var minimumFeedBytes = 64 << 10
    /// The most a connection may send after its request (liblsl's inlets send nothing);
    /// a peer that keeps sending is closed instead of costing a turn per read.
    public var bytesAfterRequest = 4096
    /// Connections taken from one listener per turn: a connection flood cannot hold the
    /// network thread in its accept loop while the feeds wait.
    public var acceptsPerTurn = 32
    /// Discovery and time datagrams answered per turn over all sockets, and the seconds a
    /// turn may spend on them: a query flood (under link or site scope anyone on the network
    /// can send one) costs the feeds at most this much per turn.
    public var datagramsPerTurn = 64
    public var datagramSeconds = 0.005
    /// Seconds a listener is left out of the poll after `accept` found no free descriptor
    /// (EMFILE/ENFILE): it stays readable, and polling it at once would spin a core.
    public var acceptPause = 0.1

    public init() {}
}

/// Counts the network thread publishes after every turn, for tests and diagnostics.
public struct LSLServiceStatistics: Sendable, Equatable {
    /// Open TCP connections over all outlets.
    public var connections = 0
    /// Bytes waiting in all feeds and replies.
    public var pendingBytes = 0
    /// Connections closed for a malformed or oversized request, a timeout, or the cap.
    public var refusedOrTimedOut = 0
    /// Samples inlets lost because they read too slowly.
    public var samplesDroppedForSlowInlets = 0
    /// Network-thread turns so far.
    public var turns = 0
    /// Times a listener was paused because the process had no descriptor left.
    public var acceptPauses = 0
    /// Discovery and time datagrams taken from the sockets (answered or not).
    public var datagramsRead = 0
    /// Time requests answered (what `time_correction()` sends).
    public var timeRequestsAnswered = 0
}
