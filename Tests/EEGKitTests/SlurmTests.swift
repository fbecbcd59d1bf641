import EEGKit
import Foundation
import Testing
import TestSupport

/// Starts `command` with bash in `directory`, standard input /dev/null, standard output
/// and error appended to `log`, every other descriptor closed first (a daemon must not
/// keep another test's pipe open). posix_spawn and waitpid, not Foundation's Process:
/// the daemons live for the whole test, and the shells are reaped here by their ids.
func spawnShell(_ command: String, in directory: String, log: String, environment: [String: String] = [:]) throws -> pid_t {
    let quoted = SlurmScript.quoted(directory)
    let script = "cd /proc/$$/fd && for fd in *; do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; cd \(quoted) && \(command)"
    let words: [String] = ["/bin/bash", "-c", script]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var pid: pid_t = 0
    let status = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, envp)
    guard status == 0 else { throw ClusterFailure("cannot start bash: \(String(cString: strerror(status)))") }
    return pid
}

/// The exit status of `pid` once it ends (128 + the signal when killed).
func waitFor(_ pid: pid_t, block: Bool = true) -> Int32? {
    var status: Int32 = 0
    let result = waitpid(pid, &status, block ? 0 : WNOHANG)
    guard result == pid else { return result == 0 ? nil : -1 }
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// Runs `command` with bash in `directory` with `environment` added; waits for it.
@discardableResult
func shell(_ command: String, in directory: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let log = scratchPath("log")
    defer { unlink(log) }
    let pid = try spawnShell(command, in: directory, log: log, environment: environment)
    let status = waitFor(pid) ?? -1
    return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// What one `eeg analyze` over the dataset writes: CSV on standard output and the report
/// (timestamp taken out), with its exit code.
func singleRun(report: String) throws -> (csv: EEGProcess, report: String) {
    let run = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", "csv", "--report", report])
    return (run, ShardMergeTests.normalised(try ShardMergeTests.read(report)))
}

@Suite("eeg slurm: the script it writes", .serialized)
struct SlurmScriptTests {
    /// A stand-in for sbatch: runs the job script from standard input at once (each array
    /// task in turn, with SLURM_ARRAY_TASK_ID set), and a job with --dependency=afterok
    /// only when the job it waits for succeeded. Every call is logged.
    static let fakeSbatch = """
        #!/bin/sh
        state="$FAKE_SLURM_STATE"
        echo "sbatch $*" >> "$state/calls"
        array=""; after=""
        for a in "$@"; do case "$a" in --array=*) array="${a#--array=}";; --dependency=afterok:*) after="${a#--dependency=afterok:}";; esac; done
        id=$(( $(cat "$state/next" 2>/dev/null || echo 100) + 1 )); echo $id > "$state/next"
        cat > "$state/job-$id.sh"
        if [ -n "$after" ] && [ -e "$state/failed-$after" ]; then echo $id; exit 0; fi
        if [ -n "$array" ]; then
          for range in $(echo "$array" | tr ',' ' '); do
            for i in $(seq "${range%-*}" "${range#*-}"); do
              SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=1 sh "$state/job-$id.sh" > "$state/task-$id-$i.log" 2>&1 || touch "$state/failed-$id"
            done
          done
        else
          sh "$state/job-$id.sh" > "$state/job-$id.log" 2>&1 || touch "$state/failed-$id"
        fi
        echo $id

        """

    @Test("run.sh submits one task per shard and a merge after them; the merge writes one run's bytes; one task again reuses the others")
    func scriptThroughFakeSbatch() throws {
        let folder = ShardDataset.made.folder
        let state = folder + "/fake-state", bin = folder + "/fake-bin"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try Self.fakeSbatch.write(toFile: bin + "/sbatch", atomically: true, encoding: .utf8)
        _ = chmod(bin + "/sbatch", 0o755)
        let generate = try ShardDataset.eeg(["slurm", "--files-from", "files.txt", "--shards", "4", "--dir", "fake", "--format", "csv",
                                             "--report", "fake/report.html", "--eeg", EEGProcess.executable.path, "--time", "0:10:00"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let script = try ShardMergeTests.read("fake/run.sh")
        #expect(script.contains("#SBATCH --output=\(folder)/fake/logs/analyze-%A_%a.log\n"))
        #expect(script.contains("#SBATCH --time=0:10:00\n"))
        #expect(script.contains("shard=$((SLURM_ARRAY_TASK_ID + 1))\n"))
        #expect(script.contains(" analyze --files-from \(folder)/fake/files.txt --shard \"$shard/4\" -j \"${SLURM_CPUS_PER_TASK:-1}\" --format shard --out \(folder)/fake/shards/shard-\"$shard\"-of-4.jsonl --skip-done --for-report --render csv\n"))
        #expect(try ShardMergeTests.read("fake/files.txt") == ShardDataset.made.files.joined(separator: "\n") + "\n")

        let environment = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "FAKE_SLURM_STATE": state]
        let submit = try shell("sh fake/run.sh", in: folder, environment: environment)
        #expect(submit.status == 0, "\(submit.output)")
        #expect(submit.output.contains("submitted array job 101 (tasks 0-3)"))
        let calls = try String(contentsOfFile: state + "/calls", encoding: .utf8).split(separator: "\n")
        #expect(calls == ["sbatch --parsable --array=0-3", "sbatch --parsable --dependency=afterok:101 --kill-on-invalid-dep=yes"])
        let single = try singleRun(report: "fake-single.html")
        #expect(try ShardMergeTests.read("fake/results.csv") == single.csv.stdout)
        #expect(ShardMergeTests.normalised(try ShardMergeTests.read("fake/report.html")) == single.report)

        // Task 2 (shard 3) again: the other shards are complete and left alone.
        let again = try shell("sh fake/run.sh 2", in: folder, environment: environment)
        #expect(again.status == 0, "\(again.output)")
        #expect(try String(contentsOfFile: state + "/task-103-2.log", encoding: .utf8).contains("shard 3/4: \(folder)/fake/shards/shard-3-of-4.jsonl is complete"))
        #expect(try ShardMergeTests.read("fake/results.csv") == single.csv.stdout)
    }

    @Test("flags the script owns, and analysis flags analyze refuses, are refused when the script is written")
    func refusals() throws {
        let owned = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--analyze", "--shard 1/2"])
        #expect(owned.status == 64)
        #expect(owned.stderr.contains("--analyze: --shard is set by the script for each task: leave it out"))
        let bad = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--analyze", "--epoch 0s"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--analyze: "))
        let forReport = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--analyze", "--for-report"])
        #expect(forReport.status == 64)
        #expect(forReport.stderr.contains("--analyze: --for-report is set by the script for each task: leave it out"))
        // Without a report the tasks leave the epochs' spectra out of their shards.
        let plain = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--dir", "plain"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let script = try ShardMergeTests.read("plain/run.sh")
        #expect(script.contains("--skip-done --render jsonl\n") && !script.contains("--for-report"))
        let any = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--dir", "any", "--any-format"])
        #expect(any.status == 0, "\(any.stderr)")
        #expect(try ShardMergeTests.read("any/run.sh").contains("--skip-done\n"))
        let render = try ShardDataset.eeg(["slurm", "a.edf", "--shards", "2", "--analyze", "--render csv"])
        #expect(render.status == 64)
        #expect(render.stderr.contains("--analyze: --render is set by the script for each task: leave it out"))
        #expect(SlurmScript.words("--labels 'Fp 1,Fp2' --epoch \"2s\"") == ["--labels", "Fp 1,Fp2", "--epoch", "2s"])
        #expect(SlurmScript.quoted("it's here") == "'it'\\''s here'")
        #expect(SlurmScript.quoted("/data/s01.edf") == "/data/s01.edf")
    }
}

/// A one-node Slurm cluster from Debian's slurm-wlm and munge, in a temporary folder:
/// munged, slurmctld and slurmd started here (in the foreground, so their process ids are
/// ours) and stopped by `stop()`. Controller and node are 127.0.0.1; the ports are free
/// ones the kernel picked.
final class SlurmCluster {
    let folder: String
    var environment: [String: String] { ["SLURM_CONF": folder + "/slurm.conf"] }
    /// The daemons' process ids, in the order they started.
    private var daemons: [pid_t] = []

    /// Why this machine cannot run the cluster (not root, packages missing), or nil.
    static var unavailable: String? {
        guard getuid() == 0 else { return "the real-Slurm test runs as root (as CI does)" }
        let needed = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/scontrol", "/usr/bin/scancel", "/usr/bin/sinfo"]
        let missing = needed.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        return missing.isEmpty ? nil : "missing \(missing.joined(separator: ", ")) (make setup installs slurm-wlm and munge)"
    }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-slurm-\(UUID().uuidString)").path
        for sub in ["state", "spool", "munge"] { try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true) }
        _ = chmod(folder + "/munge", 0o700)
        var key = [UInt8](repeating: 0, count: 1024)
        for i in key.indices { key[i] = UInt8.random(in: 0...255) }
        FileManager.default.createFile(atPath: folder + "/munge/munge.key", contents: Data(key), attributes: [.posixPermissions: 0o600])
        try config(ports: (Self.freePort(), Self.freePort())).write(toFile: folder + "/slurm.conf", atomically: true, encoding: .utf8)
    }

    private func config(ports: (Int, Int)) -> String {
        """
        ClusterName=eegkittest
        SlurmctldHost=localhost(127.0.0.1)
        SlurmctldPort=\(ports.0)
        SlurmdPort=\(ports.1)
        AuthType=auth/munge
        AuthInfo=socket=\(folder)/munge/munge.socket
        CredType=cred/munge
        SlurmUser=root
        SlurmdUser=root
        StateSaveLocation=\(folder)/state
        SlurmdSpoolDir=\(folder)/spool
        SlurmctldPidFile=\(folder)/slurmctld.pid
        SlurmdPidFile=\(folder)/slurmd.pid
        SlurmctldLogFile=\(folder)/slurmctld.log
        SlurmdLogFile=\(folder)/slurmd.log
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        SchedulerType=sched/builtin
        SelectType=select/cons_tres
        SelectTypeParameters=CR_CPU
        ReturnToService=2
        MpiDefault=none
        JobAcctGatherType=jobacct_gather/none
        AccountingStorageType=accounting_storage/none
        NodeName=eegkitnode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=\(ProcessInfo.processInfo.activeProcessorCount) State=UNKNOWN
        PartitionName=eegkit Nodes=eegkitnode Default=YES MaxTime=INFINITE State=UP

        """
    }

    /// Starts the three daemons and waits (at most 60 s) for the node to be idle.
    func start() throws {
        let m = folder + "/munge/"
        try launch("/usr/sbin/munged", ["-F", "-f", "--socket=\(m)munge.socket", "--key-file=\(m)munge.key", "--log-file=\(m)munged.log",
                                        "--pid-file=\(m)munged.pid", "--seed-file=\(m)munged.seed", "--origin=127.0.0.1"], log: "munged.out")
        try wait("munged's socket") { FileManager.default.fileExists(atPath: m + "munge.socket") }
        try launch("/usr/sbin/slurmctld", ["-D", "-i", "-f", folder + "/slurm.conf"], log: "slurmctld.out")
        try launch("/usr/sbin/slurmd", ["-D", "-N", "eegkitnode", "-f", folder + "/slurm.conf"], log: "slurmd.out")
        try wait("the node to be idle") { (try? shell("sinfo -h -o %T", in: folder, environment: environment).output.hasPrefix("idle")) == true }
    }

    private func launch(_ path: String, _ arguments: [String], log: String) throws {
        let command = "exec " + ([path] + arguments).map(SlurmScript.quoted).joined(separator: " ")
        daemons.append(try spawnShell(command, in: folder, log: folder + "/" + log, environment: environment))
    }

    /// Polls `ready` every 0.2 s; a hang guard of `seconds`, not a timing assertion.
    func wait(_ what: String, seconds: Double = 60, _ ready: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try ready() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw ClusterFailure("waited \(Int(seconds)) s for \(what); logs: \(logs())")
    }

    /// A job's state (COMPLETED, FAILED, CANCELLED, RUNNING…) and exit code ("65:0").
    func job(_ id: String) throws -> (state: String, exit: String) {
        let text = try shell("scontrol show job \(id)", in: folder, environment: environment).output
        func field(_ name: String) -> String {
            text.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? ""
        }
        return (field("JobState"), field("ExitCode"))
    }

    /// Waits until job `id` has ended; returns its state and exit code.
    func finished(_ id: String) throws -> (state: String, exit: String) {
        var result = ("", "")
        try wait("job \(id) to end") {
            result = try job(id)
            return ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"].contains(result.0)
        }
        return result
    }

    func logs() -> String {
        ["slurmctld.log", "slurmd.log", "munge/munged.log"].map { name in
            "\(name): " + ((try? String(contentsOfFile: folder + "/" + name, encoding: .utf8))?.suffix(1500) ?? "none")
        }.joined(separator: "\n")
    }

    /// Stops every daemon started here, by process id: SIGTERM, then SIGKILL after 10 s.
    func stop() {
        for pid in daemons.reversed() {
            kill(pid, SIGTERM)
            let end = Date().addingTimeInterval(10)
            while waitFor(pid, block: false) == nil && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
            if kill(pid, 0) == 0 {
                kill(pid, SIGKILL)
                _ = waitFor(pid)
            }
        }
        daemons.removeAll()
    }

    /// A TCP port on 127.0.0.1 nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ClusterFailure("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ClusterFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite("a real one-node Slurm cluster runs the script eeg slurm writes", .serialized)
