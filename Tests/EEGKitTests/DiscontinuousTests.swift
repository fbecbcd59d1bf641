import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// EDF+D: records placed by their time-keeping annotations, gaps never stitched.
@Suite("EDF+D (discontinuous) files", .serialized)
struct DiscontinuousTests {
    /// Four 1 s records of one 100 Hz channel starting at 0, 1, 5 and 6 s (a 3 s gap
    /// before record 2), and a marker at 1.5 s, built byte by byte per the EDF+ spec.
    static func handBuilt() throws -> String {
        var f = HostileEDF()
        f.reserved = "EDF+D"
        f.recordCount = "4"
        f.signals[0].samplesPerRecord = "100"
        let starts = [0, 1, 5, 6]
        f.annotationBytes = { r in
            Array("+\(starts[r])\u{14}\u{14}\u{0}".utf8) + (r == 1 ? Array("+1.5\u{14}marker\u{14}\u{0}".utf8) : [])
        }
        return try f.write()
    }

    static func checkTimeline(_ reader: EDFReader) throws {
        #expect(reader.header.isDiscontinuous)
        let gaps = reader.gaps
        #expect(gaps.count == 1)
        #expect(gaps.first?.record == 2)
        // Records 0–1 cover samples 0–199 at 100 Hz; record 2 starts at 5 s = sample 500.
        #expect(gaps.first?.missing == FrameGap(frames: 300, beforeSampleIndex: 500, cause: .notRecorded))
        #expect(gaps.first.map { [$0.from, $0.to, $0.seconds] } == [2, 5, 3])
        #expect((0..<4).map(reader.recordStart) == [0, 1, 5, 6])
        #expect((0..<4).map(reader.recordFirstSample) == [0, 100, 500, 600])
        #expect(reader.endTime == 7 && reader.duration == 4)
        let annotations = try reader.allAnnotations()
        #expect(annotations == [Annotation(onset: 1.5, text: "marker")])
    }

    @Test("the reader takes each record's start from its time-keeping annotation")
    func reader() throws {
        try Self.checkTimeline(try EDFReader(path: try Self.handBuilt()))
    }

    @Test("an EDF+D file written by edfio (an independent writer) has the same timeline")
    func writtenByEdfio() throws {
        let source = try Self.handBuilt()
        let rewritten = scratchPath("edf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", InteropTests.script.replacingOccurrences(of: "read_edf.py", with: "rewrite_edf.py"), source, rewritten]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let seen = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if errors.contains("No module named") && ProcessInfo.processInfo.environment["CI"] != "true" {
                print("skipped: edfio is not installed (make test installs it)")
                return
            }
            Issue.record("edfio failed: \(errors)")
            return
        }
        // edfio read the hand-built file as we do…
        #expect(String(decoding: seen, as: UTF8.self) == "[[1.5, \"marker\"]]")
        // …and what it wrote is EDF+D with the same records and gap.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: rewritten))
        #expect(String(decoding: bytes[192..<197], as: UTF8.self) == "EDF+D")
        try Self.checkTimeline(try EDFReader(path: rewritten))
    }

    @Test("info lists the gap")
    func info() throws {
        let run = try EEGProcess(["info", try Self.handBuilt()])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("EDF+D"))
        #expect(run.stdout.contains("discontinuous: records span 0.000 s to 7.000 s with 1 gap\n"))
        #expect(run.stdout.contains("gap before record 2: 2.000 s → 5.000 s (3.000 s)\n"))
        let json = try EEGProcess(["info", try Self.handBuilt(), "--json"])
        #expect(json.stdout.contains("\"gaps\": [{\"before_record\": 2, \"from_s\": 2.0, \"to_s\": 5.0, \"seconds\": 3.0}], \"gaps_total\": 1"))
    }

    @Test("replay jumps the sample index over the gap instead of stitching")
    func replay() throws {
        let run = try EEGProcess(["replay", try Self.handBuilt(), "--speed", "max", "--emit", "samples", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let indices = run.stdout.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[0]) }
        #expect(indices == Array(0..<200) + Array(500..<700))
        // --from inside the gap starts at the first record after it.
        let from = try EEGProcess(["replay", try Self.handBuilt(), "--speed", "max", "--emit", "samples", "--format", "csv", "--from", "3", "--to", "5.5"])
        #expect(from.stdout.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[0]) } == Array(500..<550))
    }

    @Test("analyze rejects an epoch across the gap and times epochs by the records' starts")
    func analyze() throws {
        let path = try Self.handBuilt()
        var options = AnalysisOptions()
        options.segmentSeconds = 1
        options.epochSeconds = 2
        var analysis = try FileAnalyzer(options: options).analyze(path: path)
        #expect(analysis.epochs.map(\.start) == [0, 5])
        #expect(analysis.epochs.allSatisfy { !$0.rejectionReasons.contains("gap in the recording (EDF+D)") })
        #expect(analysis.gaps.count == 1)
        options.epochSeconds = 3
        analysis = try FileAnalyzer(options: options).analyze(path: path)
        #expect(analysis.epochs.count == 1)
        #expect(analysis.epochs[0].rejectionReasons.contains("gap in the recording (EDF+D)"))
    }

    @Test("bandpower refuses to stitch an EDF+D file")
    func bandpower() throws {
        let run = try EEGProcess(["bandpower", "--input", try Self.handBuilt()])
        #expect(run.status == 65)
        #expect(run.stderr.contains("is discontinuous (EDF+D) with 1 gap, the first of 3.0 s before data record 2"), "\(run.stderr)")
    }

}

/// The strict TAL parser still reads what other tools write.
@Suite("Files other tools write, read by EEGKit")
struct OtherToolsFileTests {
    @Test("pyedflib (EDF+, BDF+) and edfio (EDF+) files: annotations with durations and UTF-8 text")
    func annotations() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-tools-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", InteropTests.script.replacingOccurrences(of: "read_edf.py", with: "write_edf.py"), dir]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if errors.contains("No module named") && ProcessInfo.processInfo.environment["CI"] != "true" {
                print("skipped: pyedflib/edfio are not installed (make test installs them)")
                return
            }
            Issue.record("the writer script failed: \(errors)")
            return
        }
        let expected: [(String, [Annotation])] = [
            ("pyedflib.edf", [Annotation(onset: 1.25, text: "eyes closed"), Annotation(onset: 3.5, duration: 2, text: "blink ünïcode")]),
            ("pyedflib.bdf", [Annotation(onset: 0.5, text: "start")]),
            ("edfio.edf", [Annotation(onset: 2, text: "marker"), Annotation(onset: 4, duration: 1.5, text: "x")]),
        ]
        for (name, annotations) in expected {
            let reader = try EDFReader(path: dir + "/" + name)
            #expect(try reader.allAnnotations() == annotations, "\(name)")
            #expect(reader.sampleRate == 256 && reader.duration == 10 && reader.problems.isEmpty, "\(name): \(reader.problems)")
            #expect(reader.gaps.isEmpty)
        }
    }
}
