import EEGFormats
import Foundation
import Synchronization

/// Pulls a marker stream another program publishes (PsychoPy, a trigger box) by name, on
/// its own thread: resolves it, opens its feed, corrects its timestamps to this machine's
/// LSL clock, and queues each sample; when the stream is lost it resolves it again, with
/// backoff (0.25 s doubling to 4 s), so it may appear late and come and go.
///
/// Threading: the inlet's thread does all network work, every call bounded (see
/// ``LSLInletTimeouts``); ``drain()`` is called from any one thread (the session's) and
/// takes a lock only when something is queued. At most ``capacity`` events wait; more are
/// dropped and counted. ``stop()`` returns once the thread has ended: within the longest
/// single bounded step (``LSLInletTimeouts/connect``; resolving and reading see it at once).
public final class LSLMarkerInlet: @unchecked Sendable {
    /// What happened, in order.
    public enum Event: Sendable, Equatable {
        /// One marker: the sample's values, its timestamp on this machine's LSL clock
        /// (the outlet's plus the time correction), and where that correction came from.
        case marker(values: [String], timestamp: Double, correction: Correction = .measured)
        /// The stream was found and its feed verified (the outlet's host name).
        case connected(host: String)
        /// The feed ended after it had been verified.
        case lost(String)
        /// An outlet of that name could not be used (refused, malformed, silent).
        case warning(String)
    }

    /// Where a marker's time correction came from.
    public enum Correction: Sendable, Equatable {
        /// Measured on this connection (as liblsl's `time_correction()`).
        case measured
        /// This connection's time service has not answered: the correction last measured
        /// for the same outlet host on an earlier connection, whose clock shows no sign of
        /// having restarted since (see ``LSLMarkerInlet``).
        case lastKnown
        /// None: no time service answered, so the timestamp is on the outlet's own clock.
        case uncorrected
    }

    public static let capacity = 4096
    public let name: String
    public let resolver: LSLResolver
    public let timeouts: LSLInletTimeouts
    private let queue = Mutex<(events: [Event], dropped: Int)>(([], 0))
    private let pending = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(true)
    private var lastWarning = ""
    /// The last correction measured, the outlet host it was measured for and when that
    /// stream was created (on this machine's clock): used, marked ``Correction/lastKnown``,
    /// until a new connection to the host measures its own — unless the new stream shows
    /// the host's clock restarted (see ``lastKnownCorrection(host:createdAt:)``).
    private var knownCorrection: (host: String, value: Double, created: Double)?

    public init(name: String, configuration: LSLConfiguration, timeouts: LSLInletTimeouts = LSLInletTimeouts()) {
        self.name = name
        resolver = LSLResolver(configuration: configuration)
        self.timeouts = timeouts
    }

    deinit { stop() }

    /// Starts the inlet's thread (once).
    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.store(false, ordering: .releasing)
        let thread = Thread { [self] in
            run()
            finished.store(true, ordering: .releasing)
        }
        thread.name = "eeg-lsl-inlet"
        thread.start()
    }

    /// Stops the thread and waits until it has ended (every step it takes is bounded).
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        while !finished.load(ordering: .acquiring) { usleep(5000) }
    }

    /// Whether the thread has ended (or never started).
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// The events since the last call, oldest first, and how many were dropped.
    public func drain() -> (events: [Event], dropped: Int) {
        guard pending.exchange(false, ordering: .acquiringAndReleasing) else { return ([], 0) }
        return queue.withLock { q in
            defer { q = ([], 0) }
            return q
        }
    }

    private func post(_ event: Event) {
        queue.withLock { q in
            if q.events.count < Self.capacity { q.events.append(event) } else { q.dropped += 1 }
        }
        pending.store(true, ordering: .releasing)
    }

    /// A warning, unless it repeats the previous one (a broken outlet is retried every few seconds).
    private func warn(_ message: String) {
        guard message != lastWarning else { return }
        lastWarning = message
        post(.warning(message))
    }

    private var isRunning: Bool { running.load(ordering: .acquiring) }

    private func run() {
        var backoff = timeouts.firstBackoff
        while isRunning {
            // The newest of several (an outlet restarted while its old info still answers).
            // A responder answering every query does not take over: the name must be the one asked for.
            let streams = (try? resolver.resolve(query: resolver.query(name: name), wait: timeouts.resolve) { isRunning }) ?? []
            if let stream = streams.filter({ $0.info.name == name }).max(by: { $0.info.createdAt < $1.info.createdAt }) {
                let hadFeed = follow(stream)
                if hadFeed { backoff = timeouts.firstBackoff }
            }
            pause(backoff)
            backoff = min(backoff * 2, timeouts.maximumBackoff)
        }
    }

    /// Sleeps `seconds` in short steps, so ``stop()`` is seen.
    private func pause(_ seconds: Double) {
        let until = LSLClock.now() + seconds
        while isRunning, LSLClock.now() < until { usleep(20_000) }
    }

    /// The kept correction for `host`, unless a stream it created at `createdAt` (its
    /// clock) shows that clock restarted since it was measured (a reboot): corrected with
    /// it, the stream would have been created in the future or before the stream it was
    /// measured on (1 s of slack for the correction's own error). liblsl drops its
    /// correction on reconnection; a clock that restarted is the case where keeping it
    /// would place markers hours off.
    private func lastKnownCorrection(host: String, createdAt: Double) -> Double? {
        guard let known = knownCorrection, known.host == host else { return nil }
        let created = createdAt + known.value
        guard created.isFinite, created <= LSLClock.now() + 1, created >= known.created - 1 else { return nil }
        return known.value
    }

    /// Reads one outlet's feed until it ends or the inlet stops; whether it was verified.
    private func follow(_ stream: LSLResolvedStream) -> Bool {
        let host = "\(stream.address) \(stream.info.hostname)"
        let feed = LSLFeedConnection(stream: stream, resolver: resolver, timeouts: timeouts,
                                     known: lastKnownCorrection(host: host, createdAt: stream.info.createdAt))
        var verified = false
        defer { if feed.source == .measured { knownCorrection = (host, feed.correction, stream.info.createdAt + feed.correction) } }
        do {
            try feed.open { isRunning }
            while isRunning {
                let samples = try feed.read()
                if !verified && feed.verified {
                    verified = true
                    lastWarning = ""
                    post(.connected(host: stream.info.hostname.isEmpty ? stream.address : stream.info.hostname))
                }
                for sample in samples { post(.marker(values: sample.values, timestamp: sample.timestamp + feed.correction, correction: feed.source)) }
            }
        } catch {
            if verified { post(.lost(error.description)) } else { warn("'\(name)' at \(stream.address):\(stream.info.v4DataPort): \(error.description)") }
        }
        feed.close()
        return verified
    }
}

/// How long the marker inlet waits for each step (seconds).
public struct LSLInletTimeouts: Sendable, Equatable {
    /// One resolve attempt.
    public var resolve = 1.0
    /// The TCP connection to be accepted.
    public var connect = 2.0
    /// The reply header and both test patterns, from the connection on.
    public var handshake = 5.0
    /// One read wait (bounds how late ``LSLMarkerInlet/stop()`` is seen).
    public var poll = 0.25
    /// Between time-correction measurements while the feed runs.
    public var correctionInterval = 5.0
    /// One time-correction measurement at most (over sooner once every probe is
    /// answered); the feed is read meanwhile, except for the first, before the request.
    public var correction = 0.5
    public var firstBackoff = 0.25
    public var maximumBackoff = 4.0
    public init() {}
}
