import EEGCore
import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Exit codes come from an error's kind (its type and case), in one mapping
/// (``FailureKind/init(of:)``) that single-file commands and the analyze batch share.
@Suite("Error kinds and exit codes")
struct FailureKindTests {
    static let table: [(any Error & Sendable, Int32)] = [
        (InputError.cannotOpen(path: "a", reason: "r"), 66),
        (InputError.isDirectory(path: "a"), 66),
        (InputError.readFailed(source: "a", reason: "Input/output error"), 74),
        (InputError.labelCount(labels: 2, channels: 3), 64),
        (InputError.channelCountMismatch(source: "a", declared: 2, found: 3), 64),
        (InputError.csvNumber(source: "a", line: 1, column: 1, text: "x"), 65),
        (InputError.noData(source: "a"), 65),
        (InputError.badCalibration(path: "a", reason: "r"), 65),
        (EDFError.cannotOpen(path: "a", operation: "opening", errno: .noSuchFile), 66),
        (EDFError.isDirectory(path: "a"), 66),
        (EDFError.io(path: "a", operation: "reading data record 3", errno: .io), 74),
        (EDFError.truncated(path: "a", need: 10, have: 5, what: "the header"), 65),
        (EDFError.badField(path: "a", field: "f", offset: 1, found: "x", expected: "y"), 65),
        (EDFError.unsupported(path: "a", reason: "r"), 65),
        (EDFError.exists(path: "a"), 64),
        (EDFError.invalidSpec("r"), 64),
        (DeviceError.permissionDenied("/dev/ttyUSB0"), 77),
        (DeviceError.invalidConfiguration("r"), 64),
        (DeviceError.notFound("r"), 69),
        (DeviceError.busy("r"), 69),
        (DeviceError.disconnected("r"), 69),
        (DSPError.tooFewSamples(have: 1, need: 2), 65),
        (DSPError.nonFiniteSample(frame: 0, channel: 0), 65),
        (DSPError.invalidFilter("r"), 64),
        (WriteError(path: "a", operation: "writing", errno: Errno(ENOSPC)), 74),
        (WriteError(path: "a", operation: "writing", errno: Errno(EFBIG)), 74),
        (WriteError(path: "a", operation: "writing", errno: Errno(EIO)), 74),
        (ReadError(path: "a", operation: "reading the capture", errno: Errno(EIO)), 74),
        (AnalysisError(path: "a", reason: "no channel 'X'"), 64),
        (RingBufferError.invalidCapacity(0), 64),
        (ChannelSelection.MissingChannel(label: "Fz", available: ["C3"]), 64),
        (NumberFieldError(kind: .outOfRange, field: "f", offset: 0, found: "x", expected: "y"), 65),
        (Errno(EIO), 74),
        (CancellationError(), 70),
    ]

    @Test("each kind has its exit code", arguments: table.indices)
    func exitCodes(index: Int) {
        let (error, code) = Self.table[index]
        #expect(FailureKind(of: error).exitCode == code, "\(error)")
    }

    @Test("the codes are the README's (sysexits.h)")
    func codes() {
        #expect(FailureKind.allCases.map(\.exitCode) == [64, 65, 66, 69, 70, 74, 77])
    }

    @Test("the message never decides: a reworded or misleading message keeps its kind's code")
    func messagesDoNotDecide() {
        // The old mapping matched "opening" and "directory" in the text.
        #expect(FailureKind(of: EDFError.io(path: "a", operation: "opening the file", errno: .io)) == .io)
        #expect(FailureKind(of: EDFError.cannotOpen(path: "a", operation: "reading", errno: .permissionDenied)) == .noInput)
        #expect(FailureKind(of: EDFError.unsupported(path: "a", reason: "is a directory, not an EDF/BDF file")) == .badData)
        #expect(FailureKind(of: EDFError.isDirectory(path: "a")) == .noInput)
        #expect(FailureKind(of: AnalysisError(path: "a", reason: "cannot open: missing directory")) == .usage)
        #expect(FailureKind(of: InputError.readFailed(source: "a", reason: "No such file or directory")) == .io)
    }

    @Test("a directory and a missing file keep exit 66 with their messages")
    func openingFailures() throws {
        let directory = try EEGProcess(["info", FileManager.default.temporaryDirectory.path])
        #expect(directory.status == 66)
        #expect(directory.stderr == "eeg info: error: \(FileManager.default.temporaryDirectory.path): is a directory, not an EDF/BDF file\n")
        let missing = try EEGProcess(["analyze", "/nonexistent/eegkit.edf", "--format", "csv"])
        #expect(missing.status == 66)
        #expect(missing.stderr == "eeg analyze: error: cannot open /nonexistent/eegkit.edf: no such file\n")
        let missingRepair = try EEGProcess(["repair", "/nonexistent/eegkit.edf"])
        #expect(missingRepair.status == 66)
        #expect(missingRepair.stderr == "eeg repair: error: /nonexistent/eegkit.edf: opening failed: No such file or directory (errno 2)\n")
    }

    @Test("analyze's batch maps like a single file: a filter the file's rate cannot take is a usage error (64, was 65)")
    func batchAgreesWithSingleFile() throws {
        let recording = Fixtures.url("eeg/libgdf_mi128.edf").path
        let run = try EEGProcess(["analyze", recording, "--filter", "1-200", "--format", "csv"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr == "eeg analyze: error: invalid filter: cutoff 200.0 Hz must lie strictly between 0 and the Nyquist frequency 64.0 Hz\n")
        #expect(FailureKind(of: DSPError.invalidFilter("any text")) == .usage)
    }

    @Test("a session's output on a full disk is exit 74 with one line, never swallowed", arguments: [
        ["replay", "FILE", "--speed", "max"], ["stream", "--device", "sim", "--duration", "1", "--emit", "samples"],
    ])
    func sessionOutputFull(arguments: [String]) throws {
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else {
            Issue.record("/dev/full is not writable here: the full-output path was not checked")
            return
        }
        let recording = Fixtures.url("eeg/libgdf_mi128.edf").path
        let run = try OutputDestinationTests.run(arguments.map { $0 == "FILE" ? recording : $0 }, stdout: full)
        #expect(run.reason == .exit && run.status == 74, "\(arguments): \(run.status) \(run.stderr)")
        #expect(run.stderr.hasSuffix(": error: standard output: writing failed: the disk is full (No space left on device, errno 28)\n"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1 || arguments[0] == "stream", "\(run.stderr)")
    }
}
