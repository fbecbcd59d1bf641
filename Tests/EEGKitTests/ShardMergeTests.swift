import EEGKit
import Foundation
import Testing
import TestSupport

/// A folder of recordings for shard tests: simulated recordings of different lengths,
/// channel counts and rates, the real EDF fixture, a corrupt file and a missing one —
/// written once per test run by `eeg record`.
enum ShardDataset {
    /// The folder and the list (relative paths, as a user would give them).
    static let made: (folder: String, files: [String]) = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-shards-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var files: [String] = []
        // (seconds, channels, rate): lengths differ so the size balancing has work to do.
        let recordings = [(300, 8, 250), (12, 4, 250), (40, 8, 250), (9, 8, 500), (30, 4, 250), (64, 8, 250),
                          (20, 8, 250), (15, 2, 250), (50, 8, 250), (25, 4, 125)]
        for (i, r) in recordings.enumerated() {
            let name = "s\(i + 1).bdf"
            _ = try? EEGProcess(["record", "--device", "sim", "--speed", "max", "--duration", "\(r.0)s", "--sim-channels", "\(r.1)",
                                 "--sim-rate", "\(r.2)", "--seed", "\(i + 1)", "--out", folder + "/" + name])
            files.append(name)
        }
        try? FileManager.default.copyItem(atPath: Fixtures.url("eeg/libgdf_mi128.edf").path, toPath: folder + "/mi128.edf")
        files.insert("mi128.edf", at: 3)
        // The first 3000 bytes of a recording: a header promising records that are not there.
        let whole = (try? Data(contentsOf: URL(fileURLWithPath: folder + "/s3.bdf"))) ?? Data()
        try? whole.prefix(3000).write(to: URL(fileURLWithPath: folder + "/corrupt.bdf"))
        files.insert("corrupt.bdf", at: 6)
        files.insert("missing.bdf", at: 9)
        try? (files.joined(separator: "\n") + "\n").write(toFile: folder + "/files.txt", atomically: true, encoding: .utf8)
        return (folder, files)
    }()

    /// Runs eeg in the dataset's folder (relative paths resolve there).
    static func eeg(_ arguments: [String]) throws -> EEGProcess {
        _ = made
        return try EEGProcess(arguments, workingDirectory: made.folder)
    }
}

@Suite("eeg merge: shards give what one eeg analyze gives", .serialized)
struct ShardMergeTests {
    static let formats = ["table", "csv", "json", "jsonl"]

