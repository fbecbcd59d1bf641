import Foundation

/// How numbers are written, one style per kind of output, so the same value reads the
/// same wherever that kind of output shows it:
/// - ``live``: 6 significant digits (printf `%.6g`), for `stream`/`replay` lines — one per
///   0.25 s update, read by people and plotters;
/// - ``exact``: Swift's shortest round-tripping form, for `analyze` and `bandpower`
///   results, which are checked against scipy and must not lose digits.
/// A missing or non-finite value is `null` in JSON and an empty cell in CSV in both.
public enum NumberStyle: Sendable {
    case live, exact

    public func json(_ value: Double?) -> String {
        switch self {
        case .live: JSONText.number(value, significantDigits: 6)
        case .exact: JSONText.number(value)
        }
    }

    public func csv(_ value: Double?) -> String {
        switch self {
        case .live: CSVText.number(value, significantDigits: 6)
        case .exact: CSVText.number(value)
        }
    }
}
