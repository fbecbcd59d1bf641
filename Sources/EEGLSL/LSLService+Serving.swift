#if canImport(Glibc)
import Glibc
#endif

extension LSLService {
    /// Answers the turn's waiting datagrams, one per readable socket in rounds (the time
    /// services first in each round), until none is waiting or the turn's budget is spent
    /// (``LSLLimits/datagramsPerTurn`` and ``LSLLimits/datagramSeconds`` over all sockets): a
    /// flood on one socket waits for the next turn without holding back the feeds or the
    /// other outlets' time services and discovery; the sockets stay readable, so the next
    /// poll returns at once.
    func answerDatagrams() {
        var waiting = datagramSockets.count
        while waiting > 0, datagramBudget > 0, LSLClock.now() < datagramDeadline {
            waiting = 0
            for i in datagramSockets.indices where datagramSockets[i].waiting && datagramBudget > 0 {
                datagramSockets[i].waiting = answerOne(on: datagramSockets[i].fd, timeService: datagramSockets[i].timeService)
                if datagramSockets[i].waiting { waiting += 1 }
            }
        }
    }

    /// Takes one datagram (false when none was waiting) and answers it: a matching shortinfo
    /// query with the outlet's short info (to the sender's address at its return port), a time
    /// request with the receive and send times (service sockets only, as liblsl's). The receive
    /// time is read as the datagram is taken, as liblsl reads it on receipt: a time taken
    /// before would make later requests look older than they are and bias `time_correction()`.
    private func answerOne(on fd: Int32, timeService: Bool) -> Bool {
        guard let (length, sender) = LSLSocket.receive(fd, into: datagram) else { return false }
        let receivedAt = LSLClock.now()
        datagramBudget -= 1
        statistics.datagramsRead += 1
        // Under machine scope nothing from outside the machine is answered.
        if configuration.loopbackOnly, !LSLSocket.text(of: sender).hasPrefix("127.") { return true }
        guard length <= datagram.count, let request = LSLDatagramRequest.parse(UnsafeRawBufferPointer(rebasing: datagram[0..<length])) else { return true }
        switch request {
        case .shortinfo(let query, let returnPort, let queryID):
            var to = sender
            to.sin_port = returnPort.bigEndian
            let parsed = LSLQuery(query) // once per datagram, not once per outlet
            for outlet in outlets where (timeService ? outlet.serviceSocket == fd : true) && parsed.matches(outlet.queryFields) {
                LSLSocket.send(fd, Array((queryID + "\r\n").utf8) + outlet.shortInfo, to: to)
            }
        case .timedata(let waveID, let t0):
            guard timeService else { return true }
            LSLSocket.send(fd, Array(" \(waveID) \(t0) \(receivedAt) \(LSLClock.now())".utf8), to: sender)
            statistics.timeRequestsAnswered += 1
        }
        return true
    }

    /// Moves the outlet's queued samples to its feeds, then reads requests, writes
    /// replies and feeds, and closes what ended, failed or outlived its timeout.
    func serve(_ outlet: LSLOutlet, now: Double) {
        let key = ObjectIdentifier(outlet)
        let list = connections[key] ?? []
        // No per-turn arrays: the feeds are picked out of the list as each sample is fanned out.
        let droppedBefore = list.reduce(0) { $0 + $1.droppedSamples }
        let cap = limits.serviceFeedBytes, fairShare = cap / max(1, feedsServed)
        outlet.queue.drain(scratch: outlet.drainScratch) { sample in
            for feed in list where feed.phase == .streaming {
                feedBytesPending += feed.queueSample(sample, serviceFull: feedBytesPending + sample.count > cap, fairShare: fairShare)
            }
        }
        statistics.samplesDroppedForSlowInlets += list.reduce(0) { $0 + $1.droppedSamples } - droppedBefore
        var ended = 0
        for connection in list {
            let events = connection.revents
            connection.revents = 0
            switch serve(connection, of: outlet, events: events, now: now) {
            case .keep: continue
            case .done: close(connection.fd)
            case .refused: LSLSocket.abort(connection.fd); statistics.refusedOrTimedOut += 1
            }
            connection.ended = true
            ended += 1
        }
        if ended > 0 { connections[key]?.removeAll { $0.ended } }
        outlet.streamingFeeds.store(list.count { !$0.ended && $0.phase == .streaming }, ordering: .relaxed)
    }

