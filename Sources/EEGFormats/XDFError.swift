import EEGCore

/// Why an XDF file could not be read or created, with a ``Kind`` callers switch on (the
/// command-line tool maps kinds, never message text, to exit codes) and, for a malformed
/// file, the byte offset of what is wrong.
public struct XDFError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The file does not start with `XDF:`.
        case notXDF
        /// The file ends inside a chunk (a recording cut short, or a length that lies).
        case truncated
        /// A variable-length integer whose width byte is not 1, 4 or 8.
        case badVariableLength
        /// A chunk length that is too small for its tag or larger than this reader takes.
        case badChunkLength
        /// A chunk tag XDF 1.0 does not define.
        case unknownTag
        /// A stream header, footer or file header that is not the XML it must be, or lacks
        /// a field (channel_count, nominal_srate, channel_format) or has a bad value.
        case badHeader
        /// A chunk that names a stream no header has introduced, or a second header.
        case unknownStream
        /// A samples or clock offset chunk whose content does not match its stream (too
        /// short, a timestamp width that is not 0 or 8, a string too long).
        case badSamples
        /// More of something (streams, samples, markers) than this reader takes.
        case tooLarge
        /// No stream fits the request (no regular numeric stream, or none of that name).
        case streamNotFound
        /// The file could not be opened.
        case cannotOpen(Errno)
        /// Reading or writing the open file failed.
        case io(Errno)
        /// The file to write exists and overwriting was not asked for.
        case exists
        /// What was asked cannot be written as XDF.
        case invalidSpec
    }

    public let kind: Kind
    public let path: String
    /// The byte in the file the problem is at, for a malformed file.
    public let offset: Int?
    /// What was found and what was expected, in words.
    public let detail: String

    public init(_ kind: Kind, path: String, offset: Int? = nil, _ detail: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .exists: return "\(path) already exists; use --force to overwrite it"
        case .cannotOpen(let errno), .io(let errno): return "\(path): \(detail) failed: \(errno) (errno \(errno.code))"
        default: return offset.map { "\(path): at byte \($0): \(detail)" } ?? "\(path): \(detail)"
        }
    }
}
