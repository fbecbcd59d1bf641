import ArgumentParser
import EEGKit
import Foundation

/// Exit codes, after sysexits.h so scripts can tell bad usage from bad data. The README
/// lists them.
enum ExitStatus: Int32 {
    /// Wrong flags or values (swift-argument-parser uses the same code).
    case usage = 64
    /// Input that is malformed: wrong size, NaN, not a number, too short.
    case dataError = 65
    /// An input file that does not exist, is a directory or cannot be read.
    case noInput = 66
    /// The device is missing, busy or failed.
    case unavailable = 69
    /// An internal error.
    case software = 70
    /// Reading or writing failed part-way.
    case ioError = 74
    /// The user may not open the device.
    case permission = 77
}

/// Prints one line for `error` on standard error and returns the exit code to end with.
func fail(_ command: String, _ error: any Error) -> ExitCode {
    let (message, status): (String, ExitStatus)
    switch error {
    case let e as InputError:
        switch e {
        case .cannotOpen, .isDirectory: status = .noInput
        case .readFailed, .writeFailed: status = .ioError
        case .labelCount, .channelCountMismatch: status = .usage
        default: status = .dataError
        }
        message = e.description
    case let e as DSPError:
        switch e {
        case .tooFewSamples, .nonFiniteSample: status = .dataError
        default: status = .usage
        }
        message = e.description
    case let e as DeviceError:
        switch e {
        case .permissionDenied: status = .permission
        case .invalidConfiguration: status = .usage
        default: status = .unavailable
        }
        message = e.description
    case let e as EDFError:
        switch e {
        case .io(_, let operation, _) where operation.hasPrefix("opening"): status = .noInput
        case .io: status = .ioError
        case .exists, .invalidSpec: status = .usage
        case .unsupported(_, let reason) where reason.contains("directory"): status = .noInput
        default: status = .dataError
        }
        message = e.description
    case let e as AnalysisError:
        message = e.description
        status = .usage
    case let e as WriteError:
        // Every kind (disk full, file too large, another errno) is an I/O failure.
        switch e.kind {
        case .noSpace, .fileTooLarge, .io: status = .ioError
        }
        message = e.description
    case let e as RingBufferError:
        message = e.description
        status = .usage
    default:
        message = "\(error)"
        status = .software
    }
    // Messages quote file contents (labels, fields, CSV text): escaped so the error stays
    // one line and no control sequence from a file reaches the terminal.
    writeStandardError("eeg \(command): error: \(TerminalText.safe(message))\n")
    return ExitCode(status.rawValue)
}

/// The text of a duration option (`4`, `4s`, `500ms`, `2m`, `1.5h`). Any text is taken
/// here; `seconds(_:in:)` parses and range-checks it in `validate()` with
/// ``ArgumentValues/seconds(_:flag:in:)``, so a bad value gets a message saying why.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let text: String
    init(argument: String) { text = argument }

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
