import Foundation

/// A cascade of biquads, one row `[b0, b1, b2, a0, a1, a2]` per section with `a0 = 1`,
/// in scipy's `sos` layout and section order.
public struct SecondOrderSections: Sendable, Hashable {
    public let sections: [[Double]]

    /// Wraps existing coefficients (e.g. from scipy); each row must have six numbers and
    /// `a0 = 1`.
    public init(_ sections: [[Double]]) throws(DSPError) {
        guard !sections.isEmpty else { throw .invalidFilter("no sections") }
        for row in sections {
            guard row.count == 6 else { throw .invalidFilter("a section needs 6 coefficients, got \(row.count)") }
            guard row[3] == 1 else { throw .invalidFilter("a0 of every section must be 1, got \(row[3])") }
            guard row.allSatisfy(\.isFinite) else { throw .invalidFilter("coefficients must be finite") }
        }
        self.sections = sections
    }
}

/// Digital Butterworth designs, equal to `scipy.signal.butter(order, cutoff, btype,
/// fs=sampleRate, output='sos')`: the same analog prototype, pre-warping, bilinear
/// transform and pole-zero pairing (`zpk2sos`, pairing 'nearest'), so the coefficients
/// and section order agree with scipy's to rounding.
public enum Butterworth {
    public enum Kind: String, Sendable { case lowpass, highpass, bandpass, bandstop }

    /// - Parameters:
    ///   - cutoff: one frequency (low/high-pass) or two (band-pass/stop), Hz, each
    ///     strictly between 0 and the Nyquist frequency.
    public static func design(
        _ kind: Kind, order: Int, cutoff: [Double], sampleRate: Double
    ) throws(DSPError) -> SecondOrderSections {
        try validate(kind, order: order, cutoff: cutoff, sampleRate: sampleRate)
        // Pre-warp (scipy normalises to Nyquist, then uses fs = 2).
        let warped = cutoff.map { 2 * 2.0 * tan(Double.pi * ($0 / (sampleRate / 2)) / 2.0) }
        var filter = analogPrototype(order: order)
        filter.transform(to: kind, warped: warped)
        filter.bilinear()
        return try SecondOrderSections(zpkToSOS(zeros: filter.zeros, poles: filter.poles, gain: filter.gain))
    }

    private static func validate(_ kind: Kind, order: Int, cutoff: [Double], sampleRate: Double) throws(DSPError) {
        guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        guard order >= 1, order <= 24 else { throw .invalidFilter("Butterworth order must be 1...24, got \(order)") }
        let expected = (kind == .lowpass || kind == .highpass) ? 1 : 2
        guard cutoff.count == expected else {
            throw .invalidFilter("a \(kind.rawValue) filter takes \(expected) cutoff frequenc\(expected == 1 ? "y" : "ies"), got \(cutoff.count)")
        }
        let nyquist = sampleRate / 2
        for f in cutoff where !(f > 0 && f < nyquist) {
            throw .invalidFilter("cutoff \(f) Hz must lie strictly between 0 and the Nyquist frequency \(nyquist) Hz")
        }
        if expected == 2, !(cutoff[0] < cutoff[1]) {
            throw .invalidFilter("band edges must be increasing, got \(cutoff[0])-\(cutoff[1]) Hz")
        }
    }

    /// Analog prototype: poles on the left half of the unit circle, no zeros, gain 1.
    private static func analogPrototype(order: Int) -> ZeroPoleGain {
        let poles: [Complex] = stride(from: -order + 1, to: order, by: 2).map { m in
            -Complex.exp(imaginary: Double.pi * Double(m) / Double(2 * order))
        }
        return ZeroPoleGain(zeros: [], poles: poles, gain: 1.0)
    }

