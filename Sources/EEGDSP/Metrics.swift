import Foundation

/// The band-power ratios of DESIGN.md, each `nil` when a band it needs is not configured
/// or its denominator is zero (never an invented infinity).
public struct BandRatios: Sendable, Equatable {
    /// Engagement index β / (α + θ) (Pope, Bogart & Bartolome 1995).
    public var engagement: Double?
    /// θ / β.
    public var thetaBeta: Double?
    /// Relaxation index α / β.
    public var relaxation: Double?
    /// Workload index θ / α (frontal theta up, alpha down with mental load; Gevins & Smith).
    public var workload: Double?

    public init(engagement: Double? = nil, thetaBeta: Double? = nil, relaxation: Double? = nil, workload: Double? = nil) {
        self.engagement = engagement
        self.thetaBeta = thetaBeta
        self.relaxation = relaxation
        self.workload = workload
    }

    /// Ratios from theta, alpha and beta power (µV²), any of which may be missing.
    public init(theta: Double?, alpha: Double?, beta: Double?) {
        func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
            guard let numerator, let denominator, denominator > 0, numerator.isFinite else { return nil }
            return numerator / denominator
        }
        let alphaTheta: Double? = (alpha != nil && theta != nil) ? alpha! + theta! : nil
        self.init(engagement: ratio(beta, alphaTheta), thetaBeta: ratio(theta, beta),
                  relaxation: ratio(alpha, beta), workload: ratio(theta, alpha))
    }
}

/// Where theta, alpha and beta sit in a band set, looked up once.
public struct RatioBands: Sendable, Equatable {
    public let theta: Int?
    public let alpha: Int?
    public let beta: Int?

    public init(_ bands: BandSet) {
        theta = bands.index(of: "theta")
        alpha = bands.index(of: "alpha")
        beta = bands.index(of: "beta")
    }

    /// Ratios of band powers averaged over `channels` (band powers laid out
    /// `[channel × bandCount + band]`). Averaging first, then dividing, as DESIGN.md
    /// specifies. Does not allocate.
    public func ratios(powers: UnsafeBufferPointer<Double>, bandCount: Int, channels: UnsafeBufferPointer<Int>) -> BandRatios {
        func mean(_ band: Int?) -> Double? {
            guard let band, channels.count > 0 else { return nil }
            var sum = 0.0
            for c in channels { sum += powers[c * bandCount + band] }
            return sum / Double(channels.count)
        }
        return BandRatios(theta: mean(theta), alpha: mean(alpha), beta: mean(beta))
    }
}

/// Frontal alpha asymmetry ln α(right) − ln α(left), e.g. F4/F3. `nil` when either power
/// is not positive.
public func frontalAlphaAsymmetry(left: Double, right: Double) -> Double? {
    guard left > 0, right > 0, left.isFinite, right.isFinite else { return nil }
    return log(right) - log(left)
}
