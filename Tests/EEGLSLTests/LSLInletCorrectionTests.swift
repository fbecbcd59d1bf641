import Foundation
import Glibc
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

    /// The marker events with `text`: timestamp and whether it was corrected.
    static func marker(_ text: String, in events: [LSLMarkerInlet.Event]) -> (timestamp: Double, corrected: Bool)? {
        for event in events { if case .marker(let values, let timestamp, let corrected) = event, values == [text] { return (timestamp, corrected) } }
        return nil
    }

    /// `fake` sends marker `text` stamped `timestamp`; what the inlet made of it (30 s hang guard).
    static func roundTrip(_ text: String, at timestamp: Double, from fake: FakeLSLOutlet, to inlet: LSLMarkerInlet,
                          events: inout [LSLMarkerInlet.Event]) throws -> (timestamp: Double, corrected: Bool) {
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
        #expect(abs(during.timestamp - 900) < 0.01 && during.corrected, "\(during)")
        // Answered now, from a clock 200 s ahead: the marker sent after the answers is
        // stamped with what they measured (a blocking measurement gave up before).
        fake.clockOffset = 200
        fake.holdProbesAfter = nil
        fake.answerHeldProbes()
        let after = try Self.roundTrip("after", at: 1000, from: fake, to: inlet, events: &events)
        #expect(abs(after.timestamp - 800) < 0.01 && after.corrected, "\(after)")
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
        #expect(raw.timestamp == 42 && !raw.corrected, "\(raw)")
    }

    @Test("the correction measured for a host is kept when a later connection to it cannot measure one")
    func keptAcrossReconnection() throws {
        let configuration = Self.configuration(2), name = "corr-keep-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: 100)
        defer { fake.stop() }
        var events: [LSLMarkerInlet.Event] = []
        let inlet = Self.connectedInlet(name, configuration, LSLInletRoundTripTests.fastTimeouts(), events: &events)
        defer { inlet.stop() }
        #expect(try Self.roundTrip("first", at: 1000, from: fake, to: inlet, events: &events).corrected)
        // The service stops answering and the connection drops: the inlet reconnects.
        fake.clockOffset = nil
        let accepted = fake.connections
        fake.hangUp()
        events.removeAll()
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.connected($0) && fake.connections > accepted })
        let second = try Self.roundTrip("second", at: 1000, from: fake, to: inlet, events: &events)
        #expect(abs(second.timestamp - 900) < 0.01 && second.corrected, "\(second)")
    }

    @Test("stop() returns only once the thread has ended, even in the middle of a long resolve")
    func stopWaitsForTheThread() throws {
        var timeouts = LSLInletTimeouts()
        timeouts.resolve = 60  // nobody offers the stream: one resolve would last a minute
        let inlet = LSLMarkerInlet(name: "nobody-\(getpid())", configuration: Self.configuration(3), timeouts: timeouts)
        inlet.start()
        // Let the thread get into its resolve (the assertion holds however long this is).
        usleep(300_000)
        inlet.stop()
        #expect(inlet.isFinished)
    }
}
