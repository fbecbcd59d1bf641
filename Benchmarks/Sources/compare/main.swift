// Prints EEGKit-vs-C tables: each workload runs in Swift (through EEGKit) and in the
// -O3 C reference, alternately, in this one process; the best of several runs of each
// is kept, and the ratio is Swift throughput / C throughput (≥ 1 means Swift is faster).
import CReference
import Foundation
import EEGKit
import Workloads

struct Row {
    let name: String
    let unit: String
    let work: Double  // units of work per run
    let swift: () -> Double
    let c: () -> Double
}

func seconds(_ body: () -> Double) -> (Double, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let checksum = body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, checksum)
}

func measure(_ row: Row, repeats: Int) -> (swift: Double, c: Double) {
    var bestSwift = Double.infinity, bestC = Double.infinity
    for _ in 0..<repeats {
        let (ts, cs) = seconds(row.swift)
        let (tc, cc) = seconds(row.c)
        if abs(cs - cc) > 1e-6 * abs(cc) {
            FileHandle.standardError.write("warning: \(row.name): Swift and C checksums differ (\(cs) vs \(cc))\n".data(using: .utf8)!)
        }
        bestSwift = min(bestSwift, ts)
        bestC = min(bestC, tc)
    }
    return (row.work / bestSwift, row.work / bestC)
}

func format(_ rate: Double) -> String {
    if rate >= 1e9 { return String(format: "%7.2f G", rate / 1e9) }
    if rate >= 1e6 { return String(format: "%7.2f M", rate / 1e6) }
    return String(format: "%7.2f k", rate / 1e3)
}

let quick = CommandLine.arguments.contains("--quick")
let frames = quick ? 2_000_000 : 20_000_000
let channels = 8
// `compare --live-only [--quick] [--eeg PATH [--eeg-reference PATH]]`: only the live rows (LiveRows.swift).
// `compare --lsl-only [--quick]`: the LSL outlet's throughput and latency (LSLRows.swift).
if CommandLine.arguments.contains("--lsl-only") { lslRows(repository: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent(), quick: quick); exit(0) }
if CommandLine.arguments.contains("--live-only") { liveRows(arguments: CommandLine.arguments, quick: quick); exit(0) }
// `compare --array-only --eeg PATH [--quick]`: only the job-array row (ShardArrayBench.swift).
if CommandLine.arguments.contains("--array-only"), let i = CommandLine.arguments.firstIndex(of: "--eeg"), i + 1 < CommandLine.arguments.count {
    shardArrayRow(eeg: CommandLine.arguments[i + 1], quick: quick)
    exit(0)
}

// `compare --whole-only --eeg PATH [--quick]`: only the whole-command rows against cref-eeg.
if CommandLine.arguments.contains("--whole-only"), let i = CommandLine.arguments.firstIndex(of: "--eeg"), i + 1 < CommandLine.arguments.count {
    wholeCommandRows(eeg: CommandLine.arguments[i + 1], quick: quick, repeats: quick ? 2 : 5)
    exit(0)
}

