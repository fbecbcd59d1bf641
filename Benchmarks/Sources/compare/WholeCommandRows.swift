// Whole commands against the whole-process C reference (issue 11 goals 1 and 4):
// `eeg bandpower` and `eeg analyze` on raw float32 files W1 (8 ch × 1 h × 250 Hz) and
// W2 (64 ch × 1 h × 512 Hz) beside `cref-eeg`, which reads the same file, plans FFTW,
// computes the same numbers and writes the same CSV. Each pair runs alternately; the
// best of N wall times is kept, with the spread (slowest/best − 1) and the CPU time
// (user + system) of the best runs, and the two outputs are checked to agree to 1e-5
// relative (cell by cell; text cells exactly).
import CReference
import Dispatch
import EEGKit
import Foundation

/// One timed child process: wall seconds, CPU seconds (user + system), exit status.
struct ChildRun {
    let wall: Double
    let cpu: Double
    let status: Int32
}

/// Runs `path` with `arguments`, standard output and error to /dev/null.
func spawnTimed(_ path: String, _ arguments: [String]) -> ChildRun {
    var pid: pid_t = 0
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let start = DispatchTime.now().uptimeNanoseconds
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return ChildRun(wall: .nan, cpu: .nan, status: -1) }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return ChildRun(wall: wall, cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime), status: status)
}

/// Best-of-N of a command and its reference, run alternately.
struct PairTiming {
    var best = (eeg: ChildRun(wall: .infinity, cpu: .nan, status: 0), c: ChildRun(wall: .infinity, cpu: .nan, status: 0))
    var worst = (eeg: 0.0, c: 0.0)
    var failed = false

    mutating func add(eeg: ChildRun, c: ChildRun) {
        if eeg.status != 0 || c.status != 0 { failed = true }
        if eeg.wall < best.eeg.wall { best.eeg = eeg }
        if c.wall < best.c.wall { best.c = c }
        worst = (max(worst.eeg, eeg.wall), max(worst.c, c.wall))
    }

    /// The row: both best times, their spreads, and C time / eeg time (≥ 1: eeg as fast or faster).
    func line(_ name: String) -> String {
        if failed { return "  \(name): a run failed (exit status non-zero)" }
        let spreadE = 100 * (worst.eeg / best.eeg.wall - 1), spreadC = 100 * (worst.c / best.c.wall - 1)
        return name.padding(toLength: 40, withPad: " ", startingAt: 0)
            + String(format: " eeg %6.3f s (±%3.0f%%, cpu %6.3f)  C %6.3f s (±%3.0f%%, cpu %6.3f)  %5.2fx (cpu %5.2fx)",
                     best.eeg.wall, spreadE, best.eeg.cpu, best.c.wall, spreadC, best.c.cpu,
                     best.c.wall / best.eeg.wall, best.c.cpu / best.eeg.cpu)
    }
}

/// Whether two CSV files hold the same table: same header and text cells, numbers equal
/// to `tolerance` relative. Returns nil when they agree, else what differs first.
func csvDisagreement(_ a: String, _ b: String, tolerance: Double = 1e-5) -> String? {
    guard let x = try? String(contentsOfFile: a, encoding: .utf8), let y = try? String(contentsOfFile: b, encoding: .utf8) else { return "an output is missing" }
    let rowsA = x.split(separator: "\n"), rowsB = y.split(separator: "\n")
    guard rowsA.count == rowsB.count else { return "\(rowsA.count) rows vs \(rowsB.count)" }
    for (r, (ra, rb)) in zip(rowsA, rowsB).enumerated() {
        let cellsA = ra.split(separator: ",", omittingEmptySubsequences: false), cellsB = rb.split(separator: ",", omittingEmptySubsequences: false)
        guard cellsA.count == cellsB.count else { return "row \(r + 1): \(cellsA.count) cells vs \(cellsB.count)" }
        for (ca, cb) in zip(cellsA, cellsB) where ca != cb {
            guard let u = Double(ca), let v = Double(cb) else { return "row \(r + 1): \(ca) vs \(cb)" }
            if abs(u - v) > tolerance * max(abs(u), abs(v)) { return "row \(r + 1): \(u) vs \(v)" }
        }
    }
    return nil
}

