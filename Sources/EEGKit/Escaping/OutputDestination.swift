/// Where a command's output goes, which decides how text from files may be written.
/// A file or a pipe keeps every byte (CSV stays faithful RFC 4180, so a label round
/// trips); a terminal interprets control characters, so there every one of them except
/// the line feed that ends a line is shown escaped (``TerminalText``). This is the one
/// place that difference lives: a writer asks its destination, not `isatty`, and no
/// output format — present or future — can send an ESC sequence from a file to a screen.
public enum OutputDestination: Sendable, Equatable {
    /// A terminal: text is shown escaped, line ends kept.
    case terminal
    /// A file or pipe: text is written unchanged.
    case file

    /// The destination of a file descriptor: `.terminal` when it is a terminal.
    public init(descriptorIsTerminal: Bool) {
        self = descriptorIsTerminal ? .terminal : .file
    }

    /// `text` as it may be written here. On a terminal, C0 controls other than LF, DEL,
    /// C1 controls and bidirectional overrides are shown as escapes
    /// (``TerminalText/safeKeepingLineEnds(_:)``); text already safe is returned as is,
    /// so escaping twice changes nothing. Allocates only when something is escaped.
    public func shown(_ text: String) -> String {
        switch self {
        case .file: return text
        case .terminal: return TerminalText.safeKeepingLineEnds(text)
        }
    }
}
