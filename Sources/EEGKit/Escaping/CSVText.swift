import Foundation

/// The one way EEGKit writes CSV cells (RFC 4180). Text cells are quoted when they
/// hold a comma, quote, CR or LF — so a bare CR in an annotation never splits a row —
/// and a text cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or CR) gets a leading `'`, unless it is a plain number such as `-3.2`.
/// Number cells are written as numbers; a missing or non-finite number is an empty cell.
public enum CSVText: NumberText {
    /// `text` as one CSV cell.
    public static func cell(_ text: String) -> String {
        var body = text
        if startsLikeFormula(text) && !isPlainDecimal(text) { body = "'" + text }
        guard body.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return body }
        // Scalar by scalar: a quote followed by a combining mark is one Character, which
        // String-level replacing would miss, leaving a bare quote inside the cell.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in body.unicodeScalars {
            quoted.append(scalar)
            if scalar == "\"" { quoted.append("\"") }
        }
        quoted.append("\"")
        return String(quoted)
    }

    /// Numbers (``NumberText``) write nil, NaN and ±∞ as an empty cell.
    public static let missingNumber = ""

    /// Cells joined into one row (no line end).
    public static func row(_ cells: [String]) -> String { cells.joined(separator: ",") }

    private static func startsLikeFormula(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        return first == "=" || first == "+" || first == "-" || first == "@" || first == "\t" || first == "\r"
    }
}
