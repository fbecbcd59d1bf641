// The live pipeline's rows (issue 11, goal 3): what `eeg stream` costs at real time, and
// how long a metric line takes from the decode of the packet that completes its window.
import EEGDevices
import EEGKit
import Foundation
import Histogram
import Workloads

/// The live rows: the CPU row when `--eeg PATH` is given (with `--eeg-reference PATH`
/// beside it), then the latency row.
func liveRows(arguments: [String], quick: Bool) {
    func value(_ flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    if let eeg = value("--eeg") { liveCPURow(eeg: eeg, reference: value("--eeg-reference"), quick: quick) }
    liveLatencyRow(quick: quick)
}

/// Runs `eeg stream --device sim --sim-channels 16` for 60 s of device time (10 s with
/// `quick`) at real speed, `repeats` times, and prints the whole process's CPU time
/// (user + system, from wait4) per second of device time, as % of one core. With a
/// `reference` binary (e.g. main's, `--eeg-reference PATH`), it runs beside ours in the
/// same period, so both see the same machine.
func liveCPURow(eeg: String, reference: String?, quick: Bool) {
    let seconds = quick ? 10.0 : 60.0, repeats = quick ? 1 : 2
    let arguments = ["stream", "--device", "sim", "--sim-channels", "16", "--duration", "\(Int(seconds))s"]
    var runs: [String: [ChildUsage]] = [:]
    for _ in 0..<repeats {
        let binaries = [eeg] + (reference.map { [$0] } ?? [])
        for (binary, usage) in zip(binaries, ChildUsage.runTogether(binaries, arguments: arguments)) {
            runs[binary, default: []].append(usage)
        }
    }
    print("")
    print("Live: eeg stream --device sim --sim-channels 16 (250 Hz, metrics as JSON lines) for \(Int(seconds)) s of device")
    print("time at real speed; CPU (user + system, whole process) per second of device time, best of \(repeats); goal < 0.5 %")
    func show(_ name: String, _ usages: [ChildUsage]) {
        let percents = usages.map { $0.cpuSeconds / seconds * 100 }
        let best = usages.min { $0.cpuSeconds < $1.cpuSeconds }!
        print(String(format: "  %@ %6.3f %% of one core (runs %@ %%), %5.1f wake-ups/s, exit %d", name.padding(toLength: 10, withPad: " ", startingAt: 0),
                     percents.min()!, percents.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                     Double(best.voluntarySwitches) / seconds, best.status))
    }
    show("EEGKit", runs[eeg] ?? [])
    if let reference, let usages = runs[reference] { show("reference", usages) }
}

/// What one child process cost, from wait4.
struct ChildUsage {
    var cpuSeconds: Double
    var voluntarySwitches: Int
    var status: Int32

    /// Starts every binary with `arguments` (output to /dev/null) at once and waits for
    /// all of them; a binary that cannot start gives NaN.
    static func runTogether(_ binaries: [String], arguments: [String]) -> [ChildUsage] {
        var children: [pid_t] = []
        for binary in binaries {
            var pid: pid_t = 0
            let argv = ([binary] + arguments).map { strdup($0) } + [nil]
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let started = posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0
            posix_spawn_file_actions_destroy(&actions)
            argv.forEach { free($0) }
            children.append(started ? pid : -1)
        }
        return children.map { pid in
            guard pid > 0 else { return ChildUsage(cpuSeconds: .nan, voluntarySwitches: 0, status: -1) }
            var status: Int32 = 0
            var usage = rusage()
            wait4(pid, &status, 0, &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return ChildUsage(cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
                              voluntarySwitches: usage.ru_nvcsw, status: (status >> 8) & 0xFF)
        }
    }
}

/// A live session in this process: the Cyton driver reading an emulated FT231X dongle
/// (``EmulatedCytonDongle``: 250 packets/s over a 115200-baud link, handed over every
/// 1 ms as the latency timer does), the stream session, the live analyzer and the JSON
/// lines formatter, with lines written to /dev/null as `eeg stream` writes them (once
/// per turn). For every metric line: the time from the hand-over of the packet that
/// completes its window (the line's "sample") to the write of the line, in an
/// HdrHistogram. Goal: p99 < 5 ms.
func liveLatencyRow(quick: Bool) {
    let seconds = quick ? 15 : 60
    let dongle = EmulatedCytonDongle(packets: seconds * 250 + 250)
    let driver = CytonDriver(name: dongle.name, opener: { dongle })
    var options = StreamOptions()
    options.frameLimit = Int64(seconds * 250)
    let session = StreamSession(device: driver, options: options)
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var waiting: [Int] = []   // sample indices of the lines written since the last flush
    var pending = Data()
    let devNull = open("/dev/null", O_WRONLY)
    defer { close(devNull) }
    do {
        _ = try session.run(
            write: { line in
                pending.append(contentsOf: line.utf8)
                pending.append(0x0A)
                if let index = sampleIndex(ofMetricLine: line) { waiting.append(index) }
            },
            flush: {
                guard !pending.isEmpty else { return }
                _ = pending.withUnsafeBytes { Glibc.write(devNull, $0.baseAddress, $0.count) }
                pending.removeAll(keepingCapacity: true)
                let now = DispatchTime.now().uptimeNanoseconds
                for index in waiting where index < dongle.packets && dongle.decodedAt[index] > 0 {
                    latency.record(now - dongle.decodedAt[index])
                }
                waiting.removeAll(keepingCapacity: true)
            },
            status: { _ in }, stopRequested: { false })
    } catch {
        print("\nLive latency: the session failed: \(error)")
        return
    }
    func ms(_ nanoseconds: UInt64) -> String { String(format: "%.3f ms", Double(nanoseconds) / 1e6) }
    let over5 = latency.max >= 5_000_000 ? latency.count(within: 5_000_000...latency.max) : 0
    print("")
    print("Live latency: Cyton (emulated FT231X dongle, latency timer 1 ms, 8 ch, 250 Hz) → driver → ring → session →")
    print("analyzer → JSON line written, \(seconds) s, from the hand-over of the packet completing a window to its metric line")
    print("  \(latency.totalCount) lines: p50 \(ms(latency.valueAtPercentile(50))), p90 \(ms(latency.valueAtPercentile(90))), p99 \(ms(latency.valueAtPercentile(99))), max \(ms(latency.max)); over 5 ms: \(over5) (HdrHistogram, 3 digits); goal p99 < 5 ms")
    print(String(format: "  load average during the run: %.2f (latency on a loaded machine is scheduling delay)", loadAverage()))
}

/// The `"sample": N` of a JSON metric line.
private func sampleIndex(ofMetricLine line: String) -> Int? {
    guard let range = line.range(of: "\"sample\": ") else { return nil }
    return Int(line[range.upperBound...].prefix { $0.isNumber })
}

/// The 1-minute load average (getloadavg), NaN when unavailable.
private func loadAverage() -> Double {
    var load = [0.0]
    return getloadavg(&load, 1) == 1 ? load[0] : .nan
}
