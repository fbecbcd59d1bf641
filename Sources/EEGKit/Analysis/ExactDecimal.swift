/// A decimal number as the shard reader scans it — ±mantissa × 10^exponent with up to 19
/// significant digits kept exactly — and its nearest Double, found without the C library
/// when that can be done exactly (most numbers a shard holds), so `eeg merge` does not pay
/// strtod's price per number.
///
/// On x86-64 the product or quotient of the mantissa and an exact power of ten is
/// rounded once to Float80's 64-bit significand; rounding that to a Double gives the
/// correctly rounded result unless it lies exactly on a midpoint between two Doubles (a
/// second rounding could then go the wrong way), which ``double`` declines. Elsewhere
/// the classic exact case: a mantissa below 2^53 and a power of ten up to 10^22.
struct ExactDecimal {
    var negative = false
    var mantissa: UInt64 = 0
    /// Significant digits in `mantissa` (leading zeros are not kept).
    private var digits = 0
    var exponent = 0
    /// False when digits were dropped or the exponent is out of the scanned range: only
    /// the text gives the value then.
    private(set) var exact = true

    /// The next digit (0–9), of the fraction when `fraction`.
    mutating func add(digit: UInt8, fraction: Bool) {
        if fraction { exponent -= 1 }
        if mantissa == 0 && digit == 0 { return }
        guard digits < 19 else {
            exact = false
            return
        }
        mantissa = mantissa * 10 + UInt64(digit)
        digits += 1
    }

    /// Adds the written exponent (`e+12`), given up to 4 digits; more are left to the text.
    mutating func add(exponent written: Int, digitCount: Int) {
        guard digitCount <= 4 else {
            exact = false
            return
        }
        exponent += written
    }

    /// The nearest Double, or nil when only the text (strtod) can tell.
    var double: Double? {
        guard exact else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        #if arch(x86_64) && !os(Windows)
        guard (-27...27).contains(exponent) else { return nil }
        let m = Float80(mantissa), power = Self.powers80[abs(exponent)]
        let rounded = exponent >= 0 ? m * power : m / power
        // Exactly halfway between two Doubles: the second rounding may go the wrong way.
        guard rounded.significandBitPattern & 0x7FF != 0x400 else { return nil }
        let value = Double(rounded)
        #else
        guard mantissa <= 1 << 53, (-22...22).contains(exponent) else { return nil }
        let m = Double(mantissa), power = Self.powers[abs(exponent)]
        let value = exponent >= 0 ? m * power : m / power
        #endif
        return negative ? -value : value
    }

    #if arch(x86_64) && !os(Windows)
    /// 10^0 … 10^27, each exact in Float80 (5^27 < 2^64).
    private static let powers80: [Float80] = (0...27).reduce(into: []) { powers, k in powers.append(k == 0 ? 1 : powers[k - 1] * 10) }
    #else
    /// 10^0 … 10^22, each exact in a Double (5^22 < 2^53).
    private static let powers: [Double] = (0...22).reduce(into: []) { powers, k in powers.append(k == 0 ? 1 : powers[k - 1] * 10) }
    #endif
}
