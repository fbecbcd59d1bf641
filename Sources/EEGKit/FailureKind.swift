/// What kind of failure ended a command, chosen from the error's *kind* (its type and
/// enum case), never from its message: rewording a message never changes an exit code.
/// The one mapping from errors to exit codes, used by every command and by
/// ``BatchAnalysis`` alike. The codes follow sysexits.h, as the README lists them.
public enum FailureKind: Int32, Sendable, CaseIterable {
    /// Wrong flags or values, or options that do not fit the input (64).
    case usage = 64
    /// Input that is malformed: wrong size, NaN, not a number, too short (65).
    case badData = 65
    /// An input file that does not exist, is a directory or cannot be opened (66).
    case noInput = 66
    /// The device is missing, busy or failed (69).
    case unavailable = 69
    /// An internal error: an error this mapping does not know (70).
    case software = 70
    /// Reading or writing failed part-way: a full disk, a failing drive, a closed
    /// descriptor (74).
    case io = 74
    /// The user may not open the device (77).
    case permission = 77

    /// The process exit code.
    public var exitCode: Int32 { rawValue }

    /// The kind of `error`: every error type the package throws is mapped here, by case.
    public init(of error: any Error) {
        switch error {
        case let e as InputError: self = Self.kind(of: e)
        case let e as EDFError: self = Self.kind(of: e)
        case let e as XDFError: self = Self.kind(of: e)
        case let e as DeviceError: self = Self.kind(of: e)
        case let e as DSPError: self = Self.kind(of: e)
        case is WriteError, is ReadError: self = .io  // every kind: disk full, file too large, another errno
        case let e as ShardError: self = e.failureKind
        case is AnalysisError, is ArgumentError, is RingBufferError, is ChannelSelection.MissingChannel: self = .usage
        case is NumberFieldError: self = .badData  // a number taken from input that cannot be used
        case is CytonSDError: self = .badData  // every kind names a line of the SD-card file
        case is Errno: self = .io
        case is LSLError: self = .unavailable  // no port to serve on: the network is the device here
        case is LSLConfigurationError: self = .usage  // an lsl_api.cfg liblsl would refuse too
        default: self = .software
        }
    }

    static func kind(of error: InputError) -> FailureKind {
        switch error {
        case .cannotOpen, .isDirectory: return .noInput
        case .readFailed: return .io
        case .labelCount, .channelCountMismatch: return .usage
        case .notWholeFrames, .nonFinite, .csvColumnCount, .csvNumber, .noData, .csvNotFinite,
             .lineTooLong, .tooManyFields, .badChannelCount, .badCalibration:
            return .badData
        }
    }

    static func kind(of error: EDFError) -> FailureKind {
        switch error {
        case .cannotOpen, .isDirectory: return .noInput
        case .io: return .io
        case .exists, .invalidSpec: return .usage
        case .truncated, .badField, .badAnnotation, .recordCountMismatch, .unsupported: return .badData
        }
    }

    static func kind(of error: XDFError) -> FailureKind {
        switch error.kind {
        case .cannotOpen: return .noInput
        case .io: return .io
        case .exists, .invalidSpec, .streamNotFound: return .usage
        case .notXDF, .truncated, .badVariableLength, .badChunkLength, .unknownTag, .badHeader, .unknownStream, .badSamples, .tooLarge:
            return .badData
        }
    }

    static func kind(of error: DeviceError) -> FailureKind {
        switch error {
        case .permissionDenied: return .permission
        case .invalidConfiguration: return .usage
        case .notFound, .busy, .disconnected, .timeout, .usb, .serial, .protocolError: return .unavailable
        }
    }

    static func kind(of error: DSPError) -> FailureKind {
        switch error {
        case .tooFewSamples, .nonFiniteSample: return .badData
        case .invalidSampleRate, .invalidSegmentLength, .invalidOverlap, .invalidBand, .malformedBandList,
             .bufferSize, .invalidFilter, .invalidConfiguration, .wisdomRejected:
            return .usage
        }
    }
}
