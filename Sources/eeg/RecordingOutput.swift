import ArgumentParser
import EEGKit
import Foundation

/// The checks every command that writes a recording makes on `--out` before it starts
/// (usage errors, exit 64): a .bdf, .edf or .xdf name, not an existing file unless `--force`,
/// in a folder that exists.
func validateRecordingOutput(_ out: String, force: Bool) throws {
    let lower = out.lowercased()
    guard lower.hasSuffix(".bdf") || lower.hasSuffix(".edf") || lower.hasSuffix(".xdf") else {
        throw ValidationError("--out must end in .bdf (24-bit, lossless for the Cyton), .edf (16-bit) or .xdf (float32, with the metrics and markers streams), got '\(out)'")
    }
    if !force && FileManager.default.fileExists(atPath: out) {
        throw ValidationError("\(out) already exists; use --force to overwrite it")
    }
    var isDirectory: ObjCBool = false
    let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
    if !FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) || !isDirectory.boolValue {
        throw ValidationError("the folder \(parent) does not exist")
    }
}

/// --force replaces the path itself: an existing file or symlink there is removed
/// (a symlink's target is left alone), so the new file is created fresh and nothing is
/// ever written through a link to another file. A folder is not removed.
func removeForOverwrite(_ path: String) throws {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    if status.st_mode & S_IFMT == S_IFDIR { throw EDFError.invalidSpec("\(path) is a folder; --force replaces files only") }
    guard unlink(path) == 0 else {
        throw EDFError.io(path: path, operation: "removing the old file for --force", errno: Errno(errno))
    }
}

/// The EDF+/BDF+ header fields a user may fill, for every command that writes a recording.
struct RecordingFields: ParsableArguments {
    @Option(help: "Patient field of the file (a code or name; stored without spaces).")
    var patient: String?

    @Option(help: "Recording description (the equipment subfield of the file's recording field).")
    var recording: String?

    func apply(to options: inout RecordingOptions) {
        options.patient = patient
        options.recording = recording
    }
}
