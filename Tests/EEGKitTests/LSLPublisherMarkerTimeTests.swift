import Foundation
import Glibc
import Testing
import EEGCore
import TestSupport
@testable import EEGKit
@testable import EEGLSL

/// A marker published before the session's first sample (a marker typed or a device
/// event while the device is still starting) is stamped with the first sample's time,
/// as an XDF recording of the same session places it (at its start) — not with the
/// moment it was typed, which the recording cannot know.
@Suite("LSL publisher: markers before the first sample", .serialized)
struct LSLPublisherMarkerTimeTests {
    @Test("a marker before the first sample takes the first sample's timestamp")
    func markerBeforeFirstSample() throws {
        var options = LSLOptions(sourceID: "eegkit-early-marker-\(getpid())")
        options.name = "EEGKit-early-\(getpid())"
        options.environment = ["LSLAPICFG": LSLInterop.configuration]
        let layout = StreamLayout(labels: ["ch1"], sampleRate: 250, fullScale: 187_500, source: "test")
        let clock = SessionClock(nominalRate: 250)
        let publisher = try LSLPublisher(options: options, streams: .make(layout: layout, name: options.name, sourceID: options.sourceID, hopSeconds: 0.5),
                                         clock: clock)
        let configuration = try LSLConfiguration.load(environment: options.environment)
        let inlet = LSLMarkerInlet(name: options.name + "-markers", configuration: configuration)
        inlet.start()
        defer { inlet.stop() }
        var events: [LSLMarkerInlet.Event] = []
        func collect(until done: ([LSLMarkerInlet.Event]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                events += inlet.drain().events
                if done(events) { return true }
                usleep(10_000)
            }
            return false
        }
        #expect(collect { $0.contains { if case .connected = $0 { true } else { false } } }, "the inlet never connected")
        publisher.publish(marker: "early")
        // One second of samples arrives now: sample 0 is stamped about 1 s before this
        // moment, so a marker stamped when it was published would be ~1 s late.
        let count = 250
        clock.observe(newestIndex: Int64(count - 1))
        let samples = [Float](repeating: 0, count: count), indices = (0..<count).map(Int64.init)
        samples.withUnsafeBufferPointer { s in indices.withUnsafeBufferPointer { publisher.publish(samples: s, indices: $0, channels: 1) } }
        let firstSample = clock.timestamp(of: 0)
        #expect(LSLClock.now() - firstSample > 0.9, "the test's premise: sample 0 lies ~1 s back")
        #expect(collect { $0.contains { if case .marker = $0 { true } else { false } } }, "the marker never arrived")
        let stamps = events.compactMap { if case .marker(let values, let timestamp, _) = $0, values == ["early"] { timestamp } else { nil } }
        #expect(stamps.count == 1)
        // The inlet adds its measured time correction (~0 here, within its round trip).
        #expect(abs((stamps.first ?? 0) - firstSample) < 0.1, "stamped \(String(format: "%.4f", (stamps.first ?? 0) - firstSample)) s from the first sample")
    }
}