/// Writes `workload`'s samples as interleaved little-endian float32 frames to `path`.
func writeFloat32(_ workload: EpochBandpowerWorkload, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot write \(path)")
    defer { close(fd) }
    let framesPerBlock = 4096
    var block = [Float](repeating: 0, count: framesPerBlock * workload.channels)
    workload.withSamples { samples in
        var f0 = 0
        while f0 < workload.frames {
            let n = min(framesPerBlock, workload.frames - f0)
            for f in 0..<n { for c in 0..<workload.channels { block[f * workload.channels + c] = samples[c * workload.frames + f0 + f] } }
            block.withUnsafeBytes { raw in
                var done = 0
                while done < n * workload.channels * 4 {
                    let w = write(fd, raw.baseAddress! + done, n * workload.channels * 4 - done)
                    precondition(w > 0, "write failed")
                    done += w
                }
            }
            f0 += n
        }
    }
}

/// The whole-command rows: bandpower and analyze on W1 and W2, and analyze -j 2 on two
/// files. The cref-eeg executable is looked for beside this one (make bench builds it).
func wholeCommandRows(eeg: String, quick: Bool, repeats: Int) {
    let cref = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent().appendingPathComponent("cref-eeg").path
    guard FileManager.default.isExecutableFile(atPath: cref) else {
        print("\nWhole commands: \(cref) not built (cd Benchmarks && swift build -c release --product cref-eeg) — no comparison")
        return
    }
    let seconds = quick ? 300.0 : 3600.0
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-whole-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    print("")
    print("Whole commands on raw float32 vs the C reference process (cref-eeg: read + plan + compute + CSV), best of \(repeats), alternating")
    print("  ratio = C time / eeg time (≥ 1: eeg as fast or faster); ± is the spread (slowest/best − 1)")
    for (name, channels, rate) in [("W1", 8, 250.0), ("W2", 64, 512.0)] {
        let input = "\(dir)/\(name).f32"
        // The samples leave this process's memory before anything is timed.
        writeFloat32(try! EpochBandpowerWorkload(channels: channels, sampleRate: rate, seconds: seconds), to: input)
        defer { unlink(input) }
        let label = "\(name) \(channels) ch × \(Int(seconds / 60)) min @ \(Int(rate)) Hz"
        let ours = "\(dir)/eeg.csv", theirs = "\(dir)/c.csv"
        var bandpower = PairTiming(), analyze = PairTiming()
        for _ in 0..<repeats {
            bandpower.add(eeg: spawnTimed(eeg, ["bandpower", "--input", input, "--input-format", "f32", "--rate", "\(Int(rate))", "--channel-count", "\(channels)",
                                                "--epoch", "4", "--format", "csv", "--out", ours]),
                          c: spawnTimed(cref, ["bandpower", input, "\(channels)", "\(rate)", "4", theirs]))
        }
        print(bandpower.line("bandpower \(label)"))
        if let difference = csvDisagreement(ours, theirs) { print("    OUTPUTS DIFFER: \(difference)") } else { print("    outputs agree (1e-5 relative)") }
        for _ in 0..<repeats {
            analyze.add(eeg: spawnTimed(eeg, ["analyze", input, "--input-format", "f32", "--rate", "\(Int(rate))", "--channel-count", "\(channels)",
                                              "--format", "csv", "--out", ours, "-j", "1"]),
                        c: spawnTimed(cref, ["analyze", input, "\(channels)", "\(rate)", theirs]))
        }
        print(analyze.line("analyze   \(label)"))
        if let difference = csvDisagreement(ours, theirs) { print("    OUTPUTS DIFFER: \(difference)") } else { print("    outputs agree (1e-5 relative)") }
        unlink(ours)
        unlink(theirs)
    }
    print("  analyze computes (both sides): 4 s epochs, Welch 2 s Hann 50 %, five band powers, ratios of the channel means,")
    print("  quality (flat, railed, artifacts around the least-squares line, line noise), rejection, scores calibrated on the")
    print("  usable epochs of the first 60 s; no filter (analyze's default). bandpower: the whole input and every 4 s epoch.")
}