struct SlurmClusterTests {
    @Test("4 shards as an array, merged after them: one run's bytes; a task killed mid-run and submitted again: the same bytes")
    func arrayOnRealSlurm() throws {
        if let reason = SlurmCluster.unavailable {
            print("◇ skipped: the real-Slurm test: \(reason)")
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("the real-Slurm test did not run: \(reason)") }
            return
        }
        let cluster = try SlurmCluster()
        defer { cluster.stop() }
        try cluster.start()
        let folder = ShardDataset.made.folder
        let partial = folder + "/real/shards/shard-1-of-4.jsonl.partial", hold = folder + "/real/hold-shard-1"
        // The jobs run eeg through this wrapper: while the hold file exists, shard 1's task
        // (the largest file, 5 minutes, goes there) stops its eeg as soon as the shard's
        // .partial file appears — mid-run — so the test can kill the task there.
        let wrapper = """
            #!/bin/sh
            if [ "$1" = analyze ] && [ -e '\(hold)' ] && echo "$*" | grep -q -- '--shard 1/4'; then
              '\(EEGProcess.executable.path)' "$@" & pid=$!
              while [ ! -e '\(partial)' ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
              kill -STOP $pid; echo $pid > '\(hold).stopped'; wait $pid; exit $?
            fi
            exec '\(EEGProcess.executable.path)' "$@"

            """
        try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
        try wrapper.write(toFile: folder + "/real/eeg", atomically: true, encoding: .utf8)
        _ = chmod(folder + "/real/eeg", 0o755)
        FileManager.default.createFile(atPath: hold, contents: nil)
        let generate = try ShardDataset.eeg(["slurm", "--files-from", "files.txt", "--shards", "4", "--dir", "real", "--format", "csv",
                                             "--report", "real/report.html", "--eeg", folder + "/real/eeg"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let single = try singleRun(report: "real-single.html")

        // Submitted; shard 1's eeg is killed mid-run: no shard file, the merge is cancelled.
        let first = try submit(cluster, "sh real/run.sh")
        try cluster.wait("shard 1 to stop mid-run") { FileManager.default.fileExists(atPath: hold + ".stopped") }
        #expect(FileManager.default.fileExists(atPath: partial), "stopped after the shard was complete: not mid-run")
        // Killed as a lost node kills it: SIGKILL, no chance to tidy up. The task fails.
        let pid = try #require(Int32(try String(contentsOfFile: hold + ".stopped", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        #expect(try cluster.finished(first.array + "_0").state == "FAILED")
        #expect(try cluster.finished(first.merge).state == "CANCELLED", "\(cluster.logs())")
        #expect(!FileManager.default.fileExists(atPath: folder + "/real/shards/shard-1-of-4.jsonl"))
        let named = try ShardDataset.eeg(["merge", "real/shards/shard-2-of-4.jsonl", "real/shards/shard-3-of-4.jsonl", "real/shards/shard-4-of-4.jsonl"])
        #expect(named.status == 66)
        #expect(named.stderr.contains("shard 1/4 is missing"))

        // Task 0 (shard 1) submitted again, and the merge after it: one run's bytes.
        try FileManager.default.removeItem(atPath: hold)
        let again = try submit(cluster, "sh real/run.sh 0")
        let merged = try cluster.finished(again.merge)
        #expect(merged.state == "FAILED" && merged.exit == "\(single.csv.status):0", "\(merged)")  // the corrupt file's 65, as one run
        #expect(try ShardMergeTests.read("real/results.csv") == single.csv.stdout)
        #expect(ShardMergeTests.normalised(try ShardMergeTests.read("real/report.html")) == single.report)

        // Everything again: every shard is complete and left as it is; merged again, the same bytes.
        try FileManager.default.removeItem(atPath: folder + "/real/results.csv")
        let third = try submit(cluster, "sh real/run.sh")
        #expect(try cluster.finished(third.merge).exit == "\(single.csv.status):0")
        #expect(try ShardMergeTests.read("real/results.csv") == single.csv.stdout)
    }

    /// Runs the script; the array's and the merge's job ids from what it says.
    func submit(_ cluster: SlurmCluster, _ command: String) throws -> (array: String, merge: String) {
        let run = try shell(command, in: ShardDataset.made.folder, environment: cluster.environment)
        #expect(run.status == 0, "\(run.output)")
        func id(after prefix: String) -> String {
            run.output.components(separatedBy: prefix).dropFirst().first.map { String($0.prefix { $0.isNumber }) } ?? ""
        }
        let ids = (id(after: "submitted array job "), id(after: "submitted merge job "))
        guard !ids.0.isEmpty, !ids.1.isEmpty else { throw ClusterFailure("no job ids in: \(run.output)") }
        return ids
    }
}