    /// A notch at `frequency` Hz with quality factor `quality` (bandwidth = frequency /
    /// quality), equal to `scipy.signal.iirnotch(frequency, quality, fs)` as one section.
    public static func notch(frequency: Double, quality: Double = 30, sampleRate: Double) throws(DSPError) -> SecondOrderSections {
        guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        guard frequency > 0, frequency < sampleRate / 2 else {
            throw .invalidFilter("notch frequency \(frequency) Hz must lie strictly between 0 and the Nyquist frequency \(sampleRate / 2) Hz")
        }
        guard quality > 0, quality.isFinite else { throw .invalidFilter("notch quality factor must be positive, got \(quality)") }
        var w0 = 2 * frequency / sampleRate
        var bw = w0 / quality
        bw *= Double.pi
        w0 *= Double.pi
        let gb = 1 / 2.0.squareRoot()
        let beta = ((1.0 - gb * gb).squareRoot() / gb) * tan(bw / 2.0)
        let gain = 1.0 / (1.0 + beta)
        return try SecondOrderSections([[gain, gain * -2.0 * cos(w0), gain, 1.0, -2.0 * gain * cos(w0), 2.0 * gain - 1.0]])
    }

}

/// A filter as zeros, poles and gain, transformed step by step as scipy's `butter` does
/// (`lp2lp_zpk`, `lp2hp_zpk`, `lp2bp_zpk`, `lp2bs_zpk`, then `bilinear_zpk`).
private struct ZeroPoleGain {
    var zeros: [Complex]
    var poles: [Complex]
    var gain: Double

    /// The low-pass prototype moved to `kind` at the pre-warped edges `warped`.
    mutating func transform(to kind: Butterworth.Kind, warped: [Double]) {
        let degree = poles.count - zeros.count
        switch kind {
        case .lowpass: toLowpass(wo: warped[0], degree: degree)
        case .highpass: toHighpass(wo: warped[0], degree: degree)
        case .bandpass: toBandpass(warped: warped, degree: degree)
        case .bandstop: toBandstop(warped: warped, degree: degree)
        }
    }

    private mutating func toLowpass(wo: Double, degree: Int) {
        zeros = zeros.map { $0 * wo }
        poles = poles.map { $0 * wo }
        gain *= pow(wo, Double(degree))
    }

    private mutating func toHighpass(wo: Double, degree: Int) {
        gain *= (Self.product(zeros.map { -$0 }) / Self.product(poles.map { -$0 })).re
        zeros = zeros.map { Complex(wo) / $0 } + Array(repeating: .zero, count: degree)
        poles = poles.map { Complex(wo) / $0 }
    }

    private mutating func toBandpass(warped: [Double], degree: Int) {
        let bw = warped[1] - warped[0], wo = (warped[0] * warped[1]).squareRoot()
        let zl = zeros.map { $0 * (bw / 2) }, pl = poles.map { $0 * (bw / 2) }
        let wo2 = Complex(wo * wo)
        zeros = zl.map { $0 + ($0 * $0 - wo2).squareRoot() } + zl.map { $0 - ($0 * $0 - wo2).squareRoot() }
        poles = pl.map { $0 + ($0 * $0 - wo2).squareRoot() } + pl.map { $0 - ($0 * $0 - wo2).squareRoot() }
        zeros += Array(repeating: .zero, count: degree)
        gain *= pow(bw, Double(degree))
    }

    private mutating func toBandstop(warped: [Double], degree: Int) {
        let bw = warped[1] - warped[0], wo = (warped[0] * warped[1]).squareRoot()
        gain *= (Self.product(zeros.map { -$0 }) / Self.product(poles.map { -$0 })).re
        let zh = zeros.map { Complex(bw / 2) / $0 }, ph = poles.map { Complex(bw / 2) / $0 }
        let wo2 = Complex(wo * wo)
        zeros = zh.map { $0 + ($0 * $0 - wo2).squareRoot() } + zh.map { $0 - ($0 * $0 - wo2).squareRoot() }
        poles = ph.map { $0 + ($0 * $0 - wo2).squareRoot() } + ph.map { $0 - ($0 * $0 - wo2).squareRoot() }
        zeros += Array(repeating: Complex(0, wo), count: degree) + Array(repeating: Complex(0, -wo), count: degree)
    }

    /// Bilinear transform with fs = 2.
    mutating func bilinear() {
        let fs2 = Complex(4.0)
        let bilinearDegree = poles.count - zeros.count
        gain *= (Self.product(zeros.map { fs2 - $0 }) / Self.product(poles.map { fs2 - $0 })).re
        zeros = zeros.map { (fs2 + $0) / (fs2 - $0) } + Array(repeating: Complex(-1), count: bilinearDegree)
        poles = poles.map { (fs2 + $0) / (fs2 - $0) }
    }

