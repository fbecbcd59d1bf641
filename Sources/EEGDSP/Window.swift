import Foundation

/// Tapering windows for spectral estimation, periodic ("DFT-even") as scipy's
/// `get_window(name, n)` returns them by default.
public enum WindowFunction: String, Sendable, Hashable, CaseIterable {
    case hann
    case hamming
    case blackman
    case rectangular

    /// Parses `hann`, `hamming`, `blackman`, `rectangular` (also `boxcar`, scipy's name).
    public init?(name: String) {
        switch name.lowercased() {
        case "hann", "hanning": self = .hann
        case "hamming": self = .hamming
        case "blackman": self = .blackman
        case "rectangular", "boxcar", "rect", "none": self = .rectangular
        default: return nil
        }
    }

    /// The window's `length` coefficients, computed in double precision.
    public func coefficients(length: Int) -> [Double] {
        let n = Double(length)
        return (0..<length).map { i in
            let x = 2 * Double.pi * Double(i) / n
            switch self {
            case .hann: return 0.5 - 0.5 * cos(x)
            case .hamming: return 0.54 - 0.46 * cos(x)
            case .blackman: return 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x)
            case .rectangular: return 1
            }
        }
    }
}
