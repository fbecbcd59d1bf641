import Foundation
import Testing
@testable import EEGKit

/// `--calibration` files are untrusted input: bounded reads, typed errors, exit 65 for a
/// file that is not a calibration (it was 74, "reading failed"), and baselines that
/// would make every score NaN or 100 (a zero or negative spread) refused.
@Suite("Calibration files")
struct CalibrationFileTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-calibration-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("bad calibrations are refused with the field and the value", arguments: [
        (#"{"attention":{"mean":1,"standardDeviation":0,"count":5}}"#, "attention.standardDeviation is 0.0, expected a finite number ≥ 1e-12"),
        (#"{"relaxation":{"mean":1,"standardDeviation":-1e-320,"count":5}}"#, "relaxation.standardDeviation is -1e-320, expected a finite number ≥ 1e-12"),
        (#"{"workload":{"mean":1,"standardDeviation":1,"count":0}}"#, "workload.count is 0, expected at least 1"),
        (#"{"attention":{"mean":1e999,"standardDeviation":1,"count":1}}"#, "not a calibration saved by --save-calibration"),
        (#"{"attention":{"mean":"x","standardDeviation":1,"count":1}}"#, "wrong value at 'attention.mean'"),
        ("[]", "not a calibration saved by --save-calibration"),
        ("", "not a calibration saved by --save-calibration (not JSON)"),
    ])
    func refused(text: String, reason: String) throws {
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try CalibrationFile.load(path: path)
            Issue.record("accepted \(text)")
        } catch {
            guard case .badCalibration(let where_, let why) = error else { Issue.record("\(error)"); return }
            #expect(where_ == path)
            #expect(why.contains(reason), "\(why)")
        }
    }

    @Test("a saved calibration round trips")
    func roundTrip() throws {
        let saved = Calibration(attention: Baseline(mean: -0.5, standardDeviation: 0.3, count: 15), relaxation: nil, workload: Baseline(mean: 0.1, standardDeviation: 0.2, count: 15))
        let path = try Self.file(String(decoding: try JSONEncoder().encode(saved), as: UTF8.self))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CalibrationFile.load(path: path) == saved)
    }

    @Test("an endless file (/dev/zero) is refused after 1 MiB, not read forever")
    func endless() throws {
        #expect(throws: InputError.badCalibration(path: "/dev/zero", reason: "longer than 1048576 bytes: not a calibration saved by --save-calibration")) {
            try CalibrationFile.load(path: "/dev/zero")
        }
    }

    @Test("eeg analyze: a bad calibration is exit 65, a folder 66, one line each")
    func command() throws {
        let edf = OutputDestinationTests.self
        let recording = try edf.hostileLabelFile()
        let bad = try Self.file(#"{"attention":{"mean":1,"standardDeviation":0,"count":5}}"#)
        defer { try? FileManager.default.removeItem(atPath: recording); try? FileManager.default.removeItem(atPath: bad) }
        let run = try EEGProcess(["analyze", recording, "--calibration", bad, "--format", "json"], killAfter: 120)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "eeg analyze: error: calibration \(bad): attention.standardDeviation is 0.0, expected a finite number ≥ 1e-12\n")
        #expect(run.stdout.isEmpty)
        let folder = try EEGProcess(["analyze", recording, "--calibration", "/tmp", "--format", "json"], killAfter: 120)
        #expect(folder.status == 66, "\(folder.stderr)")
        #expect(folder.stderr == "eeg analyze: error: /tmp is a directory, not a file\n")
    }
}
