import ArgumentParser
import EEGKit
import Foundation

/// Prints one line for `error` on standard error and returns the exit code to end with:
/// the code comes from the error's kind (``FailureKind/init(of:)``), never its text.
func fail(_ command: String, _ error: any Error) -> ExitCode {
    // The reader of our output went away (`eeg analyze … | head`): what it read is all it
    // wanted, so the command ends quietly and successfully, as `eeg stream` does.
    if let write = error as? WriteError, write.errno == .brokenPipe { return .success }
    // Messages quote file contents (labels, fields, CSV text): escaped so the error stays
    // one line and no control sequence from a file reaches the terminal.
    writeStandardError("eeg \(command): error: \(TerminalText.safe("\(error)"))\n")
    return ExitCode(FailureKind(of: error).exitCode)
}

/// The text of a duration option (`4`, `4s`, `500ms`, `2m`, `1.5h`). Any text is taken
/// here; `seconds(_:in:)` parses and range-checks it in `validate()` with
/// ``ArgumentValues/seconds(_:flag:in:)``, so a bad value gets a message saying why.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let text: String
    init(argument: String) { text = argument }

    /// Help's "(default: …)" text, spelled out: left to the parser it is made by reflection
    /// at every start, even when no help is shown (~1.7 M instructions of runtime type
    /// look-ups, callgrind) — and reflection printed `DurationArgument(text: "4")`.
    var defaultValueDescription: String { text }

    func seconds(_ flag: String, in range: ClosedRange<Double> = ArgumentValues.durationRange) throws -> Double {
        try usage { try ArgumentValues.seconds(text, flag: flag, in: range) }
    }
}

/// A playback speed option (`1`, `4x`, `max`), checked by ``ArgumentValues/speed(_:flag:)``.
struct SpeedArgument: ExpressibleByArgument, Sendable {
    let text: String
    init(argument: String) { text = argument }
    static let realTime = SpeedArgument(argument: "1")

    func value(_ flag: String) throws -> Double {
        try usage { try ArgumentValues.speed(text, flag: flag) }
    }
}

/// Runs a library argument check, turning its ``ArgumentError`` into a usage error
/// (exit 64, one line naming the flag).
func usage<T>(_ check: () throws -> T) throws -> T {
    do { return try check() } catch let error as ArgumentError { throw ValidationError(error.description) }
}

/// `value` checked finite and in `range` (``ArgumentValues/check(_:flag:in:unit:given:)``),
/// as a usage error naming `flag`.
@discardableResult
func checked(_ value: Double, flag: String, in range: ClosedRange<Double>, unit: String = "") throws -> Double {
    try usage { try ArgumentValues.check(value, flag: flag, in: range, unit: unit) }
}

/// `value` checked in `range`, as a usage error naming `flag`.
@discardableResult
func checked<T: BinaryInteger>(_ value: T, flag: String, in range: ClosedRange<T>) throws -> T {
    try usage { try ArgumentValues.check(value, flag: flag, in: range) }
}

extension WindowFunction: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv, table
}

/// Whether standard output is a terminal (tables for people, JSON for pipes).
var standardOutputIsTerminal: Bool { TextOutput.standard.destination == .terminal }
