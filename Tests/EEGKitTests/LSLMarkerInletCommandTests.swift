import Foundation
import Testing
import TestSupport
@testable import EEGKit
import EEGLSL

/// `eeg record --markers-from-lsl NAME` against liblsl's own outlet (pylsl), everything
/// on loopback under the machine-scope configuration, and against a hostile fake outlet.
@Suite("eeg --markers-from-lsl", .serialized)
struct LSLMarkerInletCommandTests {
    typealias Child = LSLCommandTests.Child
    static let source = LSLInterop.repository.appendingPathComponent("Tests/interop/lsl_marker_source.py").path

    struct Pushed: Decodable {
        struct Marker: Decodable { let text: String; let timestamp: Double; let values: [Double] }
        let markers: [Marker]?
        let error: String?
    }

    /// `eeg` with standard output and standard error both read as they come, so the test
    /// can wait for a line on either (machine-scope LSLAPICFG, as every test process).
    final class Recording: @unchecked Sendable {
        let process = Process()
        private let out = Pipe(), err = Pipe()
        private var data = [Data(), Data()]
        private let lock = NSLock()
        private let group = DispatchGroup()
        init(_ arguments: [String], configuration: String = LSLInterop.configuration) throws {
            process.executableURL = EEGProcess.executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["LSLAPICFG": configuration]) { $1 }
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            for (i, pipe) in [out, err].enumerated() {
                DispatchQueue.global().async(group: group) {
                    while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty { self.lock.withLock { self.data[i] += chunk } }
                }
            }
        }
        /// Waits (60 s hang guard) until standard error holds `count` lines starting with `prefix`.
        func wait(stderrLines count: Int, prefix: String) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            func seen() -> Int { lock.withLock { String(decoding: data[1], as: UTF8.self) }.split(separator: "\n").count { $0.hasPrefix(prefix) } }
            while Date() < deadline, process.isRunning, seen() < count { usleep(20_000) }
            return seen() >= count
        }
        /// Ctrl-C, then the finished run.
        func interrupt() -> (status: Int32, stdout: String, stderr: String) {
            process.interrupt()
            group.wait()
            process.waitUntilExit()
            return lock.withLock { (process.terminationStatus, String(decoding: data[0], as: UTF8.self), String(decoding: data[1], as: UTF8.self)) }
        }
    }

    /// The marker outlet starts after the recording and restarts in the middle of it; it
    /// stamps each marker with the LSL timestamp of an EEG sample EEGKit's own outlet sent,
    /// so the sample each must land on is known (its values are found in the printed
    /// samples). Tolerance ±1 sample: the inlet places markers by a de-jittered fit of the
    /// session's batch arrivals, and the EEG outlet stamps by another fit of the same
    /// arrivals taken a moment apart; with the time correction's error (~0.1 ms here) the
    /// two agree to well under a period (4 ms), so only a time near a half-period
    /// boundary can round to the neighbour.
    @Test("pylsl markers land at their samples: the outlet appears late, goes and comes back", arguments: ["bdf", "xdf"])
    func markersAtTheirSamples(format: String) throws {
        guard LSLInterop.available("eeg record --markers-from-lsl") else { return }
        let eegName = "EEGKit-mk-\(getpid())", markerName = "Triggers-\(getpid())"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-markers-\(getpid()).\(format)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        // EEGKit republishes them on its own markers outlet, read here by liblsl.
        let republished = try Child(LSLInterop.python, [LSLInterop.inletScript, "pylsl", eegName + "-markers", "100", "--type", "Markers",
                                                        "--timeout", "40", "--until-idle", "4"])
        #expect(republished.wait(forLine: "resolving"))
        let eeg = try Recording(["record", "--out", file, "--force", "--lsl", "--lsl-name", eegName,
                                                         "--markers-from-lsl", markerName, "--emit", "samples", "--format", "csv"])
        let source = try Child(LSLInterop.python, [Self.source, markerName, eegName, "4", "--restart", "--timeout", "40"])
        #expect(source.wait(forLine: "pushed", seconds: 120))
        // Stopped once all 8 markers were placed (not after a fixed time).
        #expect(eeg.wait(stderrLines: 8, prefix: "eeg: LSL marker at sample"))
        let recorded = eeg.interrupt(), pulled = republished.finish(), pushedRun = source.finish()
        #expect(pushedRun.status == 0, "\(pushedRun.stderr.suffix(1500))")
        #expect(recorded.status == 0, "\(recorded.stderr.suffix(1500))")
        let pushed = try JSONDecoder().decode(Pushed.self, from: Data((pushedRun.stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8))
        #expect(pushed.error == nil, "\(pushed.error ?? "")")
        let markers = try #require(pushed.markers)
        #expect(markers.map(\.text) == ["m0", "m1", "m2", "m3", "r0", "r1", "r2", "r3"])
        // The printed samples: index, then the values the EEG outlet sent.
        let rows = recorded.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let origin = try #require(rows.first.flatMap { Int64($0[0]) })
        // XDF: the markers stream, placed on the EEG stream's timeline by EEGKit's reader.
        let annotations = format == "xdf" ? try XDFRecording(path: file).annotations : try EDFReader(path: file).allAnnotations()
        for marker in markers {
            let values = marker.values.map(Float.init)
            let row = try #require(rows.first { $0.dropFirst().map { Float($0) } == values }, "\(marker.text): no printed sample has its values")
            let expected = Int64(row[0])! - origin
            let annotation = try #require(annotations.first { $0.text == "Marker: \(marker.text)" }, "\(marker.text) not in the file")
            let placed = Int64((annotation.onset * 250).rounded())
            print("LSL marker \(marker.text) (\(format)): placed at sample \(placed), expected \(expected)")
            #expect(abs(placed - expected) <= 1, "\(marker.text) at sample \(placed), expected \(expected)")
        }
        // Republished with the marker's own time, corrected. One machine, one clock: the
        // correction's error is at most half the round trip of its best probe (of 8) — under
        // 0.1 ms when quiet, but a best round trip of 5.5 ms (2.76 ms off) was seen under
        // ASan at load 7 on the 2-core box, where every probe can wait for a time slice. So
        // 10 ms: still half what a wrong time would give, as each marker is stamped with a
        // sample at least 5 samples (20 ms) older than the newest the script had pulled, so
        // republishing at its arrival time would be at least 20 ms late.
        let outlet = try JSONDecoder().decode(LSLPeerResult.self, from: Data((pulled.stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8))
        let republishedTexts = (outlet.samples ?? []).map { row -> String in if case .text(let t)? = row.first { t } else { "" } }, stamps = outlet.timestamps ?? []
        for marker in markers {
            let i = try #require(republishedTexts.firstIndex(of: "Marker: \(marker.text)"), "\(marker.text) not republished: \(republishedTexts)")
            print("LSL marker \(marker.text) (\(format)): republished \(String(format: "%+.3f", (stamps[i] - marker.timestamp) * 1000)) ms from its time")
            #expect(abs(stamps[i] - marker.timestamp) < 0.010, "\(marker.text): republished \(stamps[i] - marker.timestamp) s from its time")
        }
        let texts = annotations.map(\.text)
        #expect(texts.contains { $0.hasPrefix("LSL marker stream '\(markerName)' found (") })
        #expect(texts.contains { $0.hasPrefix("LSL marker stream '\(markerName)' lost: ") })
        #expect(texts.contains { $0.hasPrefix("LSL marker stream '\(markerName)' found again (") })
        #expect(recorded.stderr.contains("LSL marker at sample"))
    }

    /// A fake outlet on the first free UDP port from `base` (another suite of this run, or
    /// another person's tests on the machine, may hold one).
    static func fakeOutlet(_ name: String, _ behaviour: FakeLSLOutlet.Behaviour, base: Int, clockOffset: Double? = nil) throws -> FakeLSLOutlet {
        for port in base..<(base + 40) {
            if let fake = try? FakeLSLOutlet(name: name, behaviour: behaviour, udpPort: port, clockOffset: clockOffset) { return fake }
        }
        return try FakeLSLOutlet(name: name, behaviour: behaviour, udpPort: base + 40, clockOffset: clockOffset)
    }

    /// A machine-scope configuration reaching only the fake outlet on `port`, in `directory`.
    static func fakeConfiguration(port: Int, in directory: String) throws -> String {
        let configuration = directory + "/lsl_api.cfg"
        try "[multicast]\nResolveScope = machine\n[lab]\nKnownPeers = {127.0.0.1}\n[ports]\nBasePort = \(port)\nPortRange = 1\nIPv6 = disable\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        return configuration
    }

    /// A scratch directory for one test, removed by the caller.
    static func scratchDirectory(_ label: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-\(label)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("text from the network reaches the terminal with its control characters escaped, and the file as sent")
    func networkTextOnTheTerminal() throws {
        let name = "Controls-\(getpid())"
        // Clear of the ports other suites of this run take (17000–17700).
        let fake = try Self.fakeOutlet(name, .markers, base: 18000 + Int(getpid() % 300) * 2, clockOffset: 0)
        let port = fake.udpPort
        defer { fake.stop() }
        // ESC (clear screen, set the window title), CR, DEL and a C1 CSI: each would act on a terminal.
        fake.hostname = "lab\u{1B}]0;owned\u{7}pc"
        let text = "go\u{1B}[2J\rX\u{7F}\u{9B}31m"
        let directory = try Self.scratchDirectory("controls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/s.bdf"
        let eeg = try Recording(["record", "--out", file, "--markers-from-lsl", name], configuration: try Self.fakeConfiguration(port: port, in: directory))
        #expect(eeg.wait(stderrLines: 1, prefix: "eeg: LSL marker stream '\(name)' found ("))
        fake.send(text, timestamp: LSLClock.now())
        #expect(eeg.wait(stderrLines: 1, prefix: "eeg: LSL marker at sample"))
        let run = eeg.interrupt()
        #expect(run.status == 0, "\(run.stderr)")
        for control in ["\u{1B}", "\u{7}", "\r", "\u{7F}", "\u{9B}"] { #expect(!run.stderr.contains(control), "\(run.stderr.debugDescription)") }
        #expect(run.stderr.contains("found (lab\\x1B]0;owned\\x07pc)"), "\(run.stderr)")
        #expect(run.stderr.contains(": go\\x1B[2J\\x0DX\\x7F\\x9B31m\n"), "\(run.stderr)")
        // The file keeps the text as sent (EDF+ annotations hold any byte but their delimiters).
        let texts = try EDFReader(path: file).allAnnotations().map(\.text)
        #expect(texts.contains("Marker: " + text), "\(texts)")
        #expect(texts.contains("LSL marker stream '\(name)' found (lab\u{1B}]0;owned\u{7}pc)"), "\(texts)")
    }

    @Test("a hostile outlet: a warning naming what it did, no crash, the recording intact")
    func hostileOutlet() throws {
        let name = "Hostile-\(getpid())"
        let fake = try Self.fakeOutlet(name, .hugeString, base: 17600 + Int(getpid() % 300))
        let port = fake.udpPort
        defer { fake.stop() }
        let directory = try Self.scratchDirectory("hostile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try Self.fakeConfiguration(port: port, in: directory), file = directory + "/s.bdf"
        // Stopped once the warning came (however long the resolve and connection took).
        let eeg = try Recording(["record", "--out", file, "--markers-from-lsl", name], configuration: configuration)
        let warning = "eeg: LSL marker stream '\(name)' at 127.0.0.1:\(fake.tcpPort): a marker string of 1099511627776 bytes"
        #expect(eeg.wait(stderrLines: 1, prefix: warning))
        let run = eeg.interrupt()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains(warning), "\(run.stderr)")
        let reader = try EDFReader(path: file)
        #expect(reader.recordCount >= 1)
        #expect(try reader.allAnnotations().map(\.text).contains("Recording ends"))
    }
}
