import Foundation
import Testing
@testable import EEGKit

/// A fresh folder for one test, so its listing shows exactly what a command left there.
private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-repair-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A 3-record EDF left as a crash leaves it: record count −1 and half a record at the end.
private func tornRecording(in folder: URL, name: String = "s.edf") throws -> String {
    let path = folder.appendingPathComponent(name).path
    let record = try EEGProcess(["record", "--out", path, "--samples", "750", "--sim-speed", "max"])
    #expect(record.status == 0, "\(record.stderr)")
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes.replaceSubrange(236..<244, with: Data("-1      ".utf8))
    bytes.append(Data(repeating: 7, count: 1000))
    try bytes.write(to: URL(fileURLWithPath: path))
    return path
}

private func mode(_ path: String) -> mode_t {
    var s = stat()
    _ = stat(path, &s)
    return s.st_mode & 0o7777
}

private func isSymlink(_ path: String) -> Bool {
    var s = stat()
    return lstat(path, &s) == 0 && s.st_mode & S_IFMT == S_IFLNK
}

@Suite("eeg repair and record --force: file handling", .serialized)
struct RepairFileTests {
    @Test("the repaired file keeps the original's permission bits", arguments: [mode_t(0o600), 0o640, 0o444])
    func keepsMode(original: mode_t) throws {
        let folder = try scratchFolder()
        let path = try tornRecording(in: folder)
        #expect(chmod(path, original) == 0)
        let run = try EEGProcess(["repair", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(mode(path) == original, "mode \(String(mode(path), radix: 8)), was \(String(original, radix: 8))")
        #expect(try EDFReader(path: path).header.recordCount == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["s.edf"])
    }

    @Test("a symlink: the target is repaired, the link is kept")
    func symlinkTarget() throws {
        let folder = try scratchFolder()
        let target = try tornRecording(in: folder, name: "target.edf")
        let other = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let link = other.appendingPathComponent("link.edf").path
        #expect(Glibc.symlink(target, link) == 0)
        let run = try EEGProcess(["repair", link])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(isSymlink(link))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try EDFReader(path: target).header.recordCount == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == ["link.edf"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["elsewhere", "target.edf"])
    }

    @Test("a write that fails mid-way (file size limit) leaves the original untouched and no temporary file")
    func failureMidWay() throws {
        let folder = try scratchFolder()
        let path = try tornRecording(in: folder)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            Issue.record("prlimit (util-linux) is missing: the mid-way failure could not be made")
            return
        }
        // Allow the header and part of the first record, not the whole copy.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--fsize=1024", "--", EEGProcess.executable.path, "repair", path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 74, "\(process.terminationStatus): \(message)")
        #expect(message.contains("writing the repaired copy"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["s.edf"])
    }

    @Test("the folder is flushed after the rename (seen with strace)")
    func flushesFolder() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("strace is missing: the folder fsync was not checked") }
            print("SKIPPED: strace is missing, the folder fsync after the rename was not checked")
            return
        }
        let folder = try scratchFolder()
        let path = try tornRecording(in: folder)
        let log = folder.appendingPathComponent("strace.log").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = ["-f", "-qq", "-e", "trace=fsync,rename,renameat,renameat2,openat", "-o", log, EEGProcess.executable.path, "repair", path]
        // LeakSanitizer cannot run under a tracer (the AddressSanitizer suite's eeg).
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "detect_leaks=0"].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        // strace | the repair: rename(temp, file), then open the folder, then fsync that fd.
        let rename = try #require(calls.firstIndex { $0.contains("rename") && $0.contains("\"\(path)\"") && $0.hasSuffix("= 0") }, "\(calls.suffix(12))")
        let open = try #require(calls[rename...].firstIndex { $0.contains("openat(") && $0.contains("\"\(folder.path)\"") && $0.contains("O_DIRECTORY") },
                                "\(calls.suffix(12))")
        let fd = try #require(calls[open].split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(calls[open...].contains { $0.contains("fsync(\(fd))") && $0.hasSuffix("= 0") }, "\(calls.suffix(12))")
    }

    @Test("a corrupt or missing input fails without a temporary file")
    func badInput() throws {
        let folder = try scratchFolder()
        let corrupt = folder.appendingPathComponent("bad.edf").path
        try Data(repeating: 0x41, count: 600).write(to: URL(fileURLWithPath: corrupt))
        let run = try EEGProcess(["repair", corrupt])
        #expect(run.status == 65, "\(run.stderr)")
        let dangling = folder.appendingPathComponent("dangling.edf").path
        #expect(Glibc.symlink(folder.appendingPathComponent("gone.edf").path, dangling) == 0)
        #expect(try EEGProcess(["repair", dangling]).status == 66)
        // A directory is "no input" (66), as `eeg info` says, not a damaged file (65).
        let directory = try EEGProcess(["repair", folder.path])
        #expect(directory.status == 66 && directory.stderr == "eeg repair: error: \(folder.path): is a directory, not an EDF/BDF file\n", "\(directory.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["bad.edf", "dangling.edf"])
    }

    @Test("record --force on a symlink replaces the link, never writes through it")
    func forceOnSymlink() throws {
        let folder = try scratchFolder()
        let victim = folder.appendingPathComponent("precious.txt").path
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        let link = folder.appendingPathComponent("out.bdf").path
        #expect(Glibc.symlink(victim, link) == 0)
        let run = try EEGProcess(["record", "--out", link, "--force", "--samples", "250", "--sim-speed", "max"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == Data("precious\n".utf8))
        #expect(!isSymlink(link))
        #expect(try EDFReader(path: link).recordCount == 1)
        // A folder at the path is refused, not removed.
        let dir = folder.appendingPathComponent("dir.bdf").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let refused = try EEGProcess(["record", "--out", dir, "--force", "--samples", "250", "--sim-speed", "max"])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("is a folder; --force replaces files only"))
    }
}
