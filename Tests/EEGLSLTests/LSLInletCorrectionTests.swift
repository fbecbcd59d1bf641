import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport
@testable import EEGLSL

/// The marker inlet's time correction against a fake outlet whose time service the test
/// controls (``FakeLSLOutlet/Behaviour/markers``): measured without pausing the feed,
/// said when it cannot be measured, kept across a reconnection; and ``LSLMarkerInlet/stop()``
/// returning only once the thread has ended.
@Suite("LSL marker inlet time correction", .serialized)
struct LSLInletCorrectionTests {
    static func configuration(_ offset: Int) -> LSLConfiguration {
        var configuration = LSLInletRoundTripTests.configuration()
        configuration.basePort += 150 + offset
        configuration.portRange = 1
        return configuration
    }

    static func connected(_ events: [LSLMarkerInlet.Event]) -> Bool { events.contains { if case .connected = $0 { true } else { false } } }

    typealias Marker = (timestamp: Double, correction: LSLMarkerInlet.Correction)

    /// The marker events with `text`: timestamp and where its correction came from.
    static func marker(_ text: String, in events: [LSLMarkerInlet.Event]) -> Marker? {
        for event in events { if case .marker(let values, let timestamp, let correction) = event, values == [text] { return (timestamp, correction) } }
        return nil
    }

    /// `fake` sends marker `text` stamped `timestamp`; what the inlet made of it (30 s hang guard).
    static func roundTrip(_ text: String, at timestamp: Double, from fake: FakeLSLOutlet, to inlet: LSLMarkerInlet,
                          events: inout [LSLMarkerInlet.Event]) throws -> Marker {
        fake.send(text, timestamp: timestamp)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { marker(text, in: $0) != nil })
        return try #require(marker(text, in: events))
    }

    /// An inlet for `name` started and connected (30 s hang guard).
    static func connectedInlet(_ name: String, _ configuration: LSLConfiguration, _ timeouts: LSLInletTimeouts,
                               events: inout [LSLMarkerInlet.Event]) -> LSLMarkerInlet {
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: timeouts)
        inlet.start()
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events, until: connected))
        return inlet
    }

    /// Waits (30 s hang guard) until `done`.
    static func waitFor(_ done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline { if done() { return true }; usleep(5_000) }
        return done()
    }

    @Test("a re-measurement does not pause the feed: a marker sent while its probes wait is read, and their answers apply to the next")
    func measuredWhileReading() throws {
        let configuration = Self.configuration(0), name = "corr-live-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: 100)
        defer { fake.stop() }
        // The first measurement (8 probes, at connection) is answered; the next is held.
        fake.holdProbesAfter = 8
        var timeouts = LSLInletRoundTripTests.fastTimeouts()
        timeouts.correctionInterval = 0.3
        timeouts.correction = 60  // a held measurement stays open until answered
        var events: [LSLMarkerInlet.Event] = []
        let inlet = Self.connectedInlet(name, configuration, timeouts, events: &events)
        defer { inlet.stop() }
        #expect(Self.waitFor { fake.probes.held == 8 }, "\(fake.probes)")
        // The re-measurement waits for its answers; the feed goes on being read.
        let during = try Self.roundTrip("during", at: 1000, from: fake, to: inlet, events: &events)
        #expect(abs(during.timestamp - 900) < 0.01 && during.correction == .measured, "\(during)")
        // Answered now, from a clock 200 s ahead: the marker sent after the answers is
        // stamped with what they measured (a blocking measurement gave up before).
        fake.clockOffset = 200
        fake.holdProbesAfter = nil
        fake.answerHeldProbes()
        let after = try Self.roundTrip("after", at: 1000, from: fake, to: inlet, events: &events)
        #expect(abs(after.timestamp - 800) < 0.01 && after.correction == .measured, "\(after)")
    }

    @Test("no time service answering: markers come marked uncorrected, on the outlet's own clock")
    func uncorrected() throws {
        let configuration = Self.configuration(1), name = "corr-none-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: nil)
        defer { fake.stop() }
        var events: [LSLMarkerInlet.Event] = []
        let inlet = Self.connectedInlet(name, configuration, LSLInletRoundTripTests.fastTimeouts(), events: &events)
        defer { inlet.stop() }
        let raw = try Self.roundTrip("raw", at: 42, from: fake, to: inlet, events: &events)
        #expect(raw.timestamp == 42 && raw.correction == .uncorrected, "\(raw)")
    }

    /// A fake outlet 100 s ahead whose first connection measured its correction (−100 s);
    /// then its time service stops answering, it announces itself as `createdAt` and hangs
    /// up; what the inlet made of marker "second" on the next connection.
    static func reconnectedWithoutService(_ offset: Int, createdAt: Double) throws -> Marker {
        let configuration = Self.configuration(offset), name = "corr-keep-\(offset)-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: 100)
        defer { fake.stop() }
        fake.createdAt = 5000
        var events: [LSLMarkerInlet.Event] = []
        let inlet = Self.connectedInlet(name, configuration, LSLInletRoundTripTests.fastTimeouts(), events: &events)
        defer { inlet.stop() }
        #expect(try Self.roundTrip("first", at: 1000, from: fake, to: inlet, events: &events).correction == .measured)
        fake.clockOffset = nil
        fake.createdAt = createdAt
        let accepted = fake.connections
        fake.hangUp()
        events.removeAll()
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.connected($0) && fake.connections > accepted })
        return try Self.roundTrip("second", at: 1000, from: fake, to: inlet, events: &events)
    }

    @Test("the correction measured for a host is kept when a later connection to it cannot measure one, marked as the last known")
    func keptAcrossReconnection() throws {
        // A stream created after the first (on the outlet's clock that has gone on): the same clock.
        let second = try Self.reconnectedWithoutService(2, createdAt: 5010)
        #expect(abs(second.timestamp - 900) < 0.01 && second.correction == .lastKnown, "\(second)")
    }

    @Test("a kept correction is dropped when the new stream shows the host's clock restarted (created before the old one)")
    func staleCorrectionDropped() throws {
        // The host rebooted: its clock started again near 0, so the new stream's creation
        // time, corrected with the kept value, falls before the old stream's.
        let second = try Self.reconnectedWithoutService(4, createdAt: 10)
        #expect(second.timestamp == 1000 && second.correction == .uncorrected, "\(second)")
    }

    @Test("stop() returns only once the thread has ended, even in the middle of a long resolve")
    func stopWaitsForTheThread() throws {
        var timeouts = LSLInletTimeouts()
        timeouts.resolve = 3600  // nobody offers the stream: one resolve would last an hour
        let inlet = LSLMarkerInlet(name: "nobody-\(getpid())", configuration: Self.configuration(3), timeouts: timeouts)
        inlet.start()
        // Let the thread get into its resolve (the assertions hold however long this is).
        usleep(300_000)
        // On a helper thread: a resolve that missed the stop would hold stop() for an hour,
        // and this thread must see that (30 s guard) instead of hanging with it.
        let returned = Atomic<Bool>(false)
        Thread { inlet.stop(); returned.store(true, ordering: .releasing) }.start()
        #expect(Self.waitFor { returned.load(ordering: .acquiring) }, "stop() did not return within 30 s")
        #expect(inlet.isFinished)
    }
}
