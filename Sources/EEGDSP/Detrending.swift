/// Removes the mean (`.constant`) or the least-squares line (`.linear`) from a signal in
/// place, in double precision, as `scipy.signal.detrend`.
public func detrend(_ signal: inout [Double], _ kind: Detrend) {
    let n = signal.count
    guard n > 0, kind != .none else { return }
    let trend = signal.withUnsafeBufferPointer { s in Trend(kind, count: n) { s[$0] } }
    for i in 0..<n { signal[i] -= trend.value(at: i) }
}

/// `count` samples spaced `stride` floats apart, minus their least-squares line (the
/// arithmetic of ``detrend(_:_:)`` in double precision, rounded to float), into `output`.
/// Does not allocate.
public func removeLinearTrend(_ start: UnsafePointer<Float>, stride: Int, count: Int, into output: UnsafeMutablePointer<Float>) {
    guard count > 0 else { return }
    let trend = Trend(.linear, count: count) { Double(start[$0 &* stride]) }
    for i in 0..<count { output[i] = Float(Double(start[i &* stride]) - trend.value(at: i)) }
}

/// The mean or least-squares line of `count` values, t centred on the middle sample.
struct Trend {
    let mean: Double
    let slope: Double
    let centre: Double

    init(_ kind: Detrend, count n: Int, _ value: (Int) -> Double) {
        var sum = 0.0
        for i in 0..<n { sum += value(i) }
        mean = sum / Double(n)
        centre = Double(n - 1) / 2
        guard kind == .linear else { slope = 0; return }
        var sxy = 0.0, sxx = 0.0
        for i in 0..<n {
            let t = Double(i) - centre
            sxy += t * value(i)
            sxx += t * t
        }
        slope = sxx > 0 ? sxy / sxx : 0
    }

    /// The trend at sample `i` (the mean alone for `.constant`).
    @inline(__always) func value(at i: Int) -> Double { mean + slope * (Double(i) - centre) }
}
