import Foundation

/// Number text shared by ``JSONText`` and ``CSVText``: the two write the same digits and
/// differ only in what stands for a missing or non-finite value (`null`, an empty cell).
enum NumberText {
    /// Swift's shortest round-tripping form (`0.1`, `1e-05`), or `missing`.
    static func shortest(_ value: Double?, missing: String) -> String {
        guard let value, value.isFinite else { return missing }
        return "\(value)"
    }

    /// A single-precision sample in its shortest form, or `missing`.
    static func shortest(_ value: Float, missing: String) -> String {
        value.isFinite ? "\(value)" : missing
    }

    /// `value` with `digits` significant digits (printf `%g`), or `missing`.
    static func significant(_ value: Double?, digits: Int, missing: String) -> String {
        guard let value, value.isFinite else { return missing }
        return String(format: "%.\(digits)g", value)
    }
}
