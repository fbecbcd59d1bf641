import Foundation

/// Pure parsers and range checks for every numeric command-line value, so each can be
/// unit-tested and fuzzed apart from the CLI. Each returns the value or throws an
/// ``ArgumentError`` naming the flag; none traps, whatever the text (NaN, ±∞, 1e400,
/// hex, huge integers, empty, non-ASCII digits). Nothing here allocates beyond the
/// returned value.
public enum ArgumentValues {
    // MARK: Ranges the CLI states in its messages and README

    /// Device-time limits (`--duration`), replay positions (`--from`, `--to`): 1 ms to
    /// a million hours. Frames = seconds × rate stays far inside Int64 at any legal rate.
    public static let durationRange: ClosedRange<Double> = 0.001...3_600_000_000
    /// Analysis epochs (`--epoch`): 1 ms to 1 h (an epoch is held in memory).
    public static let epochRange: ClosedRange<Double> = 0.001...3600
    /// Welch segment length in seconds (`--window-seconds`).
    public static let windowSecondsRange: ClosedRange<Double> = 0.001...3600
    /// Welch segment length in samples (`--nperseg`).
    public static let segmentLengthRange: ClosedRange<Int> = 2...(1 << 24)
    /// Sample rates of raw input (`--rate`), Hz.
    public static let rateRange: ClosedRange<Double> = 1...1_000_000
    /// Channels per frame of raw input (`--channels`, `--channel-count`).
    public static let channelRange: ClosedRange<Int> = 1...4096
    /// Playback speed (`--speed`, `--sim-speed`), besides `max`.
    public static let speedRange: ClosedRange<Double> = 0.001...1_000_000
    /// Calibration baseline (`--calibration-seconds`): none up to a day.
    public static let calibrationRange: ClosedRange<Double> = 0...86_400
    /// Files analysed at once (`-j`).
    public static let jobsRange: ClosedRange<Int> = 1...1024
    /// Shard count N of `--shard I/N`.
    public static let shardCountRange: ClosedRange<Int> = 1...1_000_000
    /// Band and filter edges, Hz.
    public static let frequencyRange: ClosedRange<Double> = 0...1_000_000

    // MARK: Numbers

    /// A plain decimal number in `range` (see `decimalNumber`: no hex), after trimming
    /// spaces; NaN, ±∞ and values that overflow to ∞ (`1e400`) are errors.
    public static func number(_ text: String, flag: String, in range: ClosedRange<Double>, unit: String = "") throws(ArgumentError) -> Double {
        let expected = describe(range, unit: unit)
        guard let value = decimalNumber(text.trimmingSpaces()) else {
            throw ArgumentError(.malformed, flag: flag, value: text, expected: "a number \(expected)")
        }
        return try check(value, flag: flag, in: range, unit: unit, given: text)
    }

