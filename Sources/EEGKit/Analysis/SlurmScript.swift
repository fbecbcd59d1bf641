import Foundation

/// The shell script `eeg slurm` writes: run once, it submits a Slurm job array — one task
/// per shard, `eeg analyze --shard I/N --format shard` — and a merge job that waits for
/// every task to succeed (`--dependency=afterok`) and writes what one `eeg analyze` over
/// all the files writes. Plain text for a person to read and edit before running it.
public struct SlurmScript: Sendable {
    /// The `eeg` executable the jobs run (absolute).
    public var eeg: String
    /// The directory the recordings' paths are relative to (the jobs `cd` there).
    public var workingDirectory: String
    /// Where the script, the file list, `shards/` and `logs/` go (absolute).
    public var directory: String
    public var plan: ShardPlan
    /// analyze's analysis flags (`--epoch 2s --filter 1-45 …`), the same for every task.
    public var analyzeArguments: [String] = []
    /// merge's output flags (`--format csv --out results.csv --report report.html`).
    public var mergeArguments: [String] = []
    /// `#SBATCH` settings of the analysis tasks besides the array and log names, e.g.
    /// `--cpus-per-task=2`, `--time=2:00:00`, `--partition=short`.
    public var taskSettings: [String] = ["--cpus-per-task=1"]

    public init(eeg: String, workingDirectory: String, directory: String, plan: ShardPlan) {
        self.eeg = eeg
        self.workingDirectory = workingDirectory
        self.directory = directory
        self.plan = plan
    }

    public var scriptPath: String { directory + "/run.sh" }
    public var fileListPath: String { directory + "/files.txt" }
    /// The shard file task `shard` writes.
    public func shardPath(_ shard: Int) -> String { directory + "/shards/shard-\(shard)-of-\(plan.shards).jsonl" }

    /// The file list, one path a line, in the user's order.
    public var fileList: String { plan.paths.map { $0 + "\n" }.joined() }

    /// The script's text.
    public var text: String {
        let n = plan.shards, q = Self.quoted
        let analyze = [q(eeg), "analyze", "--files-from", q(fileListPath), "--shard", "\"$shard/\(n)\"", "-j", "\"${SLURM_CPUS_PER_TASK:-1}\"",
                       "--format", "shard", "--out", q(directory + "/shards/shard-") + "\"$shard\"" + q("-of-\(n).jsonl"), "--skip-done"]
            + analyzeArguments.map(q)
        let merge = [q(eeg), "merge", q(directory + "/shards/") + "shard-*-of-\(n).jsonl"] + mergeArguments.map(q)
        return """
        #!/bin/sh
        # Analyze \(plan.paths.count) recordings as a Slurm job array of \(n) shards, then merge the shards into
        # exactly what one 'eeg analyze' over all of them writes. Written by 'eeg slurm': read it,
        # edit it (time limits, partition, memory), then run it on a machine that submits jobs:
        #
        #   sh \(q(scriptPath))          submit every shard, and the merge that waits for them
        #   sh \(q(scriptPath)) 1,3      submit array tasks 1 and 3 (shards 2 and 4) again, and the merge
        #
        # Each shard's results go to shards/shard-I-of-\(n).jsonl, written as ….partial and renamed only
        # when complete; a complete shard is left as it is (--skip-done), so after a failure running
        # this again redoes only the shards that did not finish. Logs: logs/analyze-JOB_TASK.log.
        #
        # Shards, balanced by file size (the plan every 'eeg analyze --shard I/\(n)' makes):
        \(planComment)
        set -eu
        cd \(q(workingDirectory))
        tasks=${1:-0-\(n - 1)}
        mkdir -p \(q(directory + "/shards")) \(q(directory + "/logs"))

        array=$(sbatch --parsable --array="$tasks" <<'TASK'
        #!/bin/sh
        #SBATCH --job-name=eeg-analyze
        #SBATCH --output=\(directory)/logs/analyze-%A_%a.log
        \(taskSettings.map { "#SBATCH " + $0 }.joined(separator: "\n"))
        # Shard I of \(n) is array task I-1. The count is written out, not $SLURM_ARRAY_TASK_COUNT,
        # so that a task submitted again on its own takes its share of the same plan.
        shard=$((SLURM_ARRAY_TASK_ID + 1))
        exec \(analyze.joined(separator: " "))
        TASK
        )
        array=${array%%;*}  # --parsable may add ";cluster"
        echo "submitted array job $array (tasks $tasks)"

        # The merge waits for every task to succeed; if one fails it is cancelled, not left pending.
        merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes <<'MERGE'
        #!/bin/sh
        #SBATCH --job-name=eeg-merge
        #SBATCH --output=\(directory)/logs/merge-%j.log
        exec \(merge.joined(separator: " "))
        MERGE
        )
        merge=${merge%%;*}
        echo "submitted merge job $merge: it runs when every task has succeeded"

        """
    }

    private var planComment: String {
        (1...plan.shards).map { s in
            let files = plan.files(of: s)
            return "#   shard \(s): \(files.count) file\(files.count == 1 ? "" : "s"), \(ByteCountFormatter.string(fromByteCount: plan.bytes(of: s), countStyle: .file))"
        }.joined(separator: "\n")
    }

    /// `text` split into words as a shell splits a simple command line: at spaces, with
    /// '…' and "…" grouping words (no escapes, no expansion).
    public static func words(_ text: String) -> [String] {
        var words: [String] = [], word = "", quote: Character?, inWord = false
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// `text` for a POSIX shell: as it is when it holds only characters the shell leaves
    /// alone, in single quotes otherwise (a `'` as `'\''`).
    public static func quoted(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-./:=,+@%".unicodeScalars.contains($0)) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
