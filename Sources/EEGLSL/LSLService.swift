import EEGFormats
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The process's LSL network side: one thread that answers discovery queries, serves
/// every outlet's TCP connections and time requests, and moves samples from the outlets'
/// queues to their inlets — POSIX sockets and `poll`, nothing blocking, every wait bounded.
///
/// Limits (the network is untrusted): ``LSLLimits`` (connections per outlet, request and
/// stall timeouts, feed buffers) and ``LSLRequestParser``'s bounds on requests.
public final class LSLService: @unchecked Sendable {
    public let configuration: LSLConfiguration
    public let limits: LSLLimits
    private let published = Mutex(LSLServiceStatistics())
    /// Network-thread only; copied to `published` after each turn.
    var statistics = LSLServiceStatistics()
    /// The address every socket binds: loopback under machine scope, else the configured
    /// listen address (or any).
    let host: String
    /// A non-blocking pipe: producers write a byte to wake the thread out of `poll`.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private var responderFD: Int32 = -1
    private let pending = Mutex<[LSLOutlet]>([])
    private let running = Atomic<Bool>(true)
    private let wakeCount = Atomic<Int>(0)
    // Network-thread state.
    var outlets: [LSLOutlet] = []
    var connections: [ObjectIdentifier: [LSLConnection]] = [:]
    /// The network thread's receive buffer (freed when `run` returns). Allocated only once
    /// init can no longer throw: a failed start would otherwise leak it (no deinit runs).
    let datagram: UnsafeMutableRawBufferPointer
    private let finished = Atomic<Bool>(false)
    // The turn's poll set, the connection at each polled slot, and what was ready by fd
    // (network thread only; kept to be reused).
    private var fds: [pollfd] = []
    private var polled: [(slot: Int, connection: LSLConnection)] = []
    private var ready: [Int32: Int16] = [:]
    /// At most the bytes waiting in all connections: what they held at this turn's start plus
    /// what the turn queued (bytes flushed meanwhile still count, so the cap errs on the safe side),
    /// and the streaming feeds then: what ``LSLLimits/serviceFeedBytes`` is held against.
    var feedBytesPending = 0
    var feedsServed = 0
    /// Datagrams this turn may still answer, and until when (LSL clock).
    var datagramBudget = 0
    var datagramDeadline = 0.0
    /// The turn's readable datagram sockets (time services first) and whether each may
    /// still hold a datagram (kept to be reused).
    var datagramSockets: [(fd: Int32, timeService: Bool, waiting: Bool)] = []
    /// The discovery groups that could not be joined, as "group on interface" (set at start;
    /// empty under machine scope, which joins none). Interfaces are listed once, at start: one
    /// that comes up later is not joined (as in liblsl).
    public private(set) var multicastJoinFailures: [String] = []
    /// How connections are taken from a listener (a test substitutes a failing one).
    var acceptConnection: (Int32) -> LSLSocket.Accepted = LSLSocket.accept

    /// Opens the discovery responder (port `MulticastPort`, shared with other LSL programs)
    /// and starts the network thread.
    public convenience init(configuration: LSLConfiguration, limits: LSLLimits = LSLLimits()) throws(LSLError) {
        try self.init(configuration: configuration, limits: limits, startingThread: true)
    }

