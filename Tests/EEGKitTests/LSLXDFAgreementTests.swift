import EEGFormats
import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// The session's LSL outlets and its XDF recording describe and stamp the same streams
/// (one ``SessionStreamInfos``, one ``SessionClock``), checked through liblsl: pylsl's
/// full infos equal the XDF stream headers, a sample pulled by pylsl has the timestamp the
/// XDF holds for it; LabRecorder records EEGKit's own three outlets and pyxdf reads the
/// printed samples, the labels and the markers from its file. Loopback only (LSLAPICFG,
/// machine scope, in every process).
@Suite("LSL outlets and XDF agree", .serialized)
struct LSLXDFAgreementTests {
    typealias Child = LSLCommandTests.Child
    typealias Value = XDFInteropTests.Seen.Sample
    static let script = LSLInterop.repository.appendingPathComponent("Tests/interop/lsl_session.py").path

    struct Outlets: Decodable {
        struct Pulled: Decodable { let samples: [[Value]]; let timestamps: [Double] }
        let infos: [String: String]?
        let streams: [String: Pulled]?
        let error: String?
    }

    /// The fields that differ by definition between an outlet's full info and a recorded
    /// header (who serves it, where, since when) cleared.
    static func comparable(_ info: StreamInfo) -> StreamInfo {
        var info = info
        info.createdAt = 0
        info.uid = ""
        info.sessionID = ""
        info.hostname = ""
        (info.v4Address, info.v4DataPort, info.v4ServicePort) = ("", 0, 0)
        (info.v6Address, info.v6DataPort, info.v6ServicePort) = ("", 0, 0)
        return info
    }

    /// A numeric stream of the XDF file: values (float32) and timestamps, every chunk.
    static func numeric(_ reader: XDFReader, _ name: String) throws -> (values: [Float], stamps: [Double], channels: Int) {
        let stream = try #require(reader.streams.first { $0.info.name == name })
        var values: [Float] = [], stamps: [Double] = [], chunkValues: [Float] = [], chunkStamps: [Double] = [], last = 0.0
        for chunk in stream.chunks {
            try reader.decodeNumeric(chunk, of: stream, last: &last, values: &chunkValues, timestamps: &chunkStamps)
            values += chunkValues
            stamps += chunkStamps
        }
        return (values, stamps, stream.info.channelCount)
    }

