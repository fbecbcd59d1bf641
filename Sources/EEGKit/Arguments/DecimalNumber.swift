/// Reads a plain decimal number: optional sign, digits with an optional point, an
/// optional exponent (`-3.2`, `1e-5`, `+.5`). Unlike `Double(String)` it refuses hex
/// (`0x10`, `0x1p3`) and anything but ASCII; `nan`, `inf` and `infinity` (any case,
/// optional sign) are read as NaN/±∞ so callers can say "not finite" rather than "not a
/// number". Values too large for a Double come back as ±∞ (`1e400`). Pure; no allocation
/// beyond what `Double(Substring)` does.
func decimalNumber<S: StringProtocol>(_ text: S) -> Double? {
    if let special = nonFiniteWord(text) { return special }
    return isPlainDecimal(text) ? Double(text) : nil
}

/// NaN or ±∞ for `nan`, `inf`, `infinity` (any case, optional sign); nil otherwise.
func nonFiniteWord<S: StringProtocol>(_ text: S) -> Double? {
    var body = Substring(text)
    var negative = false
    if let sign = body.first, sign == "+" || sign == "-" { negative = sign == "-"; body = body.dropFirst() }
    switch body.lowercased() {
    case "nan": return .nan
    case "inf", "infinity": return negative ? -.infinity : .infinity
    default: return nil
    }
}

/// Whether `text` is `[+-]digits[.digits][e[+-]digits]` in ASCII (at least one digit).
func isPlainDecimal<S: StringProtocol>(_ text: S) -> Bool {
    // Scalar by scalar: "8" followed by a combining mark is one Character that sorts
    // between "0" and "9", so a Character range would take it for a digit.
    var scalars = Substring(text).unicodeScalars[...]
    if let sign = scalars.first, sign == "+" || sign == "-" { scalars = scalars.dropFirst() }
    var digits = 0, points = 0, exponent = false, exponentDigits = 0, previous: Unicode.Scalar = " "
    for c in scalars {
        switch c {
        case "0"..."9": if exponent { exponentDigits += 1 } else { digits += 1 }
        case ".": guard !exponent else { return false }; points += 1
        case "e", "E": guard !exponent, digits > 0 else { return false }; exponent = true
        case "+", "-": guard previous == "e" || previous == "E" else { return false }
        default: return false
        }
        previous = c
    }
    return digits > 0 && points <= 1 && (!exponent || exponentDigits > 0)
}
