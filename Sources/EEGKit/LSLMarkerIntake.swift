import EEGCore
import EEGFormats
import EEGLSL
import Foundation

/// What `--markers-from-lsl NAME` asks for: markers from another program's LSL stream.
public struct LSLMarkerOptions: Sendable, Equatable {
    /// The marker stream's LSL name (`name='NAME'` in the query).
    public var name: String
    /// The environment the liblsl configuration is looked up in (LSLAPICFG, HOME).
    public var environment: [String: String]

    public init(name: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.name = name
        self.environment = environment
    }
}

/// Places the markers of an LSL marker stream at the samples they belong to: the inlet's
/// timestamps (on this machine's LSL clock after time correction) are mapped to device
/// sample indices through a de-jittered clock of the session's own batches (the same fit
/// the EEG outlet stamps samples with), and each marker waits until its sample has been
/// delivered, so it never lands past the recording's end.
///
/// Threading: the session's thread only. ``observe(lastIndex:arrival:)`` once per batch
/// (no allocation); ``take(delivered:)`` once per turn (allocates only when markers came).
final class LSLMarkerIntake {
    /// One thing for the session to do with what the inlet reported.
    enum Placement: Equatable {
        /// A marker: its text, the device sample index it belongs to, its LSL time.
        case marker(String, index: Int64, timestamp: Double)
        /// A note for the recording's current end and the person watching (found, lost).
        case note(String)
        /// Only for the person watching (an unusable outlet, a marker out of range).
        case warning(String)
    }

    let name: String
    let inlet: LSLMarkerInlet
    private var clock: DejitteredClock
    private var waiting: [(text: String, timestamp: Double)] = []
    private var wasConnected = false
    /// Whether this connection's markers were said to be uncorrected, or placed with a
    /// correction kept from an earlier connection (each once per connection), and how many
    /// markers in all came without a time correction (said at the end).
    private var saidUncorrected = false
    private var saidLastKnown = false
    private var uncorrectedMarkers = 0
    /// Whether the user was told the stream has not been found yet (once, after
    /// ``notFoundWarningSeconds`` of samples), and at the end that it never was.
    private var warnedNotFound = false
    private var notedNeverFound = false
    static let notFoundWarningSeconds = 10.0
    /// A marker more than this far ahead of the newest sample is placed at once (its
    /// source's clock is wrong, or it was stamped for later): markers never wait for ever.
    static let maximumWaitSeconds = 10.0
    static let maximumWaiting = 1024

    init(options: LSLMarkerOptions, nominalRate: Double) throws {
        let configuration = try LSLConfiguration.load(environment: options.environment)
        name = options.name
        inlet = LSLMarkerInlet(name: options.name, configuration: configuration)
        clock = DejitteredClock(nominalRate: nominalRate)
        inlet.start()
    }

    deinit { inlet.stop() }

    /// One delivered batch: its newest sample's index, seen at `arrival` (LSL clock).
    func observe(lastIndex: Int64, arrival: Double) {
        clock.observe(index: lastIndex, arrival: arrival)
    }

    /// The device sample index whose timestamp is nearest `time` (LSL clock), from the
    /// newest stamped sample `reference` and the fitted rate; nil before the first batch or
    /// for a time absurdly far (over a day) from the recording.
    func sampleIndex(at time: Double, reference: Int64) -> Int64? {
        guard let stamped = clock.timestamp(of: reference) else { return nil }
        let offset = ((time - stamped) * clock.estimatedRate).rounded()
        guard offset.isFinite, abs(offset) <= 86_400 * clock.nominalRate else { return nil }
        return reference + Int64(offset)
    }

    /// What the inlet reported since the last turn, and markers whose sample has now been
    /// delivered (`delivered`: the newest delivered index, nil before the first).
    func take(delivered: Int64?) -> [Placement] {
        let (events, dropped) = inlet.drain()
        return place(events, dropped: dropped, delivered: delivered)
    }

    /// At the recording's end: what ``take(delivered:)`` gives, then every marker still
    /// waiting for a sample that will never come, placed at the last sample with a warning
    /// that says so (none is dropped silently).
    func takeAll(delivered: Int64?) -> [Placement] {
        var placements = take(delivered: delivered)
        for marker in waiting {
            let note = "LSL marker '\(marker.text.prefix(40))' is stamped after the recording's last sample"
            if let delivered {
                placements.append(.warning(note + ": placed at its end"))
                placements.append(.marker(marker.text, index: delivered, timestamp: marker.timestamp))
            } else {
                placements.append(.warning(note + " (no sample was recorded): not stored"))
            }
        }
        waiting.removeAll()
        if uncorrectedMarkers > 0 {
            placements.append(.note("\(uncorrectedMarkers) LSL marker\(uncorrectedMarkers == 1 ? "" : "s") from '\(name)' placed by the outlet's own clock: no time correction could be measured"))
            uncorrectedMarkers = 0
        }
        if !wasConnected && !notedNeverFound {
            notedNeverFound = true
            placements.append(.note("LSL marker stream '\(name)' was never found: no markers were taken from it"))
        }
        return placements
    }