// eeg analyze: peak memory as the file doubles, and the speedup of two files on two cores.
// Needs the eeg executable (make bench builds it): compare --eeg PATH. Runs first: the
// children are spawned with vfork semantics and Linux keeps the pre-exec high-water mark
// in ru_maxrss, so the parent must still be small for the figure to be the child's own.
if let eegIndex = CommandLine.arguments.firstIndex(of: "--eeg"), eegIndex + 1 < CommandLine.arguments.count {
    let eeg = CommandLine.arguments[eegIndex + 1]
    let hours: [Double] = quick ? [0.25, 0.5] : [1, 2]
    func writeBDF(hours: Double, seed: UInt64) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-\(getpid())-\(seed)-\(hours).bdf").path
        let seconds = Int(hours * 3600)
        let workload = try! EpochBandpowerWorkload(channels: 8, sampleRate: 250, seconds: Double(min(seconds, 600)), seed: seed)
        let channels = (1...8).map { EDFSignal(label: "ch\($0)", physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 250) }
        let writer = try! EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        var frames = [Float](repeating: 0, count: 8 * 250)
        workload.withSamples { samples in
            for second in 0..<seconds {
                let s = second % 600
                for f in 0..<250 { for c in 0..<8 { frames[f * 8 + c] = samples[c * workload.frames + s * 250 + f] - 800 } }
                try! frames.withUnsafeBufferPointer { try writer.append($0) }
            }
        }
        try! writer.close()
        return path
    }
    /// Runs eeg with `arguments`; returns (seconds, peak resident memory in MiB) of that child alone.
    func run(_ arguments: [String]) -> (Double, Double) {
        var pid: pid_t = 0
        let argv = ([eeg] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, eeg, &actions, nil, argv, environ) == 0 else { return (.nan, .nan) }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        posix_spawn_file_actions_destroy(&actions)
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, Double(usage.ru_maxrss) / 1024)
    }
    let files = hours.map { writeBDF(hours: $0, seed: 7) }
    defer { files.forEach { unlink($0) } }
    print("eeg analyze (8 ch, 250 Hz BDF, 4 s epochs)")
    for (h, file) in zip(hours, files) {
        let (t, mb) = run(["analyze", file, "--format", "csv", "--out", "/dev/null", "-j", "1"])
        print(String(format: "  %4.2f h file: %6.2f s, peak memory %6.1f MiB", h, t, mb))
    }
    // Two files of the longer length, so process start-up does not dominate.
    let second = writeBDF(hours: hours[1], seed: 8)
    defer { unlink(second) }
    var one = Double.infinity, two = Double.infinity
    for _ in 0..<3 {
        one = min(one, run(["analyze", files[1], second, "--format", "csv", "--out", "/dev/null", "-j", "1"]).0)
        two = min(two, run(["analyze", files[1], second, "--format", "csv", "--out", "/dev/null", "-j", "2"]).0)
    }
    print(String(format: "  two %.2f h files, best of 3: -j 1 %.2f s, -j 2 %.2f s: speedup %.2fx", hours[1], one, two, one / two))
    wholeCommandRows(eeg: eeg, quick: quick, repeats: quick ? 2 : 5)
    twoCoreRows(eeg: eeg, quick: quick)
    shardArrayRow(eeg: eeg, quick: quick)
}

var rows: [Row] = []
for batch in [1, 64] {
    rows.append(Row(
        name: "ring push+pop, 8 ch, batch \(batch), 1 thread", unit: "frames/s", work: Double(frames),
        swift: { RingWorkloads.oneThread(channels: channels, capacity: 4096, batch: batch, totalFrames: frames) },
        c: { cref_ring_run_one_thread(Int32(channels), 4096, batch, frames) }))
    rows.append(Row(
        name: "ring push+pop, 8 ch, batch \(batch), 2 threads", unit: "frames/s", work: Double(frames),
        swift: { RingWorkloads.twoThreads(channels: channels, capacity: 4096, batch: batch, totalFrames: frames) },
        c: { cref_ring_run_two_threads(Int32(channels), 4096, batch, frames) }))
}

// The DSP task (issue 3): W1 = 8 ch x 1 h at 250 Hz, W2 = 64 ch x 1 h at 512 Hz.
for (name, channels, rate) in [("W1 8 ch x 1 h @ 250 Hz", 8, 250.0), ("W2 64 ch x 1 h @ 512 Hz", 64, 512.0)] {
    let seconds = quick ? 300.0 : 3600.0
    let workload = try! EpochBandpowerWorkload(channels: channels, sampleRate: rate, seconds: seconds)
    let samples = Double(workload.frames * channels)
    let c: () -> Double = { workload.withSamples { cref_bandpower_run($0.baseAddress, Int32(channels), workload.frames, rate) } }
    rows.append(Row(name: "band powers \(name), 1 thread", unit: "samples/s", work: samples,
                    swift: { workload.run(threads: 1) }, c: c))
    rows.append(Row(name: "band powers \(name), 2 threads vs C 1", unit: "samples/s", work: samples,
                    swift: { workload.run(threads: 2) }, c: c))
}

