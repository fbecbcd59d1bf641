/// The one way text reaches the HTML report and its inline SVG: markup characters as
/// entities (`&`, `<`, `>`, `"`, `'`), so the same function is safe for element text
/// and for quoted attribute values; control characters other than tab, LF and CR (which
/// HTML and XML forbid) become U+FFFD.
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        ScalarRewriting.rewrite(text) { scalar in
            switch scalar {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&#39;"
            case "\t", "\n", "\r": return nil
            default: return ScalarRewriting.isControl(scalar) ? "\u{FFFD}" : nil
            }
        }
    }
}
