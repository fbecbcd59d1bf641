import EEGCore

/// Why an EDF/BDF file could not be read or written. Reading errors name the header
/// field (or record) and its byte offset, and say what was expected. The case is the
/// kind: the CLI maps kinds, never message text, to exit codes.
public enum EDFError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(path: String, need: Int, have: Int, what: String)
    /// A header field that is not a number, not finite, out of range, or inconsistent
    /// with the others (`field` names it, `offset` is its first byte in the file).
    case badField(path: String, field: String, offset: Int, found: String, expected: String)
    /// A malformed time-stamped annotation list, or an EDF+D record out of time order:
    /// `offset` is the absolute byte offset in the file of the offending bytes.
    case badAnnotation(path: String, record: Int, offset: Int, found: String, expected: String)
    case recordCountMismatch(path: String, declared: Int, inFile: Int, tornBytes: Int)
    case unsupported(path: String, reason: String)
    /// The file could not be opened (it is missing, or may not be read): `operation`
    /// says what was tried, for the message only.
    case cannotOpen(path: String, operation: String, errno: Errno)
    /// The path names a directory, not a file.
    case isDirectory(path: String)
    /// Reading or writing an open file failed (a failing drive, a full disk).
    case io(path: String, operation: String, errno: Errno)
    case exists(path: String)
    case invalidSpec(String)

    public var description: String {
        switch self {
        case .truncated(let path, let need, let have, let what):
            return "\(path): file ends at byte \(have), inside \(what) (needs \(need) bytes): truncated?"
        case .badField(let path, let field, let offset, let found, let expected):
            return "\(path): header field '\(field)' at byte \(offset) is '\(found)', expected \(expected)"
        case .badAnnotation(let path, let record, let offset, let found, let expected):
            return "\(path): annotations of data record \(record) at byte \(offset): found \(found), expected \(expected)"
        case .recordCountMismatch(let path, let declared, let inFile, let torn):
            let tail = torn > 0 ? " plus \(torn) bytes of a torn record" : ""
            return "\(path): header field 'number of data records' at byte 236 says \(declared) data records but the file holds \(inFile)\(tail); run 'eeg repair \(path)'"
        case .unsupported(let path, let reason):
            return "\(path): \(reason)"
        case .isDirectory(let path):
            return "\(path): is a directory, not an EDF/BDF file"
        case .cannotOpen(let path, let operation, let failure), .io(let path, let operation, let failure):
            return "\(path): \(operation) failed: \(failure) (errno \(failure.code))"
        case .exists(let path):
            return "\(path) already exists; use --force to overwrite it"
        case .invalidSpec(let reason):
            return reason
        }
    }
}

extension EDFError {
    /// A header field's checked-number failure, as an ``EDFError/badField``.
    init(_ error: NumberFieldError, path: String) {
        self = .badField(path: path, field: error.field, offset: error.offset, found: error.found, expected: error.expected)
    }

    /// The header field (or "annotations") the error is about, when it is about one.
    public var field: String? {
        switch self {
        case .badField(_, let field, _, _, _): return field
        case .badAnnotation: return "annotations"
        case .recordCountMismatch: return "number of data records"
        default: return nil
        }
    }

    /// The byte offset in the file the error points at, when it points at one.
    public var offset: Int? {
        switch self {
        case .badField(_, _, let offset, _, _), .badAnnotation(_, _, let offset, _, _): return offset
        case .truncated(_, _, let have, _): return have
        case .recordCountMismatch: return EDFHeader.recordCountOffset
        default: return nil
        }
    }
}
