import ArgumentParser
import EEGKit
import Foundation

struct Slurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Slurm script that analyzes recordings as a job array and merges the results.",
        discussion: """
            Writes DIR/run.sh and DIR/files.txt. Running 'sh DIR/run.sh' submits one array \
            task per shard (eeg analyze --shard I/N --format shard, shards balanced by \
            file size) and a merge job that runs when every task has succeeded \
            (--dependency=afterok) and writes exactly what one 'eeg analyze' over all the \
            files writes. --analyze gives every task the same analysis flags; --format, \
            --out and --report are the merge's. The tasks render their epochs in \
            --format (--render), so the merge copies them; --any-format keeps records \
            instead, for a merge into any format.

            Examples:
              eeg slurm data/*.edf --shards 16 --dir run1 --format csv --out run1/results.csv
              eeg slurm --files-from list.txt --shards 64 --time 1:00:00 --report report.html --analyze "--filter 1-45 --notch 50"
              sh run1/run.sh          # submit; 'sh run1/run.sh 3' submits array task 3 again
            """
    )

    @Argument(help: ArgumentHelp("Recordings to analyze.", valueName: "file"))
    var files: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("analyze's analysis flags for every task, as one argument (quotes group words), e.g. \"--epoch 2s --filter 1-45\".", valueName: "flags"))
    var analyze = ""

    var analyzeArguments: [String] { SlurmScript.words(analyze) }

    @Option(name: .customLong("files-from"), help: ArgumentHelp("Also the recordings this file lists, one path a line.", valueName: "list"))
    var filesFrom: String?

    @Option(help: ArgumentHelp("Array tasks (shards), balanced by file size.", valueName: "N"))
    var shards: Int

    @Option(help: ArgumentHelp("Where run.sh, files.txt, shards/ and logs/ go.", valueName: "dir"))
    var dir = "eeg-slurm"

    @Option(help: "The merged results: table, csv, jsonl or json (default jsonl).")
    var format: AnalysisFormat = .jsonl

    @Option(help: ArgumentHelp("The merged results' file (default: DIR/results.FORMAT).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Also the HTML report, written by the merge.", valueName: "file.html"))
    var report: String?

    @Flag(name: .customLong("any-format"), help: "Write the shards as epoch records, which merge into any format, instead of rendered in --format for the merge to copy (the merge then renders every epoch: slower).")
    var anyFormat = false

    @Option(name: .customLong("cpus-per-task"), help: ArgumentHelp("Cores per task (its -j).", valueName: "n"))
    var cpusPerTask = 1

    @Option(help: ArgumentHelp("Each task's time limit (#SBATCH --time), e.g. 2:00:00.", valueName: "limit"))
    var time: String?

    @Option(help: ArgumentHelp("The partition (#SBATCH --partition).", valueName: "name"))
    var partition: String?

    @Option(help: ArgumentHelp("The eeg the jobs run (default: this one).", valueName: "path"))
    var eeg: String?

    /// Flags the script sets for each task itself.
    static let scriptOwned: Set<String> = ["--shard", "--format", "--out", "--files-from", "--skip-done", "--for-report", "--render", "--report", "--save-calibration", "-j", "--jobs"]

    func validate() throws {
        if files.isEmpty && filesFrom == nil { throw ValidationError("give the recordings, e.g. eeg slurm data/*.edf --shards 16") }
        try checked(shards, flag: "--shards", in: ArgumentValues.shardCountRange)
        try checked(cpusPerTask, flag: "--cpus-per-task", in: ArgumentValues.jobsRange)
        if let owned = analyzeArguments.first(where: { Self.scriptOwned.contains(String($0.split(separator: "=", maxSplits: 1).first ?? "")) }) {
            throw ValidationError("--analyze: \(owned) is set by the script for each task: leave it out")
        }
        for setting in [time, partition].compactMap({ $0 }) where setting.contains(where: \.isNewline) {
            throw ValidationError("a Slurm setting is one line: '\(setting)'")
        }
        // The analysis flags are analyze's: checked now, not when the tasks start.
        do { _ = try Analyze.parse(["placeholder.edf"] + analyzeArguments) } catch {
            throw ValidationError("--analyze: \(Analyze.message(for: error))")
        }
    }

    func run() throws {
        let list: [String]
        do { list = files + (try filesFrom.map(FileList.read) ?? []) } catch { throw fail("slurm", error) }
        let cwd = FileManager.default.currentDirectoryPath
        let directory = Self.absolute(dir, in: cwd)
        var script = SlurmScript(eeg: eeg.map { Self.absolute($0, in: cwd) } ?? Self.executable, workingDirectory: cwd, directory: directory,
                                 plan: ShardPlan(paths: list, shards: shards))
        // The tasks keep the epochs' spectra only when the merge draws a report, and render
        // the epochs in the merge's format, so that the merge copies them.
        script.analyzeArguments = (report == nil ? [] : ["--for-report"]) + (anyFormat ? [] : ["--render", format.rawValue]) + analyzeArguments
        script.mergeArguments = ["--format", format.rawValue, "--out", out.map { Self.absolute($0, in: cwd) } ?? directory + "/results." + format.rawValue]
            + (report.map { ["--report", Self.absolute($0, in: cwd)] } ?? [])
        script.taskSettings = ["--cpus-per-task=\(cpusPerTask)"] + (time.map { ["--time=\($0)"] } ?? []) + (partition.map { ["--partition=\($0)"] } ?? [])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try TextOutput(path: script.fileListPath).write(script.fileList)
            try TextOutput(path: script.scriptPath).write(script.text)
            _ = chmod(script.scriptPath, 0o755)
        } catch {
            throw fail("slurm", error)
        }
        printStatus("wrote \(script.scriptPath) (\(list.count) files in \(shards) shards) and \(script.fileListPath); read it, then submit: sh \(SlurmScript.quoted(script.scriptPath))")
    }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }

    /// This executable's path, for the jobs to run.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
