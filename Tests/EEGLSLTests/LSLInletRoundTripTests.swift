import Foundation
import Glibc
import Testing
import EEGFormats
import TestSupport
@testable import EEGLSL

/// The marker inlet against EEGKit's own outlet in this process, on loopback: it finds
/// the stream, takes every marker with its timestamp, notices when the outlet goes and
/// finds the next one of that name.
@Suite("LSL marker inlet round trip", .serialized)
struct LSLInletRoundTripTests {
    /// Machine scope, KnownPeers loopback, a port range of its own, no discovery responder.
    static func configuration() -> LSLConfiguration {
        var configuration = LSLConfiguration()
        configuration.scope = .machine
        configuration.discoveryAddresses = []
        configuration.knownPeers = ["127.0.0.1"]
        configuration.basePort = 17000 + Int(getpid() % 400)
        configuration.portRange = 8
        configuration.multicastPort = 1
        return configuration
    }

    static func fastTimeouts() -> LSLInletTimeouts {
        var timeouts = LSLInletTimeouts()
        timeouts.resolve = 0.5
        timeouts.handshake = 1.5
        timeouts.maximumBackoff = 0.5
        return timeouts
    }

    /// Drains `inlet` until `done` holds for what came so far (30 s hang guard).
    static func collect(_ inlet: LSLMarkerInlet, into events: inout [LSLMarkerInlet.Event], until done: ([LSLMarkerInlet.Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            events += inlet.drain().events
            if done(events) { return true }
            usleep(10_000)
        }
        return false
    }

    static func markers(_ events: [LSLMarkerInlet.Event]) -> [(String, Double)] {
        events.compactMap { if case .marker(let values, let t, _) = $0 { (values[0], t) } else { nil } }
    }

    @Test("markers arrive with their timestamps; the stream lost and found again")
    func roundTrip() throws {
        let configuration = Self.configuration()
        let service = try LSLService(configuration: configuration)
        defer { service.stop() }
        let name = "inlet-test-\(getpid())"
        let info = StreamInfo(name: name, type: "Markers", channelCount: 1, nominalRate: 0, channelFormat: .string, sourceID: "src")
        var outlet = try service.addOutlet(info, format: .string)
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: Self.fastTimeouts())
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        #expect(Self.collect(inlet, into: &events) { $0.contains { if case .connected = $0 { true } else { false } } })
        // The feed is open: what is pushed now reaches the inlet.
        let base = LSLClock.now()
        for i in 0..<5 { outlet.push("m\(i)", timestamp: base + Double(i)); outlet.publish() }
        #expect(Self.collect(inlet, into: &events) { Self.markers($0).count == 5 })
        for (i, (text, timestamp)) in Self.markers(events).enumerated() {
            #expect(text == "m\(i)")
            // Same clock on both ends: the correction is the time service's error, well under 1 ms here.
            #expect(abs(timestamp - (base + Double(i))) < 0.001)
        }
        outlet.close()
        #expect(Self.collect(inlet, into: &events) { $0.contains { if case .lost = $0 { true } else { false } } })
        outlet = try service.addOutlet(info, format: .string)
        events.removeAll()
        #expect(Self.collect(inlet, into: &events) { $0.contains { if case .connected = $0 { true } else { false } } })
        outlet.push("again", timestamp: base + 10)
        outlet.publish()
        #expect(Self.collect(inlet, into: &events) { Self.markers($0).map(\.0) == ["again"] })
    }
}

/// The marker inlet against outlets that misbehave (``FakeLSLOutlet``): each gives one
/// warning that says what was wrong, the inlet keeps retrying, and nothing traps or hangs.
@Suite("LSL marker inlet against hostile outlets", .serialized)
struct LSLInletHostileTests {
    @Test("each hostile outlet is refused with its reason", arguments: [
        (FakeLSLOutlet.Behaviour.endlessHeader, "reply header is larger than"),
        (.hugeString, "a marker string of 1099511627776 bytes"),
        (.silent, "sent no reply header in time"),
        (.wrongPatterns, "test-pattern samples are wrong"),
        (.badTag, "starts with tag 9"),
    ])
    func hostile(behaviour: FakeLSLOutlet.Behaviour, reason: String) throws {
        var configuration = LSLInletRoundTripTests.configuration()
        configuration.basePort += 100
        configuration.portRange = 1
        let name = "hostile-inlet-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: behaviour, udpPort: configuration.basePort)
        defer { fake.stop() }
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: LSLInletRoundTripTests.fastTimeouts())
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        let warned = LSLInletRoundTripTests.collect(inlet, into: &events) { $0.contains { if case .warning = $0 { true } else { false } } }
        #expect(warned)
        let warnings = events.compactMap { if case .warning(let text) = $0 { text } else { nil } }
        #expect(warnings.first?.contains(reason) == true, "\(warnings)")
        #expect(warnings.first?.contains("'\(name)' at 127.0.0.1:\(fake.tcpPort)") == true, "\(warnings)")
        #expect(!events.contains { if case .marker = $0 { true } else { false } })
        // It retries (with backoff), and repeats no identical warning: the third connection
        // comes only after the second attempt failed (and would have warned).
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { _ in fake.connections >= 3 })
        events += inlet.drain().events
        #expect(events.count { if case .warning = $0 { true } else { false } } == 1)
    }

    @Test("markers sent before a protocol fault in the same segment are delivered, then the feed ends with the fault")
    func markersBeforeFault() throws {
        var configuration = LSLInletRoundTripTests.configuration()
        configuration.basePort += 120
        configuration.portRange = 1
        let name = "fault-inlet-\(getpid())"
        let fake = try FakeLSLOutlet(name: name, behaviour: .markersThenBadTag, udpPort: configuration.basePort)
        defer { fake.stop() }
        let inlet = LSLMarkerInlet(name: name, configuration: configuration, timeouts: LSLInletRoundTripTests.fastTimeouts())
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        #expect(LSLInletRoundTripTests.collect(inlet, into: &events) { $0.contains { if case .lost = $0 { true } else { false } } })
        #expect(LSLInletRoundTripTests.markers(events).prefix(2).map(\.0) == ["m0", "m1"], "\(events)")
        let lost = events.compactMap { if case .lost(let why) = $0 { why } else { nil } }
        #expect(lost.first == LSLInletError(.badTag(9)).description, "\(events)")
    }
}
