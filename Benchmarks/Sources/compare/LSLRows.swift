import EEGKit
import EEGLSL
import Foundation

/// `compare --lsl-only [--quick]`: EEGKit's LSL outlet into liblsl's own inlet (pylsl from
/// `make interop-deps`), beside liblsl's outlet into the same inlet in one Python process
/// (the reference), alternately, best of three: throughput (samples/s of 8 float32
/// channels, first to last arrival) and push→pull latency p50/p99 of samples pushed
/// 1 ms apart. `LSL_BENCH_RUNS` sets the number of alternating rounds (default 3).
/// Everything on loopback (machine-scope lsl_api.cfg). Both streams say 1000 Hz
/// so the inlet's 360 s buffer holds every sample of the throughput run.
func lslRows(repository: URL, quick: Bool) {
    let python = repository.appendingPathComponent(".build-interop/venv/bin/python").path
    let script = repository.appendingPathComponent("Tests/interop/lsl_bench.py").path
    let configuration = repository.appendingPathComponent("Tests/interop/lsl_api_machine.cfg").path
    guard FileManager.default.isExecutableFile(atPath: python) else { print("LSL rows skipped: no \(python) (make interop-deps)"); return }
    let n = quick ? 100_000 : 400_000, m = quick ? 500 : 2000
    var ours: [[String: Double]] = [], reference: [[String: Double]] = []
    for _ in 0..<min(max(ProcessInfo.processInfo.environment["LSL_BENCH_RUNS"].flatMap { Int($0) } ?? 3, 1), 100) {
        if let r = lslRunOurs(python: python, script: script, configuration: configuration, n: n, m: m) { ours.append(r) }
        if let r = lslRun(python, [script, "reference", String(n), String(m)], configuration: configuration, whenReady: { _ in }) { reference.append(r) }
    }
    func best(_ runs: [[String: Double]], _ key: String, _ pick: ([Double]) -> Double?) -> String {
        pick(runs.compactMap { $0[key] }).map { String(format: "%.3g", $0) } ?? "n/a"
    }
    func spread(_ runs: [[String: Double]], _ key: String) -> String {
        let v = runs.compactMap { $0[key] }
        guard let lo = v.min(), let hi = v.max() else { return "" }
        return String(format: " (%.3g–%.3g)", lo, hi)
    }
    print("LSL outlet → pylsl 1.18 inlet, loopback, 8 × float32; best of \(ours.count)/\(reference.count) runs (range)")
    print("  throughput samples/s   EEGKit \(best(ours, "rate", { $0.max() }))\(spread(ours, "rate"))   liblsl \(best(reference, "rate", { $0.max() }))\(spread(reference, "rate"))")
    print("  latency p50 ms         EEGKit \(best(ours, "p50_ms", { $0.min() }))\(spread(ours, "p50_ms"))   liblsl \(best(reference, "p50_ms", { $0.min() }))\(spread(reference, "p50_ms"))")
    print("  latency p99 ms         EEGKit \(best(ours, "p99_ms", { $0.min() }))\(spread(ours, "p99_ms"))   liblsl \(best(reference, "p99_ms", { $0.min() }))\(spread(reference, "p99_ms"))")
    // A run whose inlet got fewer than N samples timed a wait, not a transfer: say so.
    let short = ours.count { ($0["samples"] ?? 0) < Double(n) } + reference.count { ($0["samples"] ?? 0) < Double(n) }
    if short > 0 { print("  warning: \(short) run(s) received fewer than \(n) samples; their throughput includes waiting") }
}

/// One run of EEGKit's outlet: N samples as fast as the queue takes them, then M paced.
private func lslRunOurs(python: String, script: String, configuration: String, n: Int, m: Int) -> [String: Double]? {
    guard let text = try? String(contentsOfFile: configuration, encoding: .utf8),
          let service = try? LSLService(configuration: LSLConfiguration(iniText: text)) else { print("LSL run skipped: EEGKit's service could not start"); return nil }
    defer { service.stop() }
    let name = "lsl-bench-eegkit-\(getpid())"
    guard let outlet = try? service.addOutlet(StreamInfo(name: name, type: "EEG", channelCount: 8, nominalRate: 1000, channelFormat: .float32, sourceID: name),
                                              format: .float32, queueSamples: 8192) else { print("LSL run skipped: EEGKit's outlet could not start"); return nil }
    return lslRun(python, [script, "inlet", name, String(n), String(m)], configuration: configuration) { _ in
        var values = [Float](repeating: 0, count: 8)
        // Stamped as a device would be, from now at the nominal rate. Never 0.0: liblsl's
        // pull_chunk takes a 0.0 stamp for "no sample" and ends the chunk there, losing that
        // sample, so the inlet would wait for the paced phase to make up its count (the
        // "7x slower than liblsl" this row once showed was that wait, not the outlet).
        let start = LSLClock.now()
        for i in 0..<n {
            values[0] = Float(i)
            while !values.withUnsafeBufferPointer({ outlet.push($0, timestamp: start + Double(i) / 1000) }) { outlet.publish(); usleep(100) }
            guard i % 1000 == 999 else { continue }
            outlet.publish()
            // A burst longer than a feed's buffer (LSLLimits.feedBytes, 4 MB: about 100 k
            // samples of 8 channels) pushed faster than the inlet reads loses samples by
            // design (bounded memory); a device never pushes that fast, so the pusher keeps
            // what waits for the inlet under half of it, as a source at the network's pace would.
            while service.currentStatistics.pendingBytes > LSLLimits().feedBytes / 2 { usleep(200) }
        }
        outlet.publish()
        usleep(500_000)
        for _ in 0..<m {
            values.withUnsafeBufferPointer { _ = outlet.push($0, timestamp: LSLClock.now()) }
            outlet.publish()
            usleep(1000)
        }
    }
}

/// Runs the Python side; `whenReady` runs once it printed "ready" (if it does); its JSON line.
private func lslRun(_ python: String, _ arguments: [String], configuration: String, whenReady: (FileHandle) -> Void) -> [String: Double]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["LSLAPICFG"] = configuration
    process.environment = environment
    let out = Pipe()
    process.standardOutput = out
    // The child's standard error goes to a file: a pipe read only at the end would block a
    // chatty child (past 64 KiB) for good; its tail says why a run gave nothing.
    let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err").path
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorPath) }
    process.standardError = FileHandle(forWritingAtPath: errorPath) ?? FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    var buffered = Data()
    if arguments[1] == "inlet" {
        while !buffered.contains(Data("ready\n".utf8)) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffered += chunk
        }
        whenReady(out.fileHandleForReading)
    }
    buffered += out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let line = String(decoding: buffered, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("{") }),
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        // Say why, rather than leave a silent "n/a".
        let text = String(decoding: FileManager.default.contents(atPath: errorPath)?.suffix(4096) ?? Data(), as: UTF8.self)
        print("LSL run (\(arguments[1])) gave no result: \(text.split(separator: "\n").suffix(2).joined(separator: " | "))")
        return nil
    }
    return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}
