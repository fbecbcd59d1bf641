/// Conversions of `Duration` the package needs in several places (sleeping, polling,
/// progress, benchmarks), written once.
extension Duration {
    /// The duration in seconds, fractions included (attosecond resolution, rounded to a
    /// `Double`).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// The whole number of units of `1 / unitsPerSecond` s it holds (1000: milliseconds,
    /// 1e9: nanoseconds), rounded toward zero and clamped to `range` — never a trap,
    /// however long or negative the duration. `unitsPerSecond` divides 10¹⁸.
    public func whole(unitsPerSecond: Int64, clampedTo range: ClosedRange<Int64>) -> Int64 {
        let (scaled, overflow) = components.seconds.multipliedReportingOverflow(by: unitsPerSecond)
        let (total, carry) = scaled.addingReportingOverflow(components.attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
        if overflow || carry { return components.seconds < 0 ? range.lowerBound : range.upperBound }
        return min(max(total, range.lowerBound), range.upperBound)
    }
}
