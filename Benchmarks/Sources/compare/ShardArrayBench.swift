import Foundation

/// `eeg analyze` split as a job array would run it — N shard processes started together
/// (`--shard I/N --format shard -j 1`), then `eeg merge` — against one process over the
/// same files (`-j 1`), wall time. Two kinds of shard: records (any merge format) and
/// rendered (`--render csv`, what `eeg slurm` writes: the merge copies the epochs' text).
/// The dataset is what a cluster array is for: hours of recordings, so the analysis and not
/// process start-up dominates. Rounds rotate which side runs first; each row prints the
/// best of each side, its spread over the rounds, and the per-round speedups, plus the
/// CPU-time critical path (the slowest shard's CPU + the merge's, against the single
/// process's CPU), which a loaded machine disturbs less than wall time. The merged CSV must
/// equal the single run's byte for byte (checked). On this machine the array's processes
/// share its cores: the speedup is bounded by the core count (2 here), not the shards.
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
    let files = folder + "/files.txt"
    var one = ArraySide(), records = ArraySide(), rendered = ArraySide()
    for round in 0..<(quick ? 3 : 7) {
        let sides: [() -> Void] = [
            { one.add(runEEG(eeg, ["analyze", "--files-from", files, "--format", "csv", "--out", folder + "/one.csv", "-j", "1"])) },
            { records.add(runArray(eeg, files: files, shards: shards, folder: folder, name: "records", shardFlags: [])) },
            { rendered.add(runArray(eeg, files: files, shards: shards, folder: folder, name: "rendered", shardFlags: ["--render", "csv"])) },
        ]
        for k in 0..<sides.count { sides[(round + k) % sides.count]() }
    }
    print("eeg analyze as a job array (\(minutes.count) BDF files, \(minutes.reduce(0, +)) min of 8 ch at 250 Hz; \(shards) shard processes, \(cores) cores; \(one.wall.count) rounds, order rotated)")
    print(String(format: "  one process -j 1 best %.2f s (spread %@), CPU best %.2f s", one.wall.min() ?? 0, spread(one.wall), one.cpu.min() ?? 0))
    for (name, side) in [("record shards + merge", records), ("rendered shards (--render csv) + merge", rendered)] {
        let same = FileManager.default.contentsEqual(atPath: folder + "/one.csv", andPath: folder + "/merged-\(name.hasPrefix("record") ? "records" : "rendered").csv")
        let speedups = zip(one.wall, side.wall).map { $0 / $1 }
        print(String(format: "  %@: best %.2f s (spread %@; merge best %.2f s, CPU %.2f s); speedup best/best %.2fx, per round %.2f–%.2fx (bounded by the %d cores); CPU critical path %.2f s: %.2fx%@",
                     name, side.wall.min() ?? 0, spread(side.wall), side.merge.min() ?? 0, side.mergeCPU.min() ?? 0,
                     (one.wall.min() ?? 0) / (side.wall.min() ?? 1), speedups.min() ?? 0, speedups.max() ?? 0, cores,
                     side.cpu.min() ?? 0, (one.cpu.min() ?? 0) / (side.cpu.min() ?? 1), same ? "" : "  MERGED CSV DIFFERS"))
    }
}

/// One side's rounds: wall seconds, and CPU seconds on its critical path.
private struct ArraySide {
    var wall: [Double] = [], cpu: [Double] = [], merge: [Double] = [], mergeCPU: [Double] = []

    mutating func add(_ run: Timed) {
        wall.append(run.wall)
        cpu.append(run.cpu)
    }

    mutating func add(_ run: (all: Timed, merge: Timed)) {
        add(run.all)
        merge.append(run.merge.wall)
        mergeCPU.append(run.merge.cpu)
    }
}

/// Wall and CPU (user + system) seconds of a run.
private struct Timed {
    var wall: Double
    var cpu: Double
}

/// The shards started together, then the merge into `merged-NAME.csv`: the whole wall
/// time with the critical path's CPU (the slowest shard's + the merge's), and the merge's.
private func runArray(_ eeg: String, files: String, shards: Int, folder: String, name: String, shardFlags: [String]) -> (all: Timed, merge: Timed) {
    let start = DispatchTime.now().uptimeNanoseconds
    let tasks = (1...shards).map { i in
        spawnEEG(eeg, ["analyze", "--files-from", files, "--shard", "\(i)/\(shards)", "--format", "shard", "--out", "\(folder)/\(name)-\(i).jsonl", "-j", "1"] + shardFlags)
    }
    let shardCPU = tasks.map { waitEEG($0, since: start).cpu }.max() ?? 0
    let merge = runEEG(eeg, ["merge"] + (1...shards).map { "\(folder)/\(name)-\($0).jsonl" } + ["--format", "csv", "--out", "\(folder)/merged-\(name).csv"])
    return (Timed(wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu: shardCPU + merge.cpu), merge)
}

/// "+x %": how far the slowest of `times` is above the fastest.
private func spread(_ times: [Double]) -> String {
    guard let low = times.min(), let high = times.max(), low > 0 else { return "n/a" }
    return String(format: "+%.0f %%", 100 * (high - low) / low)
}

/// Starts eeg with its output discarded; -1 if it could not be started.
private func spawnEEG(_ eeg: String, _ arguments: [String]) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([eeg] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = -1
    return posix_spawn(&pid, eeg, &actions, nil, argv, environ) == 0 ? pid : -1
}

/// Waits for `pid`: wall seconds since `start` (uptime ns) and its CPU seconds.
private func waitEEG(_ pid: pid_t, since start: UInt64) -> Timed {
    var status: Int32 = 0
    var usage = rusage()
    guard pid > 0 else { return Timed(wall: 0, cpu: 0) }
    while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return Timed(wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu: cpu)
}

/// Runs eeg to its end: its wall and CPU seconds.
private func runEEG(_ eeg: String, _ arguments: [String]) -> Timed {
    let start = DispatchTime.now().uptimeNanoseconds
    return waitEEG(spawnEEG(eeg, arguments), since: start)
}
