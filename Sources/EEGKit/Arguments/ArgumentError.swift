/// A command-line value that is malformed or out of its stated range. The description is
/// one line naming the flag, what it takes and what was given, e.g.
/// `--duration must be 1ms…1000000h (e.g. 10s, 2m, 1.5h), got '1e300s'`.
public struct ArgumentError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not of the option's form (not a number, missing unit part, wrong separator).
        case malformed
        /// NaN or infinite.
        case notFinite
        /// A number outside the option's range.
        case outOfRange
        /// A channel label the stream or file does not have.
        case unknownChannel
        /// A value the input needs and does not state was not given (`--rate` for CSV).
        case missing
    }

    public let kind: Kind
    /// The flag as typed on the command line, e.g. `--duration`.
    public let flag: String
    /// The text given (shown escaped for the terminal).
    public let value: String
    /// What the flag takes, as a phrase after "must be", e.g. `1…4096`.
    public let expected: String

    public init(_ kind: Kind, flag: String, value: String, expected: String) {
        self.kind = kind
        self.flag = flag
        self.value = value
        self.expected = expected
    }

    /// `flag` named `missing.label`, which the input (described by `source`) lacks:
    /// "--channels: no channel 'Oz' (the stream has Fp1, Fp2)", as `bandpower` says it.
    public init(_ missing: ChannelSelection.MissingChannel, flag: String, source: String) {
        self.init(.unknownChannel, flag: flag, value: missing.label, expected: missing.message(source: source))
    }

    public var description: String {
        if kind == .unknownChannel { return TerminalText.safe("\(flag): \(expected)") }
        if kind == .missing { return TerminalText.safe("\(flag) is required \(expected)") }
        return TerminalText.safe("\(flag) must be \(expected), got '\(value)'")
    }
}