    static func product(_ values: [Complex]) -> Complex {
        values.reduce(Complex(1)) { $0 * $1 }
    }
}

// MARK: - zpk2sos, as scipy.signal does it (pairing 'nearest', digital)

/// Groups zeros and poles into second-order sections: poles closest to the unit circle
/// go last, each paired with its nearest zeros; the overall gain goes into section 0.
func zpkToSOS(zeros: [Complex], poles: [Complex], gain: Double) -> [[Double]] {
    if zeros.isEmpty && poles.isEmpty { return [[gain, 0, 0, 1, 0, 0]] }
    var p = poles + Array(repeating: .zero, count: max(zeros.count - poles.count, 0))
    var z = zeros + Array(repeating: .zero, count: max(poles.count - zeros.count, 0))
    let sectionCount = (max(p.count, z.count) + 1) / 2
    if p.count % 2 == 1 {
        p.append(.zero)
        z.append(.zero)
    }
    z = conjugatePairsThenReals(z)
    p = conjugatePairsThenReals(p)

    var sos = Array(repeating: [Double](repeating: 0, count: 6), count: sectionCount)
    for si in stride(from: sectionCount - 1, through: 0, by: -1) {
        let p1 = p.remove(at: worst(p))
        let realPolesLeft = p.filter(\.isReal).count
        if p1.isReal && realPolesLeft == 0 {
            let z1 = z.remove(at: nearest(z, to: p1, .real))
            sos[si] = singleSection(zeros: [z1, .zero], poles: [p1, .zero])
        } else if p.count + 1 == z.count, !p1.isReal, realPolesLeft == 1, z.filter(\.isReal).count == 1 {
            let z1 = z.remove(at: nearest(z, to: p1, .complex))
            sos[si] = singleSection(zeros: [z1, z1.conjugate], poles: [p1, p1.conjugate])
        } else {
            let p2: Complex
            if p1.isReal {
                let realIndices = p.indices.filter { p[$0].isReal }
                p2 = p.remove(at: realIndices[worst(realIndices.map { p[$0] })])
            } else {
                p2 = p1.conjugate
            }
            sos[si] = pairedSection(poles: (p1, p2), zeros: &z)
        }
    }
    for i in 0..<3 { sos[0][i] *= gain }
    return sos
}

/// The section of poles `p1`, `p2` with the zeros nearest `p1` (taken from `z`): a
/// conjugate pair, two reals, one, or none left.
private func pairedSection(poles: (Complex, Complex), zeros z: inout [Complex]) -> [Double] {
    let (p1, p2) = poles
    guard !z.isEmpty else { return singleSection(zeros: [], poles: [p1, p2]) }
    let z1 = z.remove(at: nearest(z, to: p1, .any))
    if !z1.isReal { return singleSection(zeros: [z1, z1.conjugate], poles: [p1, p2]) }
    guard !z.isEmpty else { return singleSection(zeros: [z1], poles: [p1, p2]) }
    let z2 = z.remove(at: nearest(z, to: p1, .real))
    return singleSection(zeros: [z1, z2], poles: [p1, p2])
}

/// The index of the candidate closest to the unit circle (the first of equals).
private func worst(_ candidates: [Complex]) -> Int {
    var best = 0
    for i in candidates.indices where abs(1 - candidates[i].magnitude) < abs(1 - candidates[best].magnitude) { best = i }
    return best
}

private enum Which { case real, complex, any }

/// The index of the value in `from` nearest `target` of the wanted kind: np.argsort of
/// the distances (stable for these small arrays), then the first of that kind.
private func nearest(_ from: [Complex], to target: Complex, _ which: Which) -> Int {
    let order = from.indices.sorted { a, b in
        let da = (from[a] - target).magnitude, db = (from[b] - target).magnitude
        return da != db ? da < db : a < b
    }
    switch which {
    case .any: return order[0]
    case .real: return order.first { from[$0].isReal }!
    case .complex: return order.first { !from[$0].isReal }!
    }
}

