/// Time intervals, sorted and merged, asked whether they overlap an interval (binary
/// search: an epoch's check does not grow with the number of spans).
struct TimeSpans {
    private var starts: [Double] = []
    private var ends: [Double] = []

    init(_ spans: [(Double, Double)]) {
        for (a, b) in spans.sorted(by: { $0.0 < $1.0 }) where b > a {
            if let last = ends.last, a <= last { ends[ends.count - 1] = max(last, b) } else { starts.append(a); ends.append(b) }
        }
    }

    /// Whether any span overlaps the open interval (from, to).
    func overlaps(_ from: Double, _ to: Double) -> Bool {
        // The last span starting before `to`; merged spans are disjoint, so only it can reach past `from`.
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] < to { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && ends[lo - 1] > from
    }
}
