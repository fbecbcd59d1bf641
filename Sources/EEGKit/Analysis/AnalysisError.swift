/// Why a file could not be analysed with the options given.
public struct AnalysisError: Error, CustomStringConvertible, Sendable {
    /// What is wrong; the exit code follows the kind (``FailureKind/init(of:)``).
    public enum Kind: Sendable, Equatable {
        /// The options do not fit this input (an unknown channel, an epoch too short for
        /// its rate, a shard that does not exist): a usage error.
        case optionsDoNotFit
    }

    public let kind: Kind
    public let path: String
    public let reason: String

    public init(path: String, reason: String, kind: Kind = .optionsDoNotFit) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