    enum Outcome { case keep, done, refused }

    /// One connection's turn: kept, done (answered, or the peer left), or refused.
    private func serve(_ connection: LSLConnection, of outlet: LSLOutlet, events: Int16, now: Double) -> Outcome {
        if events & Int16(POLLERR | POLLNVAL) != 0 { return .done }
        if connection.phase == .request {
            if events & Int16(POLLIN | POLLHUP) != 0 {
                let outcome = readRequest(connection, of: outlet)
                guard outcome == .keep else { return outcome }
            }
        } else if events & Int16(POLLIN | POLLHUP) != 0 {
            // An inlet sends nothing after its request: read and forget, noticing when it
            // hangs up; a peer that keeps sending is closed rather than served a turn per read.
            guard let n = LSLSocket.read(connection.fd, into: datagram) else { return .done }
            connection.bytesAfterRequest += n
            if connection.bytesAfterRequest > limits.bytesAfterRequest { return .refused }
        }
        guard connection.flush(now: now, quantum: limits.progressQuantum) else { return .done }
        if connection.phase == .reply && connection.pendingBytes == 0 { return .done }
        return connection.expired(now: now, limits: limits) ? .refused : .keep
    }

    /// Reads what the inlet sent and, once the request is whole, queues the answer.
    private func readRequest(_ connection: LSLConnection, of outlet: LSLOutlet) -> Outcome {
        let room = min(4096, LSLRequestParser.maximumRequestBytes + 1 - connection.inbox.count)
        guard room > 0, let n = LSLSocket.read(connection.fd, into: UnsafeMutableRawBufferPointer(rebasing: datagram[0..<room])) else { return .done }
        connection.inbox += datagram[0..<n]
        let outcome: LSLRequestParser.Outcome
        do { outcome = try LSLRequestParser.parse(connection.inbox) } catch { return .refused }
        guard case .complete(let request) = outcome else { return .keep }
        connection.inbox = []
        switch request {
        case .fullinfo:
            connection.queue(outlet.fullInfo)
            connection.phase = .reply
        case .shortinfo(let query):
            guard LSLQuery.matches(query, fields: outlet.queryFields) else { return .done }
            connection.queue(outlet.shortInfo)
            connection.phase = .reply
        case .streamfeed(let feed):
            startFeed(connection, of: outlet, feed)
        }
        return .keep
    }

    /// Answers a `LSL:streamfeed/110` request: status and headers, the two test patterns,
    /// then (when the inlet wants samples buffered) every sample pushed from now on.
    private func startFeed(_ connection: LSLConnection, of outlet: LSLOutlet, _ feed: StreamFeedRequest) {
        if !feed.uid.isEmpty && feed.uid != outlet.info.uid {
            connection.queue(Array("LSL/110 404 Not found\r\n".utf8))
            connection.phase = .reply
            return
        }
        // A string outlet ignores Value-Size, as liblsl's does: liblsl ≤ 1.17 inlets send
        // sizeof(std::string) (32), pylsl 1.18's 0. A numeric outlet needs its own width.
        let sizeMismatch = outlet.format != .string && feed.valueSize.map { $0 != outlet.format.valueSize } == true
        if sizeMismatch || !feed.hasIEEE754Floats {
            // liblsl would fall back to protocol 1.00's archive format, which EEGKit does not speak.
            connection.queue(Array("LSL/110 505 Version not supported\r\n".utf8))
            connection.phase = .reply
            return
        }
        let header = "LSL/110 200 OK\r\nUID: \(outlet.info.uid)\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n"
        connection.queue(Array(header.utf8) + outlet.testPatterns)
        guard feed.maxBufferedSamples > 0 else { connection.phase = .reply; return }
        let wanted = feed.maxBufferedSamples.multipliedReportingOverflow(by: outlet.queue.maximumSampleBytes)
        connection.feedLimit = min(max(wanted.overflow ? Int.max : wanted.partialValue, limits.minimumFeedBytes), limits.feedBytes)
        connection.phase = .streaming
    }
}

