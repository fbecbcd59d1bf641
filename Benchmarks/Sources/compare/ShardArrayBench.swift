import Foundation

/// `eeg analyze` split as a job array would run it — N shard processes started together
/// (`--shard I/N --format shard -j 1`), then `eeg merge` — against one process over the
/// same files (`-j 1`), wall time, best of 3, alternating. The merged CSV must equal the
/// single run's byte for byte (checked). On this machine the array's processes share its
/// cores: the speedup is bounded by the core count (2 here), not by the number of shards.
func shardArrayRow(eeg: String, quick: Bool) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-shards-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Recordings of different lengths (minutes), so the size balancing matters.
    let minutes = quick ? [8, 1, 5, 2, 6, 3, 4, 7] : [40, 5, 25, 10, 30, 15, 20, 35]
    var list = ""
    for (i, m) in minutes.enumerated() {
        let path = "\(folder)/r\(i + 1).bdf"
        _ = runEEG(eeg, ["record", "--device", "sim", "--speed", "max", "--duration", "\(m)m", "--seed", "\(i + 1)", "--out", path])
        list += path + "\n"
    }
    try? list.write(toFile: folder + "/files.txt", atomically: true, encoding: .utf8)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let shards = max(2, cores)
    var one = Double.infinity, array = Double.infinity, merge = Double.infinity
    for _ in 0..<3 {
        one = min(one, runEEG(eeg, ["analyze", "--files-from", folder + "/files.txt", "--format", "csv", "--out", folder + "/one.csv", "-j", "1"]))
        let start = DispatchTime.now().uptimeNanoseconds
        let tasks = (1...shards).map { i in
            startEEG(eeg, ["analyze", "--files-from", folder + "/files.txt", "--shard", "\(i)/\(shards)", "--format", "shard", "--out", "\(folder)/shard-\(i).jsonl", "-j", "1"])
        }
        tasks.forEach { $0?.waitUntilExit() }
        let merged = runEEG(eeg, ["merge"] + (1...shards).map { "\(folder)/shard-\($0).jsonl" } + ["--format", "csv", "--out", folder + "/merged.csv"])
        array = min(array, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        merge = min(merge, merged)
    }
    let same = FileManager.default.contentsEqual(atPath: folder + "/one.csv", andPath: folder + "/merged.csv")
    print("eeg analyze as a job array (\(minutes.count) BDF files, \(minutes.reduce(0, +)) min of 8 ch at 250 Hz; \(shards) shard processes, \(cores) cores)")
    print(String(format: "  one process -j 1 %.2f s; %d shards + merge %.2f s (merge %.2f s): speedup %.2fx (bounded by the %d cores)%@",
                 one, shards, array, merge, one / array, cores, same ? "" : "  MERGED CSV DIFFERS"))
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