    static func lastJSON(_ text: String) -> Data { Data((text.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8) }

    @Test("record --lsl --out s.xdf: the outlets' full infos equal the XDF headers; pulled samples carry their XDF timestamps")
    func outletsMatchXDF() throws {
        guard LSLInterop.available("outlets vs XDF") else { return }
        let name = "EEGKit-agree-\(getpid())"
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let inlet = try Child(LSLInterop.python, [Self.script, "outlets", name])
        #expect(inlet.wait(forLine: "resolving"))
        let eeg = try Child(EEGProcess.executable.path, ["record", "--out", path, "--lsl", "--lsl-name", name, "--seed", "3",
                                                         "--markers-from-stdin", "--duration", "7s"])
        #expect(inlet.wait(forLine: "ready"))
        eeg.write("stimulus A\n")
        let recorded = eeg.finish(), pulled = inlet.finish()
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(pulled.status == 0, "\(pulled.stderr.suffix(1500))")
        let outlets = try JSONDecoder().decode(Outlets.self, from: Self.lastJSON(pulled.stdout))
        #expect(outlets.error == nil, "\(outlets.error ?? "")")
        let infos = try #require(outlets.infos), streams = try #require(outlets.streams)
        let reader = try XDFReader(path: path)
        #expect(reader.streams.map(\.info.name) == [name, name + "-metrics", name + "-markers"])
        for stream in reader.streams {
            let served = try StreamInfo(xml: Array(try #require(infos[stream.info.name]).utf8))
            #expect(Self.comparable(served) == Self.comparable(stream.info), "\(stream.info.name): served \(served), recorded \(stream.info)")
        }
        #expect(reader.streams[1].info.channelFormat == .float32 && reader.streams[1].info.nominalRate == 4)

        // EEG: the pulled samples are a run of the recorded ones, each with its XDF timestamp, bit for bit.
        let recordedEEG = try Self.numeric(reader, name)
        let frames = stride(from: 0, to: recordedEEG.values.count, by: 8).map { Array(recordedEEG.values[$0..<($0 + 8)]) }
        let got = try #require(streams[name])
        let samples = got.samples.map { $0.map { $0.number.map { Float($0) } ?? .nan } }
        #expect(samples.count > 500, "pulled only \(samples.count) of \(frames.count)")
        let first = try #require(frames.firstIndex { $0 == samples.first })
        #expect(Array(frames[first...].prefix(samples.count)) == samples)
        #expect(Array(recordedEEG.stamps[first...].prefix(samples.count)) == got.timestamps, "LSL and XDF timestamps differ")

        // Metrics: every sample pulled is in the file at the same timestamp with the same values.
        let recordedMetrics = try Self.numeric(reader, name + "-metrics")
        let gotMetrics = try #require(streams[name + "-metrics"])
        #expect(!gotMetrics.timestamps.isEmpty)
        for (row, stamp) in zip(gotMetrics.samples, gotMetrics.timestamps) {
            let at = try #require(recordedMetrics.stamps.firstIndex(of: stamp), "metrics timestamp \(stamp) not in the file")
            let stored = recordedMetrics.values[(at * recordedMetrics.channels)..<((at + 1) * recordedMetrics.channels)]
            #expect(zip(row, stored).allSatisfy { pulled, stored in pulled.number.map { Float($0) == stored } ?? stored.isNaN })
        }

        // Markers: the one typed, at the same timestamp in both.
        let gotMarkers = try #require(streams[name + "-markers"])
        let markerStream = try #require(reader.streams.last)
        var last = 0.0
        let recordedMarkers = try markerStream.chunks.flatMap { try reader.decodeStrings($0, of: markerStream, last: &last) }
        let typed = try #require(recordedMarkers.first { $0.strings == ["Marker: stimulus A"] })
        #expect(gotMarkers.samples == [[.text("Marker: stimulus A")]] && gotMarkers.timestamps == [typed.timestamp])
    }

    @Test("--lsl that cannot serve its outlets leaves no recording file behind (exit 69, one error line)")
    func bindFailureLeavesNoFile() throws {
        let port = 17400 + Int(getpid() % 100)
        let cfg = scratchPath("cfg")
        // One port for TCP and one for UDP: the EEG outlet takes both, the metrics outlet finds none.
        try "[multicast]\nResolveScope = machine\n[ports]\nBasePort = \(port)\nPortRange = 1\nAllowRandomPorts = 0\nIPv6 = disable\n"
            .write(toFile: cfg, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cfg) }
        for ext in ["xdf", "bdf"] {
            let path = scratchPath(ext)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try ChildProcess(EEGProcess.executable.path, ["record", "--out", path, "--lsl", "--duration", "1s"], environment: ["LSLAPICFG": cfg])
            #expect(run.status == 69, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1, "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: path), "\(ext): a recording was left behind")
        }
    }
}

extension LSLXDFAgreementTests {
    @Test("LabRecorder records EEGKit's three outlets: pyxdf reads the printed samples, the labels, the markers; EEGKit reads the file alike")
    func labRecorderRecordsEEGKit() throws {
        guard LSLInterop.available("LabRecorder recording EEGKit") else { return }
        let name = "EEGKit-labrec-\(getpid())"
        let path = scratchPath("xdf"), own = scratchPath("bdf")
        defer { for p in [path, own] { try? FileManager.default.removeItem(atPath: p) } }
        // EEGKit first: LabRecorder looks its streams up once. Stopped with Ctrl-C once the
        // markers are in, so no fixed duration has to outlast LabRecorder's start.
        let eeg = try Child(EEGProcess.executable.path, ["record", "--out", own, "--lsl", "--lsl-name", name, "--seed", "6",
                                                         "--markers-from-stdin", "--emit", "samples", "--format", "csv"])
        let recorder = try Child(LSLInterop.python, [Self.script, "labrecorder", name, path])
        #expect(recorder.wait(forLine: "recording", seconds: 60))
        // Markers typed before the first sample would all take its time (as the recording
        // places them): wait until samples flow, so A and B keep their order in time.
        #expect(eeg.wait(forLinePrefix: "0,"), "no sample line from eeg record")
        usleep(500_000)
        eeg.write("stimulus A\n")
        usleep(500_000)
        eeg.write("stimulus B\n")
        usleep(1_000_000)
        eeg.process.interrupt()
        let printed = eeg.finish(), seen = recorder.finish()
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(seen.status == 0, "\(seen.stderr.suffix(2000))")
        let file = try JSONDecoder().decode(XDFInteropTests.Seen.self, from: Self.lastJSON(seen.stdout))
        #expect(Set(file.streams.map(\.name)) == [name, name + "-metrics", name + "-markers"])
        let stream = try #require(file.streams.first { $0.name == name })
        #expect(stream.format == "float32" && stream.rate == 250 && stream.labels == ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"])
        // The EEG LabRecorder got is a run of the printed samples (it joined after EEGKit started).
        let rows = printed.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().map { Float(String($0)) } }
        let samples = stream.samples.map { $0.map { $0.number.map { Float($0) } } }
        #expect(samples.count > 250, "LabRecorder got \(samples.count) samples")
        let first = try #require(rows.firstIndex { $0 == samples.first })
        #expect(Array(rows[first...].prefix(samples.count)) == samples)
        let metrics = try #require(file.streams.first { $0.name == name + "-metrics" })
        #expect(metrics.format == "float32" && metrics.labels == Metric.all.map(\.key))
        let markers = try #require(file.streams.first { $0.name == name + "-markers" })
        #expect(markers.samples.map { $0.first?.text } == ["Marker: stimulus A", "Marker: stimulus B"])
        // Each marker lies within the EEG LabRecorder recorded, B after A.
        let stamps = markers.timestamps
        #expect(stamps.count == 2 && stamps[0] < stamps[1])
        #expect(stamps.allSatisfy { $0 > stream.timestamps.first ?? .infinity && $0 < stream.timestamps.last ?? -.infinity })
        // EEGKit reads LabRecorder's file of its own outlets: the EEG stream (not the metrics), the same values.
        let ours = try XDFInteropTests.readWithEEGKit(path)
        #expect(ours.reader.labels == stream.labels)
        #expect(ours.frames == samples.flatMap { $0.map { $0 ?? .nan } })
        #expect(ours.annotations.map(\.kind) == [.marker("stimulus A"), .marker("stimulus B")])
    }
}