    /// `value` (already a number, e.g. parsed by the argument parser) checked finite and
    /// in `range`.
    public static func check(_ value: Double, flag: String, in range: ClosedRange<Double>, unit: String = "", given: String? = nil) throws(ArgumentError) -> Double {
        guard value.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: given ?? "\(value)", expected: "a finite number \(describe(range, unit: unit))") }
        guard range.contains(value) else { throw ArgumentError(.outOfRange, flag: flag, value: given ?? "\(value)", expected: describe(range, unit: unit)) }
        return value
    }

    /// An integer checked in `range`.
    public static func check<T: BinaryInteger>(_ value: T, flag: String, in range: ClosedRange<T>) throws(ArgumentError) -> T {
        guard range.contains(value) else { throw ArgumentError(.outOfRange, flag: flag, value: "\(value)", expected: "\(range.lowerBound)…\(range.upperBound)") }
        return value
    }

    /// A decimal integer in `range` (no sign-less overflow: `99999999999999999999` is
    /// out of range, not a trap).
    public static func integer(_ text: String, flag: String, in range: ClosedRange<Int>) throws(ArgumentError) -> Int {
        let trimmed = text.trimmingSpaces()
        guard let value = Int(trimmed) else {
            let digits = !trimmed.isEmpty && trimmed.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy { $0.isASCII && $0.isNumber }
            throw ArgumentError(digits ? .outOfRange : .malformed, flag: flag, value: text, expected: "an integer \(range.lowerBound)…\(range.upperBound)")
        }
        return try check(value, flag: flag, in: range)
    }

    // MARK: Durations

    /// A duration in seconds: `4`, `4s`, `500ms`, `2m`, `2min`, `1.5h`, or a sum of such
    /// parts each with its unit, `1m30s`, `1h 30m` (case and spaces ignored), finite and
    /// in `range`.
    public static func seconds(_ text: String, flag: String, in range: ClosedRange<Double> = durationRange) throws(ArgumentError) -> Double {
        let expected = "a duration \(describeSeconds(range)) (e.g. 10s, 500ms, 2m, 1.5h)"
        let parts = durationParts(text)
        var seconds = 0.0
        for part in parts {
            // In a sum every part names its unit: `1m30` is a typo, not 90 s.
            guard let (number, scale) = splitUnit(part), parts.count == 1 || number.count < part.trimmingSpaces().count,
                  let value = decimalNumber(number) else { throw ArgumentError(.malformed, flag: flag, value: text, expected: expected) }
            seconds += value * scale
        }
        guard seconds.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: text, expected: expected) }
        guard range.contains(seconds) else { throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected) }
        return seconds
    }

    /// `1m30s` as `["1m", "30s"]`: cut where a unit is followed by a digit (so `1e3s`,
    /// whose `e` is no unit, stays whole).
    static func durationParts(_ text: String) -> [String] {
        let lower = text.lowercased()
        var parts: [String] = [], current = ""
        for character in lower {
            let sofar = current.trimmingSpaces()
            if character.isASCII, character.isNumber || character == ".", ["ms", "min", "s", "m", "h"].contains(where: sofar.hasSuffix) {
                parts.append(current)
                current = ""
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// The number part and the seconds per unit of a duration, or nil without a number.
    static func splitUnit(_ text: String) -> (Substring, Double)? {
        let lower = text.trimmingSpaces().lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("min", 60), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            let number = lower.dropLast(suffix.count).trimmingSpaces()
            return number.isEmpty ? nil : (Substring(number), scale)
        }
        return lower.isEmpty ? nil : (Substring(lower), 1)
    }

    /// Frames in `seconds` at `rate` Hz, rounded, saturating at `Int64.max` (so a legal
    /// `--duration 1000000h` at any rate is a frame limit, never a trap); NaN or
    /// negative gives 0.
    public static func frames(seconds: Double, rate: Double) -> Int64 {
        let frames = (seconds * rate).rounded()
        guard frames > 0 else { return 0 }
        return frames >= 9.2e18 ? Int64.max : Int64(frames)
    }

    // MARK: Structured values

    /// `I/N` with 1 ≤ I ≤ N ≤ 1 000 000.
    public static func shard(_ text: String, flag: String = "--shard") throws(ArgumentError) -> Shard {
        let expected = "I/N with 1 ≤ I ≤ N ≤ \(shardCountRange.upperBound), e.g. 1/4"
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingSpaces()), let n = Int(parts[1].trimmingSpaces()) else {
            throw ArgumentError(.malformed, flag: flag, value: text, expected: expected)
        }
        guard shardCountRange.contains(n), (1...n).contains(i), let shard = try? Shard(index: i, count: n) else {
            throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected)
        }
        return shard
    }

    /// `LOW-HIGH` in Hz with 0 < LOW < HIGH ≤ 1 000 000, e.g. `1-45` or `0.5-40`.
    public static func passband(_ text: String, flag: String = "--filter") throws(ArgumentError) -> ClosedRange<Double> {
        let expected = "LOW-HIGH in Hz with 0 < LOW < HIGH ≤ \(format(frequencyRange.upperBound)), e.g. 1-45"
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = decimalNumber(parts[0].trimmingSpaces()), let hi = decimalNumber(parts[1].trimmingSpaces()) else {
            throw ArgumentError(.malformed, flag: flag, value: text, expected: expected)
        }
        guard lo.isFinite, hi.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: text, expected: expected) }
        guard lo > 0, hi > lo, hi <= frequencyRange.upperBound else { throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected) }
        return lo...hi
    }

    /// Bands `name:low-high,…` in Hz (see `BandSet(parsing:)`), each edge ≤ 1 000 000 Hz,
    /// at most 64 bands.
    public static func bands(_ text: String, flag: String = "--bands") throws(ArgumentError) -> BandSet {
        let form = "name:LOW-HIGH,… in Hz, e.g. theta:4-8,alpha:8-13"
        var bands: [FrequencyBand] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.trimmingSpaces().split(separator: ":", maxSplits: 1)
            let edges = parts.count == 2 ? parts[1].split(separator: "-", maxSplits: 1) : []
            guard edges.count == 2, let low = decimalNumber(edges[0]), let high = decimalNumber(edges[1]) else {
                throw ArgumentError(.malformed, flag: flag, value: text, expected: form)
            }
            guard low.isFinite, high.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: text, expected: form) }
            bands.append(FrequencyBand(String(parts[0]), low, high))
        }
        guard bands.count <= 64, bands.allSatisfy({ $0.high <= frequencyRange.upperBound }) else {
            throw ArgumentError(.outOfRange, flag: flag, value: text, expected: "at most 64 bands with edges ≤ \(format(frequencyRange.upperBound)) Hz")
        }
        do { return try BandSet(bands) } catch {
            throw ArgumentError(.outOfRange, flag: flag, value: text, expected: "\(form) (\(error.description))")
        }
    }

    /// A playback speed: a number (an `x` suffix allowed: `4x`) in 0.001…1 000 000, or
    /// `max` (as fast as possible, returned as +∞).
    public static func speed(_ text: String, flag: String = "--speed") throws(ArgumentError) -> Double {
        let lower = text.trimmingSpaces().lowercased()
        if lower == "max" { return .infinity }
        let number = lower.hasSuffix("x") ? String(lower.dropLast()) : lower
        let expected = "max or a speed \(describe(speedRange, unit: "")) (1 = real time)"
        guard let value = decimalNumber(number) else { throw ArgumentError(.malformed, flag: flag, value: text, expected: expected) }
        guard value.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: text, expected: expected) }
        guard speedRange.contains(value) else { throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected) }
        return value
    }

    /// Segment overlap: samples `0 ≤ n < segmentLength`, or a percentage `p%` with
    /// 0 ≤ p < 100 (rounded down to samples).
    public static func overlap(_ text: String, segmentLength: Int, flag: String = "--overlap") throws(ArgumentError) -> Int {
        let trimmed = text.trimmingSpaces()
        if trimmed.hasSuffix("%") {
            let expected = "a percentage in [0, 100), e.g. 50%"
            guard let percent = decimalNumber(trimmed.dropLast()) else { throw ArgumentError(.malformed, flag: flag, value: text, expected: expected) }
            guard percent.isFinite else { throw ArgumentError(.notFinite, flag: flag, value: text, expected: expected) }
            guard percent >= 0, percent < 100 else { throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected) }
            return Int((Double(segmentLength) * percent / 100).rounded(.down))
        }
        let expected = "samples 0…\(max(segmentLength - 1, 0)) (less than a segment) or a percentage such as 50%"
        guard let samples = Int(trimmed) else {
            let kind: ArgumentError.Kind = !trimmed.isEmpty && trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) ? .outOfRange : .malformed
            throw ArgumentError(kind, flag: flag, value: text, expected: expected)
        }
        guard samples >= 0, samples < segmentLength else { throw ArgumentError(.outOfRange, flag: flag, value: text, expected: expected) }
        return samples
    }

    /// `LEFT:RIGHT` channel labels, both non-empty.
    public static func pair(_ text: String, flag: String = "--pair") throws(ArgumentError) -> (left: String, right: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ArgumentError(.malformed, flag: flag, value: text, expected: "LEFT:RIGHT channel labels, e.g. F3:F4")
        }
        return (parts[0], parts[1])
    }

    /// Comma-separated labels, spaces around each trimmed; empty labels are kept (and
    /// then rejected by the count check) so `a,,b` is three labels, as typed.
    public static func labels(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
    }

    // MARK: Descriptions

    static func describe(_ range: ClosedRange<Double>, unit: String) -> String {
        let u = unit.isEmpty ? "" : " " + unit
        return "\(format(range.lowerBound))…\(format(range.upperBound))\(u)"
    }

    static func describeSeconds(_ range: ClosedRange<Double>) -> String {
        func text(_ s: Double) -> String {
            if s >= 3600, s.truncatingRemainder(dividingBy: 3600) == 0 { return format(s / 3600) + "h" }
            if s > 0, s < 1 { return format(s * 1000) + "ms" }
            return format(s) + "s"
        }
        return "\(text(range.lowerBound))…\(text(range.upperBound))"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
