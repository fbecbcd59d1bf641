/// The one way text from files, devices and users reaches a terminal: control
/// characters are shown as escapes instead of being obeyed, so an ESC sequence in an
/// EDF label or annotation can neither recolour, move the cursor, retitle the window
/// nor hide output. Pure; allocates only when something must be escaped.
public enum TerminalText {
    /// `text` with C0 controls (including ESC, CR, LF, TAB), DEL and C1 controls
    /// written as `\xNN`, and the bidirectional overrides and isolates (U+202A–U+202E,
    /// U+2066–U+2069) as `\u{NNNN}`. Everything else, including non-ASCII letters and
    /// U+FFFD from undecodable bytes, is kept.
    public static func safe(_ text: String) -> String {
        escaped(text, keeping: nil)
    }

    /// Like ``safe(_:)`` but keeps line feeds, for several lines of output at once (a
    /// CSV or table going to a terminal). A CR is still escaped: it could overwrite a
    /// line already shown.
    public static func safeKeepingLineEnds(_ text: String) -> String {
        escaped(text, keeping: "\n")
    }

    private static func escaped(_ text: String, keeping kept: Unicode.Scalar?) -> String {
        let unsafe = { (scalar: Unicode.Scalar) in scalar != kept && isUnsafe(scalar) }
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        return ScalarRewriting.rewrite(text, extraCapacity: 8) { scalar in
            guard unsafe(scalar) else { return nil }
            return scalar.value < 0x100 ? "\\x" + hex(scalar.value, digits: 2) : "\\u{" + hex(scalar.value, digits: 4) + "}"
        }
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return ScalarRewriting.isControl(scalar) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
