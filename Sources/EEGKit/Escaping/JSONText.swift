import Foundation

/// The one way EEGKit writes JSON values by hand (every JSON the CLI prints goes through
/// it): strings escaped per RFC 8259 so a strict parser accepts them whatever bytes a file
/// held, and numbers that are always JSON numbers — a non-finite value becomes `null`,
/// never `inf` or `nan`. Pure functions; they allocate only the returned string.
public enum JSONText: NumberText {
    /// `text` as a quoted JSON string: `"` and `\` escaped, `\n` `\r` `\t` as
    /// themselves, every other control character (U+0000–U+001F, U+007F, U+0080–U+009F)
    /// and the line/paragraph separators U+2028/U+2029 as `\uXXXX`. Text that came from
    /// non-UTF-8 bytes was already decoded with U+FFFD replacements, so the output is
    /// valid UTF-8.
    public static func string(_ text: String) -> String {
        let body = ScalarRewriting.rewrite(text, extraCapacity: 2) { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return needsUnicodeEscape(scalar) ? String(format: "\\u%04x", scalar.value) : nil
            }
        }
        return "\"" + body + "\""
    }

    /// Numbers (``NumberText``) write nil, NaN and ±∞ as a JSON `null`.
    public static let missingNumber = "null"

    private static func needsUnicodeEscape(_ scalar: Unicode.Scalar) -> Bool {
        ScalarRewriting.isControl(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
