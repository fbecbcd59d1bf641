import Foundation

extension Metric {
    /// Width of the metric's column in a people's table: its heading and two spaces, at
    /// least `minimum` characters.
    public func columnWidth(atLeast minimum: Int) -> Int { max(minimum, symbol.count + 2) }
}
