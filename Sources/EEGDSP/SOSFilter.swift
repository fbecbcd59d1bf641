/// Causal filtering of interleaved multi-channel frames through second-order sections
/// (direct form II transposed, as `scipy.signal.sosfilt`), keeping each channel's state
/// across calls: feeding a signal in blocks gives exactly what one call on the whole
/// signal gives.
///
/// Arithmetic is in double precision. ``process(_:)`` filters in place, does not
/// allocate, lock or log; one instance belongs to one thread.
public final class CausalFilter {
    public let sections: SecondOrderSections
    public let channelCount: Int
    private let coefficients: UnsafeMutablePointer<Double>  // 5 per section: b0 b1 b2 a1 a2
    private let state: UnsafeMutablePointer<Double>         // 2 per section per channel
    private let sectionCount: Int

    public init(_ sections: SecondOrderSections, channelCount: Int) {
        precondition(channelCount >= 1, "channel count must be positive")
        self.sections = sections
        self.channelCount = channelCount
        sectionCount = sections.sections.count
        coefficients = .allocate(capacity: 5 * sectionCount)
        for (s, row) in sections.sections.enumerated() {
            coefficients[5 * s] = row[0]
            coefficients[5 * s + 1] = row[1]
            coefficients[5 * s + 2] = row[2]
            coefficients[5 * s + 3] = row[4]
            coefficients[5 * s + 4] = row[5]
        }
        state = .allocate(capacity: 2 * sectionCount * channelCount)
        state.initialize(repeating: 0, count: 2 * sectionCount * channelCount)
    }

    deinit {
        coefficients.deallocate()
        state.deallocate()
    }

    /// Zeroes the state (a new, unrelated signal follows).
    public func reset() { state.update(repeating: 0, count: 2 * sectionCount * channelCount) }

    /// Sets every channel's state to the steady state for a constant input `level[c]`
    /// (scipy's `sosfilt_zi(sos) * x0`), which avoids the start-up transient.
    public func settle(at level: [Double]) {
        precondition(level.count == channelCount, "one level per channel")
        let zi = steadyState(sections)
        for c in 0..<channelCount {
            for s in 0..<sectionCount {
                state[(c * sectionCount + s) * 2] = zi[s].0 * level[c]
                state[(c * sectionCount + s) * 2 + 1] = zi[s].1 * level[c]
            }
        }
    }

    /// Filters `samples` (whole frames of `channelCount` interleaved values) in place.
    public func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        let channels = channelCount
        precondition(samples.count % channels == 0, "not a whole number of frames")
        let frames = samples.count / channels
        guard frames > 0 else { return }
        let base = samples.baseAddress!
        for c in 0..<channels {
            run(base + c, stride: channels, count: frames, state: state + c * sectionCount * 2)
        }
    }

    @inline(__always)
    private func run(_ x: UnsafeMutablePointer<Float>, stride: Int, count: Int, state: UnsafeMutablePointer<Double>) {
        let k = coefficients
        for s in 0..<sectionCount {
            // One section over the whole block at a time keeps its five coefficients and
            // two state values in registers.
            let b0 = k[5 * s], b1 = k[5 * s + 1], b2 = k[5 * s + 2], a1 = k[5 * s + 3], a2 = k[5 * s + 4]
            var z0 = state[2 * s], z1 = state[2 * s + 1]
            var i = 0
            while i < count {
                let input = Double(x[i &* stride])
                let output = b0 * input + z0
                z0 = b1 * input - a1 * output + z1
                z1 = b2 * input - a2 * output
                x[i &* stride] = Float(output)
                i &+= 1
            }
            state[2 * s] = z0
            state[2 * s + 1] = z1
        }
    }
}

/// Per-section steady state for a unit step, as `scipy.signal.sosfilt_zi`.
func steadyState(_ sos: SecondOrderSections) -> [(Double, Double)] {
    var scale = 1.0
    return sos.sections.map { row in
        let b0 = row[0], b1 = row[1], b2 = row[2], a1 = row[4], a2 = row[5]
        // lfilter_zi: solve (I − Aᵀ) zi = b[1:] − a[1:]·b0 for the 2×2 companion matrix.
        let r0 = b1 - a1 * b0, r1 = b2 - a2 * b0
        let z0 = (r0 + r1) / (1 + a1 + a2)
        let z1 = r1 - a2 * z0
        defer { scale *= (b0 + b1 + b2) / (1 + a1 + a2) }
        return (scale * z0, scale * z1)
    }
}

/// Zero-phase filtering, equal to `scipy.signal.sosfiltfilt(sos, x)` with its defaults:
/// odd extension by `3 × (2 × sections + 1 − trailing zero coefficients)` samples at each
/// end, steady-state initial conditions, forward then backward.
///
/// Offline use: allocates a working copy of the signal. Input must be longer than the
/// padding.
public func zeroPhaseFilter(_ sections: SecondOrderSections, _ signal: [Float]) throws(DSPError) -> [Float] {
    let rows = sections.sections
    let trailingZeros = min(rows.filter { $0[2] == 0 }.count, rows.filter { $0[5] == 0 }.count)
    let padding = 3 * (2 * rows.count + 1 - trailingZeros)
    guard signal.count > padding else {
        throw .tooFewSamples(have: signal.count, need: padding + 1)
    }
    let n = signal.count
    var extended = [Double](repeating: 0, count: n + 2 * padding)
    let first = Double(signal[0]), last = Double(signal[n - 1])
    for i in 0..<padding {
        extended[i] = 2 * first - Double(signal[padding - i])
        extended[padding + n + i] = 2 * last - Double(signal[n - 2 - i])
    }
    for i in 0..<n { extended[padding + i] = Double(signal[i]) }

    let zi = steadyState(sections)
    func pass(_ x: inout [Double]) {
        let x0 = x[0]
        for (s, row) in rows.enumerated() {
            let b0 = row[0], b1 = row[1], b2 = row[2], a1 = row[4], a2 = row[5]
            var z0 = zi[s].0 * x0, z1 = zi[s].1 * x0
            for i in x.indices {
                let input = x[i]
                let output = b0 * input + z0
                z0 = b1 * input - a1 * output + z1
                z1 = b2 * input - a2 * output
                x[i] = output
            }
        }
    }
    // scipy's state scaling uses the first value of each pass's input, which for the
    // forward pass is the extended signal's first sample.
    pass(&extended)
    extended.reverse()
    pass(&extended)
    extended.reverse()
    return (padding..<(padding + n)).map { Float(extended[$0]) }
}
