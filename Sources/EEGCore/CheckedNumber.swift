/// Why a number taken from input (a file's field, a derived quantity) cannot be used.
/// Carries where it came from, so the message can name the field and its byte offset.
public struct NumberFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text is not a decimal number (garbage, non-ASCII, hex, `nan`, empty).
        case notANumber
        /// An integer was expected and the text has a fraction or exponent.
        case notAnInteger
        /// The value is NaN or infinite (parsed, or after arithmetic).
        case notFinite
        /// Finite, but outside what the field allows.
        case outOfRange
    }

    public let kind: Kind
    /// The field's name as a person reads it, e.g. "duration of a data record".
    public let field: String
    /// Byte offset of the field in its input.
    public let offset: Int
    /// The field's text, printable (other bytes shown as `\xNN`).
    public let found: String
    /// What would have been accepted, e.g. "a number from 1e-06 to 1e+06".
    public let expected: String

    public init(kind: Kind, field: String, offset: Int, found: String, expected: String) {
        self.kind = kind
        self.field = field
        self.offset = offset
        self.found = found
        self.expected = expected
    }

    public var description: String { "field '\(field)' at byte \(offset) is '\(found)', expected \(expected)" }
}

/// The one place numbers from untrusted input are parsed and converted: every value is
/// finite and inside a stated range, or a ``NumberFieldError`` says which field, where,
/// and what was expected. No function here traps, whatever the input.
public enum CheckedNumber {
    /// Parses a plain decimal number (`[+-]digits[.digits][e[+-]digits]`, spaces around
    /// allowed) and checks it lies in `range`. Hex floats, `nan`, `inf`, digit grouping
    /// and non-ASCII are refused.
    public static func decimal(_ bytes: some Collection<UInt8>, field: String, offset: Int,
                               in range: ClosedRange<Double>, expected: String) throws(NumberFieldError) -> Double {
        let text = trimmed(bytes)
        guard isDecimal(text, allowFraction: true), let value = Double(String(decoding: text, as: UTF8.self)) else {
            throw NumberFieldError(kind: .notANumber, field: field, offset: offset, found: printable(bytes), expected: expected)
        }
        return try check(value, field: field, offset: offset, found: printable(bytes), in: range, expected: expected)
    }

    /// Parses a plain decimal integer (`[+-]digits`, spaces around allowed) in `range`.
    public static func integer(_ bytes: some Collection<UInt8>, field: String, offset: Int,
                               in range: ClosedRange<Int>, expected: String) throws(NumberFieldError) -> Int {
        let text = trimmed(bytes)
        guard isDecimal(text, allowFraction: false) else {
            let kind: NumberFieldError.Kind = isDecimal(text, allowFraction: true) ? .notAnInteger : .notANumber
            throw NumberFieldError(kind: kind, field: field, offset: offset, found: printable(bytes), expected: expected)
        }
        // More digits than any Int holds is out of range, not a crash.
        guard let value = Int(String(decoding: text, as: UTF8.self)), range.contains(value) else {
            throw NumberFieldError(kind: .outOfRange, field: field, offset: offset, found: printable(bytes), expected: expected)
        }
        return value
    }

    /// Checks a value (parsed or derived by arithmetic) is finite and in `range`.
    public static func check(_ value: Double, field: String, offset: Int, found: String? = nil,
                             in range: ClosedRange<Double>, expected: String) throws(NumberFieldError) -> Double {
        guard value.isFinite else {
            throw NumberFieldError(kind: .notFinite, field: field, offset: offset, found: found ?? "\(value)", expected: expected)
        }
        guard range.contains(value) else {
            throw NumberFieldError(kind: .outOfRange, field: field, offset: offset, found: found ?? "\(value)", expected: expected)
        }
        return value
    }

    /// `value` rounded to the nearest integer, or nil when it is NaN, infinite or beyond
    /// what an `Int` holds. Never traps (unlike `Int(someDouble)`).
    public static func roundedInt(_ value: Double) -> Int? {
        let r = value.rounded()
        // 2^63 is exactly representable; anything at or above it does not fit.
        guard r.isFinite, r >= -9.223372036854775808e18, r < 9.223372036854775808e18 else { return nil }
        return Int(r)
    }

    /// `value` rounded to the nearest integer and clamped to `range`; NaN gives the lower
    /// bound. For positions derived from user or file numbers where "past the end" simply
    /// means "the end".
    public static func roundedInt(_ value: Double, clampedTo range: ClosedRange<Int>) -> Int {
        if value.isNaN { return range.lowerBound }
        if value <= Double(range.lowerBound) { return range.lowerBound }
        if value >= Double(range.upperBound) { return range.upperBound }
        return min(max(Int(value.rounded()), range.lowerBound), range.upperBound)
    }

    /// The bytes as text a terminal shows safely: printable ASCII kept, the rest `\xNN`,
    /// surrounding spaces removed, at most 80 characters.
    public static func printable(_ bytes: some Collection<UInt8>) -> String {
        var out = ""
        for b in trimmed(bytes).prefix(80) {
            if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\\") { out.unicodeScalars.append(Unicode.Scalar(b)) } else {
                out += "\\x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func trimmed(_ bytes: some Collection<UInt8>) -> ArraySlice<UInt8> {
        let array = ArraySlice(bytes)
        var lo = array.startIndex, hi = array.endIndex
        while lo < hi && array[lo] == UInt8(ascii: " ") { lo += 1 }
        while hi > lo && array[hi - 1] == UInt8(ascii: " ") { hi -= 1 }
        return array[lo..<hi]
    }

    /// `[+-]digits[.digits][e[+-]digits]` (fraction and exponent only when allowed); at
    /// least one digit before the exponent.
    static func isDecimal(_ text: ArraySlice<UInt8>, allowFraction: Bool) -> Bool {
        var i = text.startIndex
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        if i < text.endIndex && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) { i += 1 }
        var digits = 0
        while i < text.endIndex && isDigit(text[i]) { i += 1; digits += 1 }
        if allowFraction && i < text.endIndex && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < text.endIndex && isDigit(text[i]) { i += 1; digits += 1 }
        }
        guard digits > 0 else { return false }
        if allowFraction && i < text.endIndex && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            if i < text.endIndex && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) { i += 1 }
            var exponentDigits = 0
            while i < text.endIndex && isDigit(text[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return false }
        }
        return i == text.endIndex
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