    /// Without `startingThread`, a test runs ``turn()`` itself, then ``startThread()``.
    init(configuration: LSLConfiguration, limits: LSLLimits, startingThread: Bool) throws(LSLError) {
        guard configuration.allowIPv4 else { throw LSLError(kind: .noIPv4) }
        self.configuration = configuration
        self.limits = limits
        host = configuration.loopbackOnly ? "127.0.0.1" : configuration.listenAddress
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw LSLSocket.failure("pipe") }
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK); _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        (wakeFD, wakeWriteFD) = (ends[0], ends[1])
        datagram = .allocate(byteCount: LSLDatagramRequest.maximumBytes, alignment: 8)
        // Another LSL program may hold the port without SO_REUSEADDR: then EEGKit is still
        // found through the unicast ports of the range (KnownPeers), as liblsl's outlets are.
        if let fd = try? LSLSocket.bound(Int32(SOCK_DGRAM.rawValue), host: host, port: configuration.multicastPort, reuseAddress: true) {
            responderFD = fd
            // Under machine scope no group is joined: nothing but loopback is heard.
            if !configuration.loopbackOnly {
                let interfaces = LSLSocket.multicastInterfaces(LSLSocket.interfaces(), listenAddress: configuration.listenAddress)
                for group in configuration.discoveryAddresses where LSLSocket.isMulticast(group) {
                    for interface in interfaces where !LSLSocket.joinGroup(fd, group, on: interface) {
                        multicastJoinFailures.append("\(group) on \(interface)")
                    }
                }
            }
        }
        if startingThread { startThread() }
    }

    /// Starts the network thread. It holds the service while it runs and releases it when
    /// `run` returns (after ``stop()``); the service keeps no reference back: no cycle.
    func startThread() {
        let thread = Thread { [self] in run() }
        thread.name = "eeg-lsl"
        thread.start()
    }

    /// The network thread's counts as of its last turn (from any thread).
    public var currentStatistics: LSLServiceStatistics { published.withLock { $0 } }

    /// Stops the network thread (waiting for it at most a second) and closes every socket.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake()
        for _ in 0..<200 where !finished.load(ordering: .acquiring) { usleep(5000) }
    }

    deinit {
        stop()
        // Closed only here: outlets reach the service weakly, so no wake() can follow.
        close(wakeFD)
        close(wakeWriteFD)
    }

    /// Offers a new stream: binds its TCP data port and UDP service port in the configured
    /// range, fills in uid, session, host name and creation time.
    /// - Parameter queueSeconds: how much the hand-over queue holds at the nominal rate.
    public func addOutlet(_ description: StreamInfo, format: LSLValueFormat, queueSamples: Int = 4096) throws(LSLError) -> LSLOutlet {
        let (listener, dataPort) = try LSLSocket.boundInRange(Int32(SOCK_STREAM.rawValue), host: host, base: configuration.basePort,
                                                              range: configuration.portRange, allowRandom: configuration.allowRandomPorts)
        let service: (Int32, Int)
        do {
            service = try LSLSocket.boundInRange(Int32(SOCK_DGRAM.rawValue), host: host, base: configuration.basePort,
                                                 range: configuration.portRange, allowRandom: configuration.allowRandomPorts)
        } catch { close(listener); throw error }
        var info = description
        info.uid = UUID().uuidString.lowercased()
        info.sessionID = configuration.sessionID
        info.hostname = LSLSocket.hostName()
        info.createdAt = LSLClock.now()
        info.v4DataPort = dataPort
        info.v4ServicePort = service.1
        let sampleBytes = format == .float32 ? LSLSampleEncoding.numericSampleSize(channels: info.channelCount, width: 4) : 256
        let outlet = LSLOutlet(info: info, format: format, queueBytes: queueSamples * (sampleBytes + 4),
                               listener: listener, serviceSocket: service.0, service: self)
        pending.withLock { $0.append(outlet) }
        wake()
        return outlet
    }

    /// Wakes the network thread (non-blocking: a full pipe already means "awake").
    func wake() {
        wakeCount.add(1, ordering: .relaxed)
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    /// How many times producers (and stop/add/close) woke the network thread: each is a
    /// `write(2)` on the caller's thread and a turn on the network thread.
    public var wakeUps: Int { wakeCount.load(ordering: .relaxed) }

    private func run() {
        while running.load(ordering: .acquiring) { turn() }
        for outlet in outlets { retire(outlet) }
        pending.withLock { $0.forEach(retire); $0.removeAll() }
        if responderFD >= 0 { close(responderFD) }
        datagram.deallocate()
        finished.store(true, ordering: .releasing)
    }

    /// One poll: wake-ups, new and closed outlets, queued samples, then every ready socket.
    func turn() {
        // The poll set and its bookkeeping are reused turn after turn: no allocation once
        // they have grown to the most sockets seen.
        fds.removeAll(keepingCapacity: true)
        polled.removeAll(keepingCapacity: true)
        ready.removeAll(keepingCapacity: true)
        fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
        if responderFD >= 0 { fds.append(pollfd(fd: responderFD, events: Int16(POLLIN), revents: 0)) }
        let before = LSLClock.now()
        var timeout = 250.0
        for outlet in outlets {
            // A paused listener (no descriptor left) is polled again once its pause is over.
            let paused = outlet.acceptPausedUntil - before
            if paused > 0 { timeout = min(timeout, paused * 1000 + 1) } else { fds.append(pollfd(fd: outlet.listener, events: Int16(POLLIN), revents: 0)) }
            fds.append(pollfd(fd: outlet.serviceSocket, events: Int16(POLLIN), revents: 0))
            for connection in connections[ObjectIdentifier(outlet)] ?? [] {
                let events = connection.phase == .request ? POLLIN : (connection.pendingBytes > 0 ? POLLOUT | POLLIN : POLLIN)
                polled.append((fds.count, connection))
                fds.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
            }
        }
        _ = poll(&fds, nfds_t(fds.count), Int32(timeout))
        let now = LSLClock.now()
        for entry in fds where entry.revents != 0 { ready[entry.fd] = entry.revents }
        for (slot, connection) in polled { connection.revents = fds[slot].revents }
        if ready[wakeFD] != nil { _ = read(wakeFD, datagram.baseAddress, datagram.count) }
        adoptAndRetire()
        datagramBudget = limits.datagramsPerTurn
        datagramDeadline = LSLClock.now() + limits.datagramSeconds
        // Time requests first: their replies' timing is what time_correction() measures.
        datagramSockets.removeAll(keepingCapacity: true)
        for outlet in outlets where ready[outlet.serviceSocket] != nil { datagramSockets.append((outlet.serviceSocket, true, true)) }
        if responderFD >= 0, ready[responderFD] != nil { datagramSockets.append((responderFD, false, true)) }
        answerDatagrams()
        countFeedBytes()
        for outlet in outlets {
            if ready[outlet.listener] != nil { accept(for: outlet, now: now) }
            serve(outlet, now: now)
        }
        statistics.turns += 1
        statistics.connections = connections.values.reduce(0) { $0 + $1.count }
        statistics.pendingBytes = connections.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.pendingBytes } }
        let snapshot = statistics
        published.withLock { $0 = snapshot }
    }

    /// What all connections hold and how many feeds stream, before this turn queues more.
    private func countFeedBytes() {
        feedBytesPending = 0
        feedsServed = 0
        for list in connections.values {
            for connection in list {
                feedBytesPending += connection.pendingBytes
                if connection.phase == .streaming { feedsServed += 1 }
            }
        }
    }

    private func adoptAndRetire() {
        outlets += pending.withLock { p -> [LSLOutlet] in let all = p; p.removeAll(); return all }
        for outlet in outlets where outlet.closed.load(ordering: .acquiring) { retire(outlet) }
        outlets.removeAll { $0.closed.load(ordering: .acquiring) }
    }

    func retire(_ outlet: LSLOutlet) {
        for connection in connections.removeValue(forKey: ObjectIdentifier(outlet)) ?? [] { close(connection.fd) }
        close(outlet.listener)
        close(outlet.serviceSocket)
    }

    /// Takes waiting connections (at most ``LSLLimits/acceptsPerTurn``); with no
    /// descriptor left, leaves the listener out of the poll for ``LSLLimits/acceptPause``.
    private func accept(for outlet: LSLOutlet, now: Double) {
        for _ in 0..<limits.acceptsPerTurn {
            switch acceptConnection(outlet.listener) {
            case .none: return
            case .outOfDescriptors:
                outlet.acceptPausedUntil = now + limits.acceptPause
                statistics.acceptPauses += 1
                return
            case .connection(let fd):
                var list = connections[ObjectIdentifier(outlet)] ?? []
                guard list.count < limits.connectionsPerOutlet else { close(fd); statistics.refusedOrTimedOut += 1; continue }
                list.append(LSLConnection(fd: fd, now: now))
                connections[ObjectIdentifier(outlet)] = list
            }
        }
    }
}
