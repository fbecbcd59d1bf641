import Foundation

/// How ``JSONText`` and ``CSVText`` write numbers: the same digits in both, each with its
/// own text for a missing or non-finite value. Pure functions; they allocate only the
/// returned string.
public protocol NumberText {
    /// What stands for nil, NaN and ±∞ (`null` in JSON, an empty cell in CSV).
    static var missingNumber: String { get }
}

extension NumberText {
    /// A number in Swift's shortest round-tripping form (`0.1`, `1e-05`), or
    /// ``missingNumber`` for nil, NaN and ±infinity.
    public static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missingNumber }
        return "\(value)"
    }

    /// ``number(_:)-(Double?)`` appended to `text`: the same characters, with no string of
    /// its own (for rows of many numbers).
    public static func appendNumber(_ value: Double?, to text: inout String) {
        guard let value, value.isFinite else {
            text += missingNumber
            return
        }
        value.write(to: &text)  // what "\(value)" writes
    }

    /// A single-precision sample in its shortest form (`-3.25`), or ``missingNumber``
    /// when not finite.
    public static func number(_ value: Float) -> String {
        value.isFinite ? "\(value)" : missingNumber
    }

    /// `value` with `significantDigits` significant digits (printf `%g`), or
    /// ``missingNumber`` for nil and non-finite values.
    public static func number(_ value: Double?, significantDigits: Int) -> String {
        guard let value, value.isFinite else { return missingNumber }
        return String(format: "%.\(significantDigits)g", value)
    }
}
