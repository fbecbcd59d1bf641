import Foundation
import Testing
import TestSupport
import EEGLSL
import EEGCore
import EEGFormats
@testable import EEGKit

/// Where the marker intake puts markers, given batch arrivals on a known clock: the
/// sample whose time a marker carries, once that sample has been delivered.
@Suite("LSL marker placement")
struct LSLMarkerIntakeTests {
    /// An intake whose inlet looks only on loopback for a stream nobody offers.
    static func intake() throws -> LSLMarkerIntake {
        let options = LSLMarkerOptions(name: "nobody-\(getpid())", environment: ["LSLAPICFG": LSLInterop.configuration])
        return try LSLMarkerIntake(options: options, nominalRate: 250)
    }

    @Test("a marker at a sample's time lands on it; a later one waits for its sample; notes for found/lost")
    func placement() throws {
        let intake = try Self.intake()
        defer { intake.inlet.stop() }
        // Batches of 250 samples arriving exactly once a second: sample i is at 10 + i/250 s.
        for second in 1...4 { intake.observe(lastIndex: Int64(second * 250 - 1), arrival: 10 + Double(second * 250 - 1) / 250) }
        let timeA: Double = 10 + 300.0 / 250, timeB: Double = 10 + 1100.0 / 250
        var events: [LSLMarkerInlet.Event] = [.connected(host: "lab-pc"), .marker(values: ["a"], timestamp: timeA)]
        events += [.marker(values: ["b", "2"], timestamp: timeB), .lost("gone"), .connected(host: "lab-pc")]
        let first = intake.place(events, dropped: 0, delivered: 999)
        let stream = "LSL marker stream 'nobody-\(getpid())'"
        var expected: [LSLMarkerIntake.Placement] = [.note("\(stream) found (lab-pc)"), .note("\(stream) lost: gone")]
        expected += [.note("\(stream) found again (lab-pc)"), .marker("a", index: 300, timestamp: timeA)]
        #expect(first == expected)
        // "b" belongs to sample 1100, not delivered yet: it waits, then lands there.
        intake.observe(lastIndex: 1249, arrival: 10 + 1249.0 / 250)
        let later: [LSLMarkerIntake.Placement] = [.marker("b, 2", index: 1100, timestamp: timeB)]
        #expect(intake.place([], dropped: 0, delivered: 1249) == later)
    }

    @Test("markers far ahead are placed at the newest sample, absurd times dropped, each with a warning")
    func outOfRange() throws {
        let intake = try Self.intake()
        defer { intake.inlet.stop() }
        #expect(intake.place([.marker(values: ["early"], timestamp: 5)], dropped: 2, delivered: nil)
                == [.warning("2 LSL marker events dropped: they came faster than the session took them")])
        intake.observe(lastIndex: 249, arrival: 10 + 249.0 / 250)
        let placed = intake.place([.marker(values: ["later"], timestamp: 60), .marker(values: ["absurd"], timestamp: 1e300)], dropped: 0, delivered: 249)
        #expect(placed.contains(.marker("early", index: -1250, timestamp: 5)))
        #expect(placed.contains(.marker("later", index: 249, timestamp: 60)))
        #expect(placed.contains { if case .warning(let w) = $0 { w.hasPrefix("LSL marker 'later' is stamped") } else { false } })
        #expect(placed.contains { if case .warning(let w) = $0 { w.hasPrefix("LSL marker 'absurd' dropped") } else { false } })
    }

    @Test("at the end, markers still waiting for their sample are placed at the last one, with a warning")
    func pendingAtEnd() throws {
        let intake = try Self.intake()
        defer { intake.inlet.stop() }
        intake.observe(lastIndex: 249, arrival: 10 + 249.0 / 250)
        // 2 s after the last sample: it waits (its sample may still come)...
        #expect(intake.place([.marker(values: ["next flip"], timestamp: 13)], dropped: 0, delivered: 249).isEmpty)
        // ...until the recording ends.
        let final = intake.takeAll(delivered: 249)
        #expect(final == [.warning("LSL marker 'next flip' is stamped after the recording's last sample: placed at its end"),
                          .marker("next flip", index: 249, timestamp: 13),
                          .note("LSL marker stream 'nobody-\(getpid())' was never found: no markers were taken from it")])
        #expect(intake.takeAll(delivered: 249).isEmpty)
    }

    @Test("a stream never found is said: once after 10 s of samples while looking, and as a note at the end")
    func neverFound() throws {
        let intake = try Self.intake()
        defer { intake.inlet.stop() }
        let stream = "LSL marker stream 'nobody-\(getpid())'"
        #expect(intake.place([], dropped: 0, delivered: 2_498).isEmpty)
        #expect(intake.place([], dropped: 0, delivered: 2_499)
                == [.warning("\(stream) not found after 10 s; still looking (check the name, and that lsl_api.cfg's scope reaches its program)")])
        #expect(intake.place([], dropped: 0, delivered: 5_000).isEmpty)
        #expect(intake.takeAll(delivered: 5_000) == [.note("\(stream) was never found: no markers were taken from it")])
        // Found once: no such note.
        let found = try Self.intake()
        defer { found.inlet.stop() }
        _ = found.place([.connected(host: "lab-pc"), .lost("gone")], dropped: 0, delivered: 2_499)
        #expect(found.takeAll(delivered: 5_000).isEmpty)
    }
}

