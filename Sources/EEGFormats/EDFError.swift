/// Why an EDF/BDF file could not be read or written. Reading errors name the header
/// field (or record) and its byte offset, and say what was expected.
public enum EDFError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(path: String, need: Int, have: Int, what: String)
    case badField(path: String, field: String, offset: Int, found: String, expected: String)
    case recordCountMismatch(path: String, declared: Int, inFile: Int, tornBytes: Int)
    case unsupported(path: String, reason: String)
    case io(path: String, operation: String, errno: Int32)
    case exists(path: String)
    case invalidSpec(String)

    public var description: String {
        switch self {
        case .truncated(let path, let need, let have, let what):
            return "\(path): file ends at byte \(have), inside \(what) (needs \(need) bytes): truncated?"
        case .badField(let path, let field, let offset, let found, let expected):
            return "\(path): header field '\(field)' at byte \(offset) is '\(found)', expected \(expected)"
        case .recordCountMismatch(let path, let declared, let inFile, let torn):
            let tail = torn > 0 ? " plus \(torn) bytes of a torn record" : ""
            return "\(path): header says \(declared) data records but the file holds \(inFile)\(tail); run 'eeg repair \(path)'"
        case .unsupported(let path, let reason):
            return "\(path): \(reason)"
        case .io(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .exists(let path):
            return "\(path) already exists; use --force to overwrite it"
        case .invalidSpec(let reason):
            return reason
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
