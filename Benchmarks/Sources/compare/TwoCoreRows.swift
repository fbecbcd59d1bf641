// Two cores (issue 11 goal 4): `eeg analyze -j 2` on two files against -j 1 on the same
// two, and — to tell whether the in-process W2 two-thread row is held back by memory or
// by the machine — the memory bandwidth (a STREAM-like copy) and the scaling of a pure
// arithmetic loop on 1 and 2 threads, measured in the same run.
import Dispatch
import EEGKit
import Foundation

/// Copies `megabytes` between two buffers per thread, `threads` at once; returns GB/s
/// (bytes read + written, as STREAM's Copy counts them), best of `repeats`.
func copyBandwidth(threads: Int, megabytes: Int = 64, repeats: Int = 5) -> Double {
    let count = megabytes << 18  // floats
    let buffers = (0..<threads).map { _ in
        (UnsafeMutableBufferPointer<Float>.allocate(capacity: count), UnsafeMutableBufferPointer<Float>.allocate(capacity: count))
    }
    defer { buffers.forEach { $0.0.deallocate(); $0.1.deallocate() } }
    for (a, b) in buffers { a.initialize(repeating: 1); b.initialize(repeating: 0) }
    nonisolated(unsafe) let shared = buffers
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let (source, target) = shared[t]
            target.baseAddress!.update(from: source.baseAddress!, count: count)
        }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return Double(threads * count * 4 * 2) / best / 1e9
}

/// Seconds for `threads` threads each running the same register-only loop (no memory
/// traffic), best of `repeats`: how much of a second core this machine gives right now.
func arithmeticSeconds(threads: Int, repeats: Int = 5) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var x = 1.0 + Double(t), y = 0.5
            for _ in 0..<20_000_000 { x = x * 0.999_999_9 + y; y = y * 0.999_999_9 + 1e-9 }
            if x == 42 { print("") }  // keeps the loop
        }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

/// The two-core rows. `eeg` is the command to run.
func twoCoreRows(eeg: String, quick: Bool) {
    print("")
    print("Two cores (\(ProcessInfo.processInfo.activeProcessorCount) online; load average \(loadAverage()))")
    let one = arithmeticSeconds(threads: 1), two = arithmeticSeconds(threads: 2)
    print(String(format: "  arithmetic loop, no memory traffic: 2 threads do %.2fx the work of 1 in the same time (2.00 on two free cores)", 2 * one / two))
    let bandwidth1 = copyBandwidth(threads: 1), bandwidth2 = copyBandwidth(threads: 2)
    print(String(format: "  memory copy (STREAM-like, 64 MB per thread): 1 thread %.1f GB/s, 2 threads %.1f GB/s", bandwidth1, bandwidth2))
    // The in-process W2 row streams each sample through two overlapping Welch segments.
    let seconds = quick ? 300.0 : 3600.0
    let workload = try! EpochBandpowerWorkload(channels: 64, sampleRate: 512, seconds: seconds)
    let samples = Double(workload.frames * 64)
    var best1 = Double.infinity, best2 = Double.infinity
    for _ in 0..<(quick ? 2 : 4) {
        best1 = min(best1, timed { workload.run(threads: 1) })
        best2 = min(best2, timed { workload.run(threads: 2) })
    }
    let demand = samples * 4 * 2 / best2 / 1e9
    print(String(format: "  W2 band powers in process: 1 thread %.0f M samples/s, 2 threads %.0f M samples/s (%.2fx); 2 threads read %.2f GB/s of samples,",
                 samples / best1 / 1e6, samples / best2 / 1e6, best1 / best2, demand))
    print(String(format: "    %.0f %% of the 2-thread copy bandwidth: %@", 100 * demand / bandwidth2,
                 demand < 0.25 * bandwidth2 ? "not memory-bound; the ceiling is the cores this machine gives (arithmetic row above)" : "close to memory-bound"))
    analyzeTwoFiles(eeg: eeg, seconds: seconds)
}

private func timed(_ body: () -> Double) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    _ = body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

private func loadAverage() -> String {
    var loads = [Double](repeating: 0, count: 3)
    return getloadavg(&loads, 3) == 3 ? String(format: "%.1f %.1f %.1f", loads[0], loads[1], loads[2]) : "unknown"
}

/// `eeg analyze -j 2` against `-j 1` on the same two float32 files (W2-shaped).
private func analyzeTwoFiles(eeg: String, seconds: Double) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-two-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let files = [(1, 42 as UInt64), (2, 43)].map { index, seed in
        let path = "\(dir)/w2-\(index).f32"
        writeFloat32(try! EpochBandpowerWorkload(channels: 64, sampleRate: 512, seconds: seconds, seed: seed), to: path)
        return path
    }
    var timing = PairTiming()
    for _ in 0..<3 {
        let arguments = ["analyze"] + files + ["--input-format", "f32", "--rate", "512", "--channel-count", "64", "--format", "csv", "--out", "/dev/null", "-j"]
        timing.add(eeg: spawnTimed(eeg, arguments + ["2"]), c: spawnTimed(eeg, arguments + ["1"]))
    }
    let j2 = timing.best.eeg, j1 = timing.best.c
    print(String(format: "  eeg analyze, two W2-shaped float32 files (%d min each), best of 3: -j 1 %.2f s, -j 2 %.2f s: %.2fx (cpu %.2f vs %.2f s)",
                 Int(seconds / 60), j1.wall, j2.wall, j1.wall / j2.wall, j1.cpu, j2.cpu))
}
