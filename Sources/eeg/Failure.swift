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
        case .readFailed: status = .ioError
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
    FileHandle.standardError.write(Data("eeg \(command): error: \(message)\n".utf8))
    return ExitCode(status.rawValue)
}

/// A duration given as seconds (`4`, `4s`), milliseconds (`500ms`) or minutes (`2m`).
struct Seconds: ExpressibleByArgument, Sendable {
    let value: Double

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("min", 60), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite else { return nil }
            value = number * scale
            return
        }
        guard let number = Double(text), number.isFinite else { return nil }
        value = number
    }
}

extension WindowFunction: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv, table
}

/// Whether standard output is a terminal (tables for people, JSON for pipes).
var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
