import EEGCore
import Foundation
import Testing
@testable import EEGKit

/// CSV and float32 input is opened once, through the system-call layer, and the real
/// `errno` decides the message and exit code (it used to be a `fileExists` check, then
/// `FileHandle`, which said "no such file" or "unknown error" for most failures and a
/// Foundation text for a failing read).
@Suite("Opening and reading CSV/float32 input")
struct SampleInputOpeningTests {
    /// Runs `eeg bandpower` with `stdin` as standard input: its exit status and stderr.
    private func bandpower(_ input: String, stdin: FileHandle = .nullDevice) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = EEGProcess.executable
        process.arguments = ["bandpower", "--input", input, "--rate", "128"] + (input.hasSuffix(".csv") ? [] : ["--channel-count", "3"])
        let err = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    private func scratchFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-open-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("a symbolic-link loop is named as one (66), not 'no such file'", arguments: ["loop.f32", "loop.csv"])
    func symbolicLinkLoop(name: String) throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: name)
        let run = try bandpower(path)
        #expect(run.status == 66)
        #expect(run.stderr == "eeg bandpower: error: cannot open \(path): Too many levels of symbolic links\n")
    }

    @Test("a socket on disk says why it cannot be opened (66), not 'unknown error'")
    func socketFile() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/s.f32"
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(path): errno \(errno)")
        let run = try bandpower(path)
        #expect(run.status == 66)
        #expect(run.stderr == "eeg bandpower: error: cannot open \(path): No such device or address\n")
    }

    @Test("a missing file and a directory keep their messages (66)", arguments: ["x.f32", "x.csv"])
    func missingAndDirectory(name: String) throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = try bandpower(folder + "/" + name)
        #expect(missing.status == 66)
        #expect(missing.stderr == "eeg bandpower: error: cannot open \(folder)/\(name): no such file\n")
        try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: false)
        let directory = try bandpower(folder + "/" + name)
        #expect(directory.status == 66)
        #expect(directory.stderr == "eeg bandpower: error: \(folder)/\(name) is a directory, not a file\n")
    }

    @Test("standard input that is a directory is named as one (66), not a failed read")
    func standardInputDirectory() throws {
        let folder = open(FileManager.default.temporaryDirectory.path, O_RDONLY | O_DIRECTORY)
        try #require(folder >= 0)
        let run = try bandpower("-", stdin: FileHandle(fileDescriptor: folder, closeOnDealloc: true))
        #expect(run.status == 66)
        #expect(run.stderr == "eeg bandpower: error: standard input is a directory, not a file\n")
    }

    @Test("a read that fails is exit 74 with the system's reason (here EBADF: standard input open only for writing)")
    func readFailure() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-wo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writeOnly = open(path, O_WRONLY | O_CREAT, 0o600)
        try #require(writeOnly >= 0)
        let run = try bandpower("-", stdin: FileHandle(fileDescriptor: writeOnly, closeOnDealloc: true))
        #expect(run.status == 74)
        #expect(run.stderr == "eeg bandpower: error: reading standard input failed: Bad file descriptor\n")
    }

    @Test("errno decides the kind: ENOENT, EISDIR, EACCES and others (EACCES cannot be produced as root, so it is checked here)")
    func openingErrnoKinds() {
        #expect(InputError(opening: "f", failure: .noSuchFile) == .cannotOpen(path: "f", reason: "no such file"))
        #expect(InputError(opening: "f", failure: .isDirectory) == .isDirectory(path: "f"))
        #expect(InputError(opening: "f", failure: .permissionDenied).description == "cannot open f: permission denied")
        #expect(InputError(opening: "f", failure: Errno(ELOOP)).description == "cannot open f: Too many levels of symbolic links")
        for failure in [Errno.noSuchFile, .isDirectory, .permissionDenied, Errno(ELOOP)] {
            #expect(FailureKind(of: InputError(opening: "f", failure: failure)) == .noInput)
        }
    }

    @Test("standard input read through a duplicate stays open for the rest of the program")
    func standardInputStaysOpen() throws {
        do {
            let input = try InputFile(path: nil)
            #expect(input.name == "standard input")
        }
        #expect(fcntl(0, F_GETFD) >= 0, "descriptor 0 was closed with the reader")
    }
}