/// What the intake writes: markers in the recording at their samples, except one before
/// the file's first sample (a recording switched to a new file), and the notes saying
/// that markers came without a time correction.
@Suite("LSL marker writing")
struct LSLMarkerWritingTests {
    @Test("a marker before the file's first sample is not moved to its start: not stored, and said")
    func beforeTheFile() throws {
        let intake = try LSLMarkerIntakeTests.intake()
        defer { intake.inlet.stop() }
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = StreamLayout(labels: ["C3"], sampleRate: 250, fullScale: 1000, source: "test")
        // A new file begun at device sample 1000 (the previous file held the samples before).
        let recorder = try Recorder(options: RecordingOptions(path: path), layout: layout)
        recorder.begin(atSampleIndex: 1000)
        var samples = [Float](repeating: 0, count: 500)
        let indices = (1000..<1500).map(Int64.init), drops = [UInt32](repeating: 0, count: 500)
        try samples.withUnsafeMutableBufferPointer { s in
            try indices.withUnsafeBufferPointer { i in try drops.withUnsafeBufferPointer { try recorder.store(s, indices: i, droppedBefore: $0) } }
        }
        var lines: [String] = []
        intake.write([.marker("old", index: 900, timestamp: 1), .marker("new", index: 1100, timestamp: 2)], recorder: recorder, sampleRate: 250, lsl: nil,
                     annotateAtEnd: { _ in }, status: { lines.append($0) })
        try recorder.close()
        #expect(lines == ["LSL marker at sample 900: old (not stored: before this recording's first sample, 1000)", "LSL marker at sample 1100: new"])
        let annotations = try EDFReader(path: path).allAnnotations()
        let markers = annotations.filter { $0.text.hasPrefix("Marker: ") }
        #expect(markers.map(\.text) == ["Marker: new"])
        #expect(abs((markers.first?.onset ?? -1) - 0.4) < 1e-9)
        // The file says what it does not hold, at its first sample.
        let note = annotations.first { $0.text == "LSL marker 'old' at sample 900, before this file's first sample 1000: not stored" }
        #expect(note?.onset == 0, "\(annotations.map(\.text))")
    }

    @Test("markers without a time correction: said once per connection when the first comes, counted at the end")
    func uncorrectedNotes() throws {
        let intake = try LSLMarkerIntakeTests.intake()
        defer { intake.inlet.stop() }
        let stream = "LSL marker stream 'nobody-\(getpid())'"
        intake.observe(lastIndex: 249, arrival: 10 + 249.0 / 250)
        let said = LSLMarkerIntake.Placement.note("\(stream): no time correction could be measured (its time service did not answer): its markers are placed by its own clock")
        let first = intake.place([.connected(host: "far"), .marker(values: ["a"], timestamp: 10.2, correction: .uncorrected),
                                  .marker(values: ["b"], timestamp: 10.4, correction: .uncorrected)], dropped: 0, delivered: 249)
        #expect(first == [.note("\(stream) found (far)"), said, .marker("a", index: 50, timestamp: 10.2), .marker("b", index: 100, timestamp: 10.4)])
        // A new connection that cannot measure one either is said again; a corrected marker is not counted.
        let again = intake.place([.connected(host: "far"), .marker(values: ["c"], timestamp: 10.6, correction: .uncorrected),
                                  .marker(values: ["d"], timestamp: 10.8)], dropped: 0, delivered: 249)
        #expect(again == [.note("\(stream) found again (far)"), said, .marker("c", index: 150, timestamp: 10.6), .marker("d", index: 200, timestamp: 10.8)])
        // One placed with the correction kept from an earlier connection is said as such (once), not counted as uncorrected.
        let kept = intake.place([.connected(host: "far"), .marker(values: ["e"], timestamp: 10.9, correction: .lastKnown),
                                 .marker(values: ["f"], timestamp: 10.96, correction: .lastKnown)], dropped: 0, delivered: 249)
        #expect(kept == [.note("\(stream) found again (far)"),
                         .note("\(stream): its time service did not answer on this connection: its markers are placed with the correction last measured for its host"),
                         .marker("e", index: 225, timestamp: 10.9), .marker("f", index: 240, timestamp: 10.96)])
        #expect(intake.takeAll(delivered: 249) == [.note("3 LSL markers from 'nobody-\(getpid())' placed by the outlet's own clock: no time correction could be measured")])
    }
}
