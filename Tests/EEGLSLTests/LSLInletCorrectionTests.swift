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
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: timeouts)
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events, until: Self.connected))
        #expect(Self.waitFor { fake.probes.held == 8 }, "\(fake.probes)")
        // The re-measurement waits for its answers; the feed goes on being read.
        fake.send("during", timestamp: 1000)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.marker("during", in: $0) != nil })
        let during = try #require(Self.marker("during", in: events))
        #expect(abs(during.timestamp - 900) < 0.01 && during.corrected, "\(during)")
        // Answered now, from a clock 200 s ahead: the marker sent after the answers is
        // stamped with what they measured (a blocking measurement gave up before).
        fake.clockOffset = 200
        fake.holdProbesAfter = nil
        fake.answerHeldProbes()
        fake.send("after", timestamp: 1000)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.marker("after", in: $0) != nil })
        let after = try #require(Self.marker("after", in: events))
        #expect(abs(after.timestamp - 800) < 0.01 && after.corrected, "\(after)")
    }

    @Test("no time service answering: markers come marked uncorrected, on the outlet's own clock")
    func uncorrected() throws {
        let configuration = Self.configuration(1), name = "corr-none-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: nil)
        defer { fake.stop() }
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: LSLInletRoundTripTests.fastTimeouts())
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events, until: Self.connected))
        fake.send("raw", timestamp: 42)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.marker("raw", in: $0) != nil })
        let raw = try #require(Self.marker("raw", in: events))
        #expect(raw.timestamp == 42 && !raw.corrected, "\(raw)")
    }

    @Test("the correction measured for a host is kept when a later connection to it cannot measure one")
    func keptAcrossReconnection() throws {
        let configuration = Self.configuration(2), name = "corr-keep-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markers, udpPort: configuration.basePort, clockOffset: 100)
        defer { fake.stop() }
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: LSLInletRoundTripTests.fastTimeouts())
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events, until: Self.connected))
        fake.send("first", timestamp: 1000)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.marker("first", in: $0) != nil })
        // The service stops answering and the connection drops: the inlet reconnects.
        fake.clockOffset = nil
        let accepted = fake.connections
        fake.hangUp()
        events.removeAll()
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.connected($0) && fake.connections > accepted })
        fake.send("second", timestamp: 1000)
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { Self.marker("second", in: $0) != nil })
        let second = try #require(Self.marker("second", in: events))
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
