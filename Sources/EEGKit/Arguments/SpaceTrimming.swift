extension Substring {
    /// The text without white space at either end: the same result as Foundation's
    /// `trimmingCharacters(in: .whitespaces)` — tab and the space separators U+0020,
    /// U+00A0, U+1680, U+2000–U+200B, U+202F, U+205F, U+3000 (Foundation's set, which
    /// keeps U+200B) — but without going through NSString, whose first use costs every
    /// start of `eeg` ~0.8 M instructions of runtime type look-ups (callgrind). Pure
    /// Swift, allocates only the result.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isFoundationWhitespace }),
              let last = scalars.lastIndex(where: { !$0.isFoundationWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}

extension String {
    /// See ``Substring/trimmingSpaces()``.
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}

extension Unicode.Scalar {
    /// A member of Foundation's `CharacterSet.whitespaces` (checked over every scalar in
    /// the tests).
    var isFoundationWhitespace: Bool {
        switch value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