    /// Counts a marker that came without a time correction; the first of a connection is
    /// also said, in the recording and to the person watching (its clock may be far off).
    /// The first of a connection placed with a correction kept from an earlier one is said
    /// too (the inlet drops a kept one that is evidently stale, but cannot prove it fresh).
    private func noteCorrection(_ correction: LSLMarkerInlet.Correction) -> [Placement] {
        switch correction {
        case .measured: return []
        case .lastKnown:
            guard !saidLastKnown else { return [] }
            saidLastKnown = true
            return [.note("LSL marker stream '\(name)': its time service did not answer on this connection: its markers are placed with the correction last measured for its host")]
        case .uncorrected:
            uncorrectedMarkers += 1
            guard !saidUncorrected else { return [] }
            saidUncorrected = true
            return [.note("LSL marker stream '\(name)': no time correction could be measured (its time service did not answer): its markers are placed by its own clock")]
        }
    }

    /// ``take(delivered:)`` for events already drained (tests feed it directly).
    func place(_ events: [LSLMarkerInlet.Event], dropped: Int, delivered: Int64?) -> [Placement] {
        var placements: [Placement] = []
        for event in events {
            switch event {
            case .marker(let values, let timestamp, let correction):
                placements += noteCorrection(correction)
                if waiting.count < Self.maximumWaiting { waiting.append((values.joined(separator: ", "), timestamp)) } else {
                    placements.append(.warning("LSL marker '\(values.joined(separator: ", ").prefix(40))' dropped: \(Self.maximumWaiting) markers already wait for their samples"))
                }
            case .connected(let host):
                placements.append(.note("LSL marker stream '\(name)' \(wasConnected ? "found again" : "found") (\(host.prefix(100)))"))
                wasConnected = true
                saidUncorrected = false
                saidLastKnown = false
            case .lost(let why): placements.append(.note("LSL marker stream '\(name)' lost: \(why)"))
            case .warning(let why): placements.append(.warning("LSL marker stream \(why)"))
            }
        }
        if dropped > 0 { placements.append(.warning("\(dropped) LSL marker events dropped: they came faster than the session took them")) }
        guard let delivered else { return placements }
        // A misspelt name or a scope that cannot reach the outlet must not pass unnoticed.
        if !wasConnected && !warnedNotFound && Double(delivered + 1) >= Self.notFoundWarningSeconds * clock.nominalRate {
            warnedNotFound = true
            placements.append(.warning("LSL marker stream '\(name)' not found after \(Int(Self.notFoundWarningSeconds)) s; still looking (check the name, and that lsl_api.cfg's scope reaches its program)"))
        }
        waiting.removeAll { marker in
            guard let index = sampleIndex(at: marker.timestamp, reference: delivered) else {
                placements.append(.warning("LSL marker '\(marker.text.prefix(40))' dropped: its time \(marker.timestamp) is nowhere near the recording"))
                return true
            }
            let ahead = Double(index - delivered) / clock.nominalRate
            guard index <= delivered || ahead > Self.maximumWaitSeconds else { return false }
            if index > delivered {
                placements.append(.warning("LSL marker '\(marker.text.prefix(40))' is stamped \(String(format: "%.1f", ahead)) s after the newest sample: placed at the newest"))
            }
            placements.append(.marker(marker.text, index: min(index, delivered), timestamp: marker.timestamp))
            return true
        }
        return placements
    }
}

extension LSLMarkerIntake {
    /// One session turn: every placement written where it goes — a marker as a marker
    /// annotation at its sample (the same kind `--markers-from-stdin` writes) and on
    /// EEGKit's own markers outlet with its own timestamp, a note at the recording's end,
    /// and a status line for each.
    /// `final`: the recording ends; markers still waiting are placed at its last sample.
    func apply(delivered: Int64?, recorder: Recorder?, sampleRate: Double, lsl: LSLPublisher?, final: Bool = false,
               annotateAtEnd: (AnnotationKind) -> Void, status: (String) -> Void) {
        write(final ? takeAll(delivered: delivered) : take(delivered: delivered), recorder: recorder, sampleRate: sampleRate, lsl: lsl,
              annotateAtEnd: annotateAtEnd, status: status)
    }

    /// ``apply(delivered:recorder:sampleRate:lsl:final:annotateAtEnd:status:)`` for
    /// placements already made (tests feed it directly).
    func write(_ placements: [Placement], recorder: Recorder?, sampleRate: Double, lsl: LSLPublisher?,
               annotateAtEnd: (AnnotationKind) -> Void, status: (String) -> Void) {
        for placement in placements {
            switch placement {
            case .marker(let text, let index, let timestamp):
                lsl?.markers.push(AnnotationCodec.text(for: .marker(text)), timestamp: timestamp)
                lsl?.markers.publish()
                // Shown shortened: a marker may be up to 64 KiB (the file keeps all of it).
                let shown = text.count > 120 ? text.prefix(120) + "…" : Substring(text)
                // Before this file's first sample (stamped before the recording started or
                // was switched to a new file): not moved to its start, but the file says so there.
                if let recorder, let origin = recorder.originIndex, index < origin {
                    recorder.annotate(.note("LSL marker '\(text.prefix(40))' at sample \(index), before this file's first sample \(origin): not stored"),
                                      atSampleIndex: origin, sampleRate: sampleRate)
                    status("LSL marker at sample \(index): \(shown) (not stored: before this recording's first sample, \(origin))")
                    continue
                }
                let storage = recorder?.annotate(.marker(text), atSampleIndex: index, sampleRate: sampleRate)
                status("LSL marker at sample \(index): \(shown)" + (storage == .dropped ? " (not stored: annotations are coming faster than the file can store them)" : ""))
            case .note(let text):
                annotateAtEnd(.note(text))
                status(text)
            case .warning(let text):
                status(text)
            }
        }
    }

    /// One delivered batch's newest sample, seen now.
    func observe(lastIndex: Int64) { observe(lastIndex: lastIndex, arrival: LSLClock.now()) }
}
