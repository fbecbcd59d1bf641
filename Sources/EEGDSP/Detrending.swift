/// Removes the mean (`.constant`) or the least-squares line (`.linear`) from a signal in
/// place, in double precision, as `scipy.signal.detrend`.
public func detrend(_ signal: inout [Double], _ kind: Detrend) {
    let n = signal.count
    guard n > 0, kind != .none else { return }
    var sum = 0.0
    for v in signal { sum += v }
    let mean = sum / Double(n)
    switch kind {
    case .none:
        return
    case .constant:
        for i in 0..<n { signal[i] -= mean }
    case .linear:
        let centre = Double(n - 1) / 2
        var sxy = 0.0, sxx = 0.0
        for i in 0..<n {
            let t = Double(i) - centre
            sxy += t * signal[i]
            sxx += t * t
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        for i in 0..<n { signal[i] -= mean + slope * (Double(i) - centre) }
    }
}
