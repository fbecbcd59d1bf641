/// `value` rounded toward zero and clamped to `range`; NaN gives `range.lowerBound`.
/// For turning a computed Double into a count of cells or seconds on display, where
/// `Int(value)` would trap on NaN, ±∞ or a value beyond Int's range.
func clampedInt(_ value: Double, _ range: ClosedRange<Int>) -> Int {
    guard !value.isNaN else { return range.lowerBound }
    if value <= Double(range.lowerBound) { return range.lowerBound }
    if value >= Double(range.upperBound) { return range.upperBound }
    return Int(value)
}

/// Whole seconds for a clock display: 0 … 10⁹ (about 31 years).
func displaySeconds(_ seconds: Double) -> Int { clampedInt(seconds, 0...1_000_000_000) }
