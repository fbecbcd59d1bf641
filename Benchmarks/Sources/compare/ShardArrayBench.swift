import Foundation

/// `eeg analyze` split as a job array would run it — N shard processes started together
/// (`--shard I/N --format shard -j 1`), then `eeg merge` — against one process over the
/// same files (`-j 1`), wall time. The dataset is what a cluster array is for: hours of
/// recordings, so the analysis and not process start-up dominates. Rounds alternate which
/// side runs first; the row prints the best of each side, its spread over the rounds, and
/// the per-round speedups. The merged CSV must equal the single run's byte for byte
/// (checked). On this machine the array's processes share its cores: the speedup is
/// bounded by the core count (2 here), not by the number of shards.
func shardArrayRow(eeg: String, quick: Bool) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-shards-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Recordings of different lengths (minutes), so the size balancing matters.
    let minutes = quick ? [20, 5, 15, 10] : [60, 50, 60, 40, 60, 30, 60, 20]
    var list = ""
    for (i, m) in minutes.enumerated() {
        let path = "\(folder)/r\(i + 1).bdf"
        _ = runEEG(eeg, ["record", "--device", "sim", "--speed", "max", "--duration", "\(m)m", "--seed", "\(i + 1)", "--out", path])
        list += path + "\n"
    }
    try? list.write(toFile: folder + "/files.txt", atomically: true, encoding: .utf8)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let shards = max(2, cores)
    var one: [Double] = [], array: [Double] = [], merge: [Double] = []
    for round in 0..<(quick ? 3 : 7) {
        let single = { one.append(runEEG(eeg, ["analyze", "--files-from", folder + "/files.txt", "--format", "csv", "--out", folder + "/one.csv", "-j", "1"])) }
        if round % 2 == 0 { single() }
        let start = DispatchTime.now().uptimeNanoseconds
        let tasks = (1...shards).map { i in
            startEEG(eeg, ["analyze", "--files-from", folder + "/files.txt", "--shard", "\(i)/\(shards)", "--format", "shard", "--out", "\(folder)/shard-\(i).jsonl", "-j", "1"])
        }
        tasks.forEach { $0?.waitUntilExit() }
        merge.append(runEEG(eeg, ["merge"] + (1...shards).map { "\(folder)/shard-\($0).jsonl" } + ["--format", "csv", "--out", folder + "/merged.csv"]))
        array.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        if round % 2 == 1 { single() }
    }
    let same = FileManager.default.contentsEqual(atPath: folder + "/one.csv", andPath: folder + "/merged.csv")
    let speedups = zip(one, array).map { $0 / $1 }
    print("eeg analyze as a job array (\(minutes.count) BDF files, \(minutes.reduce(0, +)) min of 8 ch at 250 Hz; \(shards) shard processes, \(cores) cores; \(one.count) rounds alternating)")
    print(String(format: "  one process -j 1 best %.2f s (spread %@); %d shards + merge best %.2f s (spread %@; merge best %.2f s)",
                 one.min() ?? 0, spread(one), shards, array.min() ?? 0, spread(array), merge.min() ?? 0))
    print(String(format: "  speedup best/best %.2fx, per round %.2f–%.2fx (bounded by the %d cores)%@",
                 (one.min() ?? 0) / (array.min() ?? 1), speedups.min() ?? 0, speedups.max() ?? 0, cores, same ? "" : "  MERGED CSV DIFFERS"))
}

/// "+x %": how far the slowest of `times` is above the fastest.
private func spread(_ times: [Double]) -> String {
    guard let low = times.min(), let high = times.max(), low > 0 else { return "n/a" }
    return String(format: "+%.0f %%", 100 * (high - low) / low)
}

/// Starts eeg with its output discarded.
private func startEEG(_ eeg: String, _ arguments: [String]) -> Process? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: eeg)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    return (try? process.run()) != nil ? process : nil
}

/// Runs eeg to its end; returns the seconds it took.
private func runEEG(_ eeg: String, _ arguments: [String]) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    startEEG(eeg, arguments)?.waitUntilExit()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
