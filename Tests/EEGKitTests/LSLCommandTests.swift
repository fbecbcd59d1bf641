import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// `eeg stream --lsl` read by liblsl (pylsl, mne-lsl), everything on loopback: every
/// sample pulled equals the one `--emit samples` printed, timestamps are the
/// de-jittered sample counter (evenly spaced), the labels arrive, time_correction ≈ 0.
@Suite("eeg --lsl read by liblsl", .serialized)
struct LSLCommandTests {
    static let python = LSLInterop.python
    static let script = LSLInterop.inletScript
    static let configuration = LSLInterop.configuration
    static func available(_ what: String) -> Bool { LSLInterop.available(what) }

    /// A process with LSLAPICFG set to the machine-scope configuration; stdout/stderr read
    /// on background threads so neither pipe fills.
    final class Child: @unchecked Sendable {
        let process = Process()
        private let out = Pipe(), err = Pipe()
        private var outData = Data(), errData = Data()
        private let lock = NSLock()
        private let group = DispatchGroup()
        private let input = Pipe()
        /// Standard input stays open until ``closeInput()`` (or the end of ``finish()``).
        init(_ executable: String, _ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["LSLAPICFG"] = LSLCommandTests.configuration
            process.environment = environment
            process.standardOutput = out
            process.standardError = err
            process.standardInput = input
            try process.run()
            DispatchQueue.global().async(group: group) {
                while true {
                    let chunk = self.out.fileHandleForReading.availableData
                    if chunk.isEmpty { return }
                    self.lock.withLock { self.outData += chunk }
                }
            }
            DispatchQueue.global().async(group: group) { self.errData = self.err.fileHandleForReading.readDataToEndOfFile() }
        }
        /// Waits (at most `seconds`, a hang guard) until standard output holds `line`.
        func wait(forLine line: String, seconds: Double = 30) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if lock.withLock({ outData.range(of: Data((line + "\n").utf8)) != nil }) { return true }
                if !process.isRunning { break }
                usleep(20_000)
            }
            return lock.withLock { outData.range(of: Data((line + "\n").utf8)) != nil }
        }

        func write(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }
        func closeInput() { try? input.fileHandleForWriting.close() }

        func finish() -> (status: Int32, stdout: String, stderr: String) {
            closeInput()
            group.wait()
            process.waitUntilExit()
            return lock.withLock { (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)) }
        }
    }

    struct Pulled: Decodable {
        struct Info: Decodable { let name: String; let type: String; let source_id: String; let labels: [String]; let nominal_srate: Double }
        let info: Info?
        let samples: [[Double]]?
        let timestamps: [Double]?
        let time_correction: Double?
        let error: String?
    }

    /// The IPv4/IPv6 TCP and UDP sockets a process holds, as /proc/net lists them
    /// (local address in hex, e.g. `0100007F:40BC` for 127.0.0.1:16572).
    static func inetSockets(of pid: Int32) -> [(table: String, local: String, remote: String)] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let inodes = Set(fds.compactMap { fd -> String? in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { return nil }
            return String(target.dropFirst(8).dropLast())
        })
        var found: [(String, String, String)] = []
        for table in ["tcp", "udp", "tcp6", "udp6"] {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ")
                if f.count > 9, inodes.contains(String(f[9])) { found.append((table, String(f[1]), String(f[2]))) }
            }
        }
        return found
    }

    /// Least-squares line through (i, t_i): its slope and the largest |residual|.
    static func lineFit(_ t: [Double]) -> (slope: Double, residual: Double) {
        let n = Double(t.count)
        let mx = (n - 1) / 2, my = t.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (i, y) in t.enumerated() { sxy += (Double(i) - mx) * (y - my); sxx += (Double(i) - mx) * (Double(i) - mx) }
        let slope = sxy / sxx
        var worst = 0.0
        for (i, y) in t.enumerated() { worst = max(worst, abs(y - (my + slope * (Double(i) - mx)))) }
        return (slope, worst)
    }

    @Test("every sample pulled is the one printed, timestamps evenly spaced", .serialized, arguments: ["pylsl", "mne"])
    func stream(library: String) throws {
        guard Self.available("eeg --lsl with \(library)") else { return }
        let name = "EEGKit-cli-\(getpid())-\(library)"
        let inlet = try Child(Self.python, [Self.script, library, name, "100000", "--type", "EEG", "--source-id", "eegkit-sim-seed-5",
                                            "--timeout", "20", "--until-idle", "1.5"])
        // The inlet's library has taken over 30 s to load on a busy machine: start EEGKit once it
        // is resolving, so the inlet joins early in the stream.
        #expect(inlet.wait(forLine: "resolving", seconds: 120))
        let eeg = try Child(EEGProcess.executable.path, ["stream", "--lsl", "--lsl-name", name, "--seed", "5", "--emit", "samples",
                                                         "--format", "csv", "--times", "--duration", "5s"])
        // While both run: every socket EEGKit holds is bound to loopback (machine scope).
        #expect(inlet.wait(forLine: "ready"))
        let sockets = Self.inetSockets(of: eeg.process.processIdentifier)
        #expect(sockets.count >= 6, "EEGKit's sockets: \(sockets)") // 3 outlets × (TCP listener + UDP service), + responder, + the feed
        #expect(sockets.allSatisfy { $0.local.hasPrefix("0100007F:") }, "a socket not on 127.0.0.1: \(sockets)")
        let printed = eeg.finish(), pulled = inlet.finish()
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(pulled.status == 0, "\(pulled.stderr.suffix(1500))")
        let result = try JSONDecoder().decode(Pulled.self, from: Data((pulled.stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8))
        #expect(result.error == nil)
        let info = try #require(result.info)
        #expect(info.labels == ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"] && info.nominal_srate == 250 && info.type == "EEG")
        let lines = printed.stdout.split(separator: "\n")
        #expect(lines.first == "sample,timestamp,arrival,Fp1,Fp2,C3,C4,P7,P8,O1,O2")
        let cells = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        let rows = cells.map { $0.dropFirst(3).map { Float($0)! } }
        let printedStamps = cells.map { Double($0[1])! }, arrivals = cells.map { Double($0[2])! }
        let samples = try #require(result.samples).map { $0.map(Float.init) }
        let stamps = try #require(result.timestamps)
        #expect(rows.count == 1250)
        // The inlet joined after EEGKit started: what it got is a tail of what was printed.
        let first = try #require(rows.firstIndex { $0 == samples.first })
        #expect(samples.count > 500, "pulled only \(samples.count) of \(rows.count)")
        #expect(Array(rows[first...]) == samples, "the pulled samples are not exactly the printed ones from \(first) on")
        // --times: the printed timestamp is the one the inlet received, bit for bit; the
        // arrival is the batch's host time on the same clock (never decreasing, near the stamp).
        let mismatch = zip(printedStamps[first...], stamps).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(printedStamps.count - first >= stamps.count && mismatch == nil,
                "printed timestamp \(String(describing: mismatch?.element.0)) is not the pulled \(String(describing: mismatch?.element.1)) (sample \(first + (mismatch?.offset ?? 0)))")
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(zip(printedStamps, arrivals).allSatisfy { abs($0 - $1) < 0.5 }, "an arrival more than 0.5 s from its sample's timestamp")
        // De-jittered: monotonic, and within 1 ms of a straight line through them.
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        let (slope, residual) = Self.lineFit(stamps)
        #expect(residual < 0.001, "de-jitter residual \(residual * 1000) ms")
        #expect(abs(1 / slope - 250) < 2.5, "rate from timestamps \(1 / slope)")
        #expect(abs(try #require(result.time_correction)) < 0.01)
    }

    @Test("record --lsl: markers typed on stdin and metrics per hop reach liblsl inlets")
    func markersAndMetrics() throws {
        guard Self.available("eeg record --lsl markers") else { return }
        let name = "EEGKit-rec-\(getpid())"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-\(getpid()).bdf").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let markers = try Child(Self.python, [Self.script, "pylsl", name + "-markers", "2", "--type", "Markers", "--timeout", "20"])
        // mne-lsl bundles liblsl 1.17, whose inlet sends Value-Size: 32 for strings (LabRecorder's too).
        let mneMarkers = try Child(Self.python, [Self.script, "mne", name + "-markers", "2", "--type", "Markers", "--timeout", "20"])
        let metrics = try Child(Self.python, [Self.script, "pylsl", name + "-metrics", "4", "--type", "Metrics", "--timeout", "20"])
        #expect(markers.wait(forLine: "resolving", seconds: 120) && metrics.wait(forLine: "resolving", seconds: 120) && mneMarkers.wait(forLine: "resolving", seconds: 120))
        let eeg = try Child(EEGProcess.executable.path, ["record", "--out", file, "--force", "--lsl", "--lsl-name", name,
                                                         "--markers-from-stdin", "--duration", "6s"])
        #expect(markers.wait(forLine: "ready") && metrics.wait(forLine: "ready") && mneMarkers.wait(forLine: "ready"))
        eeg.write("stimulus A\n")
        usleep(300_000)
        eeg.write("stimulus B\n")
        let recorded = eeg.finish(), gotMarkers = markers.finish(), gotMetrics = metrics.finish(), gotMNEMarkers = mneMarkers.finish()
        #expect(recorded.status == 0, "\(recorded.stderr)")
        func decode(_ run: (status: Int32, stdout: String, stderr: String)) throws -> LSLPeerResult {
            #expect(run.status == 0, "\(run.stderr.suffix(1500))")
            return try JSONDecoder().decode(LSLPeerResult.self, from: Data((run.stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8))
        }
        let m = try decode(gotMarkers)
        #expect(m.samples == [[.text("Marker: stimulus A")], [.text("Marker: stimulus B")]])
        let mne = try decode(gotMNEMarkers)
        #expect(mne.samples == m.samples && mne.timestamps == m.timestamps, "mne-lsl (liblsl 1.17) got \(String(describing: mne.samples))")
        let stamps = try #require(m.timestamps)
        #expect(stamps.count == 2 && stamps[1] - stamps[0] > 0.1 && stamps[1] - stamps[0] < 2)
        let k = try decode(gotMetrics)
        #expect(k.info?.labels == Metric.all.map(\.key))
        #expect((k.samples ?? []).count == 4)
        // Engagement (β / (α + θ)) is available from the first hop; the scores wait for calibration.
        let engagement = try #require(Metric.all.firstIndex { $0.key == "engagement" })
        #expect((k.samples ?? []).allSatisfy { row in row.count == Metric.all.count && (row[engagement].number.map { $0 > 0 } ?? false) })
    }

    @Test("an inlet recovers when EEGKit restarts (same source_id)")
    func restart() throws {
        guard Self.available("eeg --lsl restart recovery") else { return }
        let name = "EEGKit-restart-\(getpid())"
        let inlet = try Child(Self.python, [Self.script, "pylsl", name, "100000", "--source-id", "eegkit-sim-seed-9",
                                            "--timeout", "40", "--until-idle", "6"])
        #expect(inlet.wait(forLine: "resolving", seconds: 120))
        let arguments = ["stream", "--lsl", "--lsl-name", name, "--seed", "9", "--emit", "samples", "--format", "csv", "--duration", "4s"]
        let first = try Child(EEGProcess.executable.path, arguments)
        #expect(inlet.wait(forLine: "ready"))
        let one = first.finish()
        let second = try Child(EEGProcess.executable.path, arguments)
        let two = second.finish(), pulled = inlet.finish()
        #expect(one.status == 0 && two.status == 0, "\(one.stderr) \(two.stderr)")
        let result = try JSONDecoder().decode(LSLPeerResult.self, from: Data((pulled.stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "{}").utf8))
        // The first run had ended before the second started, so the inlet's last samples can
        // only be the second run's: they are its last printed ones, exactly.
        let printedSecond = two.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().map { Double(Float(String($0))!) } }
        let samples = (result.samples ?? []).map { $0.compactMap(\.number) }
        #expect(samples.count > 300 && Array(samples.suffix(300)) == Array(printedSecond.suffix(300)),
                "the inlet did not receive the restarted stream's end (\(samples.count) pulled)")
    }
}

/// The inlet script's JSON, with string or numeric values.
struct LSLPeerResult: Decodable {
    struct Info: Decodable { let name: String; let labels: [String] }
    enum Value: Decodable, Equatable {
        case number(Double), text(String), missing
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .missing } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double? { if case .number(let n) = self { n } else { nil } }
    }
    let info: Info?
    let samples: [[Value]]?
    let timestamps: [Double]?
}
