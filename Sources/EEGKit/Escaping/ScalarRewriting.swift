/// The loop the text escapers (``JSONText``, ``HTMLText``, ``TerminalText``) share: text
/// is rewritten Unicode scalar by scalar — never Character by Character, so a combining
/// mark cannot hide a quote or a control inside one Character. Each escaper says only
/// what a scalar becomes.
enum ScalarRewriting {
    /// `text` with every scalar for which `replacement` returns text replaced by that
    /// text, and every other scalar kept. Allocates the returned string only.
    static func rewrite(_ text: String, extraCapacity: Int = 0, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + extraCapacity)
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// A C0 control (U+0000–U+001F), DEL or a C1 control (U+0080–U+009F).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