let repeats = quick ? 2 : 5
print("EEGKit vs C reference (-O3), best of \(repeats), \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("workload".padding(toLength: 52, withPad: " ", startingAt: 0), "      EEGKit", "           C", "  EEGKit/C")
for row in rows {
    let (s, c) = measure(row, repeats: repeats)
    print(row.name.padding(toLength: 52, withPad: " ", startingAt: 0),
          format(s) + "/s", format(c) + "/s", String(format: "%9.2fx", s / c))
}

// EEGKit alone: the device thread's cost (decode → ring) per second of streamed data.
let decode = CytonDecodeWorkload(packets: quick ? 200_000 : 1_000_000)
var bestDecode = Double.infinity
for _ in 0..<repeats { bestDecode = min(bestDecode, seconds { decode.run() }.0) }
let megabytes = Double(decode.bytes.count) / 1e6
let perStreamSecond = bestDecode / (Double(decode.packets) / 250)  // seconds of CPU per second of a 250 Hz Cyton stream
print("")
print("Cyton decoder → ring (EEGKit alone, best of \(repeats))")
print(String(format: "  %.0f MB/s of Cyton bytes (%.1f M packets/s); %.2f µs of CPU per second of 8-ch 250 Hz stream (%.5f %% of a core)",
             megabytes / bestDecode, Double(decode.packets) / bestDecode / 1e6, perStreamSecond * 1e6, perStreamSecond * 100))

// Reading a 1-hour 8-channel 250 Hz EDF into frames: EEGKit beside MNE's
// read_raw_edf(preload=True) on the same file (scripts/mne_read.py).
do {
    let fileSeconds = quick ? 600.0 : 3600.0
    let workload = try! EpochBandpowerWorkload(channels: 8, sampleRate: 250, seconds: fileSeconds)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-\(getpid()).edf").path
    defer { unlink(path) }
    let channels = (1...8).map { EDFSignal(label: "ch\($0)", physicalMinimum: -3276.8, physicalMaximum: 3276.7, digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: 250) }
    let writer = try! EDFWriter(path: path, flavor: .edf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
    var frames = [Float](repeating: 0, count: 8 * 250)
    workload.withSamples { samples in
        for second in 0..<Int(fileSeconds) {
            for f in 0..<250 { for c in 0..<8 { frames[f * 8 + c] = samples[c * workload.frames + second * 250 + f] - 800 } }
            try! frames.withUnsafeBufferPointer { try writer.append($0) }
        }
    }
    try! writer.close()
    var best = Double.infinity
    for _ in 0..<repeats {
        best = min(best, seconds {
            let reader = try! EDFReader(path: path)
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: reader.framesPerRecord * reader.channelCount)
            defer { buffer.deallocate() }
            var sum = 0.0
            for r in 0..<reader.recordCount {
                _ = try! reader.readRecord(r, into: buffer)
                sum += Double(buffer[0])
            }
            return sum
        }.0)
    }
    let samples = fileSeconds * 250 * 8
    print("")
    print("Reading a \(Int(fileSeconds / 60)) min 8-ch 250 Hz EDF into memory, best of \(repeats)")
    print(String(format: "  EEGKit  %7.1f M samples/s", samples / best / 1e6))
    let mne = Process()
    mne.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/mne_read.py").path
    mne.arguments = ["python3", script, path]
    let pipe = Pipe()
    mne.standardOutput = pipe
    mne.standardError = FileHandle.nullDevice
    if (try? mne.run()) != nil {
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        mne.waitUntilExit()
        if mne.terminationStatus == 0, let mneSeconds = Double(output.split(separator: " ").first ?? "") {
            print(String(format: "  MNE     %7.1f M samples/s (read_raw_edf, preload=True)", samples / mneSeconds / 1e6))
            print(String(format: "  EEGKit/MNE %.2fx", mneSeconds / best))
        } else {
            print("  MNE: not available (pip install mne) — no comparison")
        }
    }
}

// The live pipeline: CPU of `eeg stream` at real time, decode → metric line latency (LiveRows.swift).
liveRows(arguments: CommandLine.arguments, quick: quick)

// EDF/BDF decoding rates beside memory bandwidth, and analyze's reading share (EDFReadRates.swift).
printEDFDecodeRates(quick: quick, repeats: repeats)
printAnalyzeReadSplit(quick: quick, repeats: repeats, eeg: eegArgument())