    /// The shard files of `count` shards (relative to the dataset folder), written by
    /// `eeg analyze --format shard`.
    static func shards(_ count: Int, folder name: String, extra: [String] = []) throws -> [String] {
        try FileManager.default.createDirectory(atPath: ShardDataset.made.folder + "/" + name, withIntermediateDirectories: true)
        return try (1...count).map { i in
            let out = "\(name)/shard-\(i).jsonl"
            let run = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--shard", "\(i)/\(count)", "--format", "shard", "--out", out] + extra)
            #expect(run.status == 0, "shard \(i): \(run.stderr)")
            return out
        }
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: ShardDataset.made.folder + "/" + path, encoding: .utf8)
    }

    @Test("every format, the report and the exit code equal one run's, byte for byte, for 1 to 5 shards")
    func sameBytes() throws {
        let single = try Dictionary(uniqueKeysWithValues: Self.formats.map { f in (f, try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", f])) })
        #expect(single["jsonl"]?.status == 65)  // the corrupt file decides it, as the first failure
        #expect(single["jsonl"]?.stdout.contains("\"file\": \"corrupt.bdf\", \"error\":") == true)
        let report = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--report", "single.html", "--format", "csv"])
        for count in [1, 3, 5] {
            let shards = try Self.shards(count, folder: "by\(count)")
            for f in Self.formats {
                let merged = try ShardDataset.eeg(["merge", "--format", f] + shards)
                #expect(merged.status == single[f]?.status, "\(count) shards, \(f): \(merged.stderr)")
                #expect(merged.stdout == single[f]?.stdout, "\(count) shards, \(f)")
                #expect(merged.stderr.contains("eeg merge: error: cannot open missing.bdf"))
            }
            // The report draws the epochs' spectra: shards written --for-report carry them.
            let forReport = try Self.shards(count, folder: "report\(count)", extra: ["--for-report"])
            let merged = try ShardDataset.eeg(["merge", "--report", "by\(count)/merged.html", "--format", "csv"] + forReport.reversed())
            #expect(merged.stdout == report.stdout)
            #expect(try Self.normalised(Self.read("by\(count)/merged.html")) == Self.normalised(Self.read("single.html")))
        }
    }

    @Test("merge --report refuses shards written without the epochs' spectra, naming the shard and --for-report")
    func reportNeedsSpectra() throws {
        let bare = try Self.shards(2, folder: "bare")
        let merged = try ShardDataset.eeg(["merge", "--report", "bare/merged.html", "--format", "csv"] + bare)
        #expect(merged.status == 65)
        #expect(merged.stderr == "eeg merge: error: bare/shard-1.jsonl: shard 1/2 was written without the epochs' spectra the report draws: run the shards with --for-report ('eeg slurm --report' does), then merge with --report\n")
        #expect(merged.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: ShardDataset.made.folder + "/bare/merged.html"))
        let misplaced = try ShardDataset.eeg(["analyze", "x.bdf", "--for-report"])
        #expect(misplaced.status == 64)
        #expect(misplaced.stderr.contains("--for-report keeps what 'eeg merge --report' needs in a shard file: it goes with --format shard"))
    }

    @Test("a hostile epoch line under a correct checksum is refused, naming the shard file, the line, the byte and the column")
    func hostileEpochLine() throws {
        let shard = try Self.shards(1, folder: "hostile")[0]
        var lines = try Self.read(shard).split(separator: "\n").map(String.init)
        let k = try #require(lines.firstIndex { $0.hasPrefix("{\"epoch\":") })
        // An epoch whose first channel's band powers hold a number no Double holds.
        lines[k] = try #require(lines[k].replacingOccurrences(of: #"\{"absolute":\[[^,]*"#, with: #"{"absolute":[1e999"#, options: .regularExpression))
        let column = try #require(lines[k].range(of: "1e999")).lowerBound.utf16Offset(in: lines[k]) + 1
        var sum = ShardChecksum()
        for line in lines.dropLast() { sum.add(line + "\n") }
        lines[lines.count - 1] = lines[lines.count - 1].replacingOccurrences(of: #"fnv1a64:[0-9a-f]{16}"#, with: sum.digest, options: .regularExpression)
        try (lines.joined(separator: "\n") + "\n").write(toFile: ShardDataset.made.folder + "/" + shard, atomically: true, encoding: .utf8)
        let byte = lines[..<k].reduce(0) { $0 + $1.utf8.count + 1 }
        let merged = try ShardDataset.eeg(["merge", shard, "--format", "csv"])
        #expect(merged.status == 65)
        #expect(merged.stderr.hasSuffix("eeg merge: error: \(shard): not a complete shard file: line \(k + 1) (byte \(byte)) is not an epoch record: at column \(column): expected a number a Double holds\n"), "\(merged.stderr)")
    }

    /// The report with its generation time taken out.
    static func normalised(_ html: String) -> String {
        html.replacingOccurrences(of: #"Generated by EEGKit [0-9T:+\-Z]+ "#, with: "Generated by EEGKit (time) ", options: .regularExpression)
    }

    @Test("a missing shard, a shard cut short, a damaged one and shards of other settings are named; nothing is written")
    func refusals() throws {
        let shards = try Self.shards(3, folder: "refusals")
        let folder = ShardDataset.made.folder + "/"
        let missing = try ShardDataset.eeg(["merge", shards[0], shards[2]])
        #expect(missing.status == 66)
        #expect(missing.stderr == "eeg merge: error: shard 2/3 is missing: no shard file given holds it; run it again, then merge\n")
        #expect(missing.stdout.isEmpty)

        // Cut short: the completion line and the file's last lines gone, as a killed task leaves it.
        let whole = try Self.read(shards[1])
        let lines = whole.split(separator: "\n", omittingEmptySubsequences: false)
        try (lines.prefix(lines.count - 4).joined(separator: "\n") + "\n").write(toFile: folder + "refusals/cut.jsonl", atomically: true, encoding: .utf8)
        let cut = try ShardDataset.eeg(["merge", shards[0], "refusals/cut.jsonl", shards[2]])
        #expect(cut.status == 65)
        #expect(cut.stderr.hasPrefix("eeg merge: error: refusals/cut.jsonl: shard 2/3 was cut short: "))
        #expect(cut.stderr.contains("the completion line is missing"))
        #expect(cut.stdout.isEmpty)

        // Damaged: one digit changed inside, the completion line intact.
        var damaged = whole
        let at = try #require(damaged.range(of: "\"start\":4"))
        damaged.replaceSubrange(at, with: "\"start\":5")
        try damaged.write(toFile: folder + "refusals/damaged.jsonl", atomically: true, encoding: .utf8)
        let bad = try ShardDataset.eeg(["merge", shards[0], "refusals/damaged.jsonl", shards[2]])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("refusals/damaged.jsonl: not a complete shard file: its checksum does not match its contents"))

        let other = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--shard", "2/3", "--format", "shard", "--out", "refusals/other.jsonl", "--epoch", "2s"])
        #expect(other.status == 0)
        let mixed = try ShardDataset.eeg(["merge", shards[0], "refusals/other.jsonl", shards[2]])
        #expect(mixed.status == 65)
        #expect(mixed.stderr.contains("shard 2/3 was analysed with other settings than \(shards[0])"))

        let notShard = try ShardDataset.eeg(["merge", "files.txt"])
        #expect(notShard.status == 65)
        #expect(notShard.stderr == "eeg merge: error: files.txt: not a complete shard file: its first line is not a shard header ('eeg analyze --format shard' writes shard files)\n")
        let absent = try ShardDataset.eeg(["merge", "no-such-shard.jsonl"])
        #expect(absent.status == 66)
        #expect(absent.stderr == "eeg merge: error: no-such-shard.jsonl: no such file\n")
    }

    @Test("a shard is written beside --out and renamed when complete; --skip-done leaves a complete one, redoes a broken one")
    func restartable() throws {
        let folder = ShardDataset.made.folder + "/"
        try FileManager.default.createDirectory(atPath: folder + "restart", withIntermediateDirectories: true)
        let arguments = ["analyze", "--files-from", "files.txt", "--shard", "1/2", "--format", "shard", "--out", "restart/s.jsonl", "--skip-done"]
        // What a killed task left: a partial file, and no result.
        try "{\"header\":".write(toFile: folder + "restart/s.jsonl.partial", atomically: true, encoding: .utf8)
        let first = try ShardDataset.eeg(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "restart/s.jsonl.partial"))
        let header = try ShardMerge.completeHeader(path: folder + "restart/s.jsonl")
        #expect(header.name == "1/2")
        let written = try Self.read("restart/s.jsonl")

        try "stale".write(toFile: folder + "restart/marker", atomically: true, encoding: .utf8)
        let again = try ShardDataset.eeg(arguments)
        #expect(again.status == 0)
        #expect(again.stderr.contains("shard 1/2: restart/s.jsonl is complete (\(header.assigned.count) files): left as it is (--skip-done)"))
        #expect(try Self.read("restart/s.jsonl") == written)

        try String(written.dropLast(40)).write(toFile: folder + "restart/s.jsonl", atomically: true, encoding: .utf8)
        let redone = try ShardDataset.eeg(arguments)
        #expect(redone.status == 0)
        #expect(redone.stderr.contains("was cut short"))
        #expect(redone.stderr.contains("analysing again"))
        #expect(try Self.read("restart/s.jsonl") == written)

        let refused = try ShardDataset.eeg(["analyze", "x.bdf", "--skip-done"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--skip-done needs --format shard and --out FILE"))
    }

    @Test("--shard balances by size: largest first to the lightest shard, ties to the earlier file and the lower shard")
    func balancedPlan() {
        // Hand-worked: 0 (100) → 1; 4 (50) → 2; 5 (40) → 2 (90); 1 (10) → 2 (100);
        // 2 (10) → 1 (110, tie at 100 goes to the lower shard); 3 (10) → 2 (110).
        let plan = ShardPlan(paths: ["a", "b", "c", "d", "e", "f"], sizes: [100, 10, 10, 10, 50, 40], shards: 2)
        #expect(plan.assignment == [1, 2, 1, 2, 2, 2])
        #expect(plan.files(of: 1) == [0, 2])
        #expect(plan.bytes(of: 1) == 110 && plan.bytes(of: 2) == 110)
        // Equal sizes: round-robin, file i to shard i mod N.
        #expect(ShardPlan(paths: ["a", "b", "c", "d", "e"], sizes: [7, 7, 7, 7, 7], shards: 3).assignment == [1, 2, 3, 1, 2])
        // More shards than files: one file each, the rest empty.
        #expect(ShardPlan(paths: ["a", "b"], sizes: [1, 2], shards: 4).assignment == [2, 1])
        // The fingerprint changes with a size, the order or the shard count.
        let base = ShardPlan(paths: ["a", "b"], sizes: [1, 2], shards: 2).fingerprint
        #expect(base != ShardPlan(paths: ["a", "b"], sizes: [1, 3], shards: 2).fingerprint)
        #expect(base != ShardPlan(paths: ["b", "a"], sizes: [2, 1], shards: 2).fingerprint)
        #expect(base != ShardPlan(paths: ["a", "b"], sizes: [1, 2], shards: 3).fingerprint)
    }

    @Test("a file list: one path a line, CRLF or LF, spaces kept, empty lines skipped")
    func fileList() {
        #expect(FileList.parse("a.edf\r\nb c.edf\n\n d.edf\n") == ["a.edf", "b c.edf", " d.edf"])
        #expect(FileList.parse("") == [])
    }

    @Test("the checksum is FNV-1a 64 (reference values)")
    func checksum() {
        var empty = ShardChecksum()
        #expect(empty.digest == "fnv1a64:cbf29ce484222325")
        empty.add("a")
        #expect(empty.digest == "fnv1a64:af63dc4c8601ec8c")
        var foobar = ShardChecksum()
        foobar.add("foobar")
        #expect(foobar.digest == "fnv1a64:85944171f73967e8")
    }
}