/// scipy's `_cplxreal`: one member (positive imaginary part) of each conjugate pair,
/// sorted, then the real values, sorted.
func conjugatePairsThenReals(_ values: [Complex]) -> [Complex] {
    guard !values.isEmpty else { return [] }
    let tolerance = 100 * Double.ulpOfOne
    // lexsort((|imag|, real)): by real part, then |imag|; stable.
    let sorted = values.indices.sorted { a, b in
        let x = values[a], y = values[b]
        if x.re != y.re { return x.re < y.re }
        if abs(x.im) != abs(y.im) { return abs(x.im) < abs(y.im) }
        return a < b
    }.map { values[$0] }
    let isReal = sorted.map { abs($0.im) <= tolerance * $0.magnitude }
    let reals = sorted.indices.filter { isReal[$0] }.map { Complex(sorted[$0].re) }
    let complex = sorted.indices.filter { !isReal[$0] }.map { sorted[$0] }
    var positive = complex.filter { $0.im > 0 }
    var negative = complex.filter { $0.im < 0 }
    precondition(positive.count == negative.count, "unpaired complex root")
    // Within runs of (nearly) equal real part, order by |imag|.
    var start = 0
    while start < positive.count {
        var stop = start + 1
        while stop < positive.count, positive[stop].re - positive[stop - 1].re <= tolerance * positive[stop - 1].magnitude { stop += 1 }
        if stop - start > 1 {
            positive[start..<stop].sort { abs($0.im) < abs($1.im) }
            negative[start..<stop].sort { abs($0.im) < abs($1.im) }
        }
        start = stop
    }
    let pairs = zip(positive, negative).map { ($0 + $1.conjugate) / Complex(2) }
    return pairs + reals
}

/// One `[b0, b1, b2, 1, a1, a2]` row from up to two zeros and two poles (zpk2tf).
func singleSection(zeros: [Complex], poles: [Complex]) -> [Double] {
    func poly(_ roots: [Complex]) -> [Double] {
        var c: [Complex] = [Complex(1)]
        for r in roots {
            var next = Array(repeating: Complex.zero, count: c.count + 1)
            for i in c.indices {
                next[i] = next[i] + c[i]
                next[i + 1] = next[i + 1] + c[i] * -r
            }
            c = next
        }
        return c.map(\.re)
    }
    let b = poly(zeros), a = poly(poles)
    var row = [Double](repeating: 0, count: 6)
    for (i, v) in b.enumerated() { row[3 - b.count + i] = v }
    for (i, v) in a.enumerated() { row[6 - a.count + i] = v }
    return row
}

/// Just enough complex arithmetic for filter design, with the textbook formulas numpy
/// uses so designs agree with scipy to rounding.
struct Complex: Equatable {
    var re: Double
    var im: Double

    init(_ re: Double, _ im: Double = 0) {
        self.re = re
        self.im = im
    }

    static let zero = Complex(0)
    var isReal: Bool { im == 0 }
    var conjugate: Complex { Complex(re, -im) }
    var magnitude: Double { hypot(re, im) }

    static func exp(imaginary theta: Double) -> Complex { Complex(cos(theta), sin(theta)) }
    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    static prefix func - (a: Complex) -> Complex { Complex(-a.re, -a.im) }
    static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    static func * (a: Complex, s: Double) -> Complex { Complex(a.re * s, a.im * s) }
    static func / (a: Complex, b: Complex) -> Complex {
        // Smith's algorithm, as numpy's complex division.
        if abs(b.re) >= abs(b.im) {
            let ratio = b.im / b.re, denominator = b.re + b.im * ratio
            return Complex((a.re + a.im * ratio) / denominator, (a.im - a.re * ratio) / denominator)
        } else {
            let ratio = b.re / b.im, denominator = b.re * ratio + b.im
            return Complex((a.re * ratio + a.im) / denominator, (a.im * ratio - a.re) / denominator)
        }
    }

    /// Principal square root.
    func squareRoot() -> Complex {
        if re == 0 && im == 0 { return Complex(0, im) }
        let t = ((abs(re) + magnitude) / 2).squareRoot()
        if re >= 0 { return Complex(t, im / (2 * t)) }
        return Complex(abs(im) / (2 * t), im >= 0 ? t : -t)
    }
}
