import Foundation

/// The mean and standard deviation of ln(index) over a calibration period.
public struct Baseline: Sendable, Codable, Equatable {
    public let mean: Double
    public let standardDeviation: Double
    public let count: Int

    public init(mean: Double, standardDeviation: Double, count: Int) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.count = count
    }

    /// 100·Φ((ln value − mean) / σ): 50 at the baseline's typical value, towards 100 as
    /// the index rises. `nil` for a non-positive value.
    public func score(_ value: Double?) -> Double? {
        guard let value, value > 0, value.isFinite, standardDeviation > 0 else { return nil }
        let z = (log(value) - mean) / standardDeviation
        return 100 * 0.5 * erfc(-z / 2.0.squareRoot())
    }
}

/// Builds a ``Baseline`` from values one at a time (Welford's algorithm; no storage).
public struct BaselineAccumulator: Sendable {
    private var count = 0
    private var mean = 0.0
    private var m2 = 0.0

    public init() {}

    /// Adds ln(value); ignores values that are missing, not positive or not finite.
    public mutating func add(_ value: Double?) {
        guard let value, value > 0, value.isFinite else { return }
        let x = log(value)
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    /// The baseline so far: `nil` until two values with some spread have been seen.
    /// The standard deviation is the sample one (n − 1).
    public var baseline: Baseline? {
        guard count >= 2 else { return nil }
        let sd = (m2 / Double(count - 1)).squareRoot()
        guard sd > 0 else { return nil }
        return Baseline(mean: mean, standardDeviation: sd, count: count)
    }
}

/// Baselines for the three 0–100 scores a neurofeedback app shows: attention (from the
/// engagement index), relaxation (α/β) and workload (θ/α). Saved and loaded as JSON so a
/// session can reuse an earlier calibration (`--calibration FILE`). A baseline is `nil`
/// when its index had no usable spread during calibration; that score stays unavailable
/// while the others work.
public struct Calibration: Sendable, Codable, Equatable {
    public var attention: Baseline?
    public var relaxation: Baseline?
    public var workload: Baseline?

    public init(attention: Baseline?, relaxation: Baseline?, workload: Baseline?) {
        self.attention = attention
        self.relaxation = relaxation
        self.workload = workload
    }
}

/// The three scores, each `nil` ("unavailable") until a baseline exists.
public struct Scores: Sendable, Equatable {
    public var attention: Double?
    public var relaxation: Double?
    public var workload: Double?

    public init(attention: Double? = nil, relaxation: Double? = nil, workload: Double? = nil) {
        self.attention = attention
        self.relaxation = relaxation
        self.workload = workload
    }
}

/// Turns ratios into scores: collects the baseline during the first `duration` seconds
/// (unless a saved ``Calibration`` is given), then scores every later update.
public struct ScoreCalibrator: Sendable {
    public let duration: Double
    public private(set) var calibration: Calibration?
    private var attention = BaselineAccumulator()
    private var relaxation = BaselineAccumulator()
    private var workload = BaselineAccumulator()

    public init(duration: Double = 60, calibration: Calibration? = nil) {
        self.duration = duration
        self.calibration = calibration
    }

    /// Fraction of the calibration period done, 0…1 (1 with a saved calibration).
    public func progress(at time: Double) -> Double {
        calibration != nil ? 1 : min(max(time / duration, 0), 1)
    }

    /// Feeds the ratios of the window ending at `time` seconds; returns the scores
    /// (all `nil` while calibrating; one stays `nil` when its index had no usable spread
    /// during the baseline period). Only `usable` windows (no flat, railed or artifact
    /// channel: ``WindowAnalyzer/isUsable``) join the baseline, live and offline alike:
    /// a blink must not widen what "typical" means.
    public mutating func update(_ ratios: BandRatios, at time: Double, usable: Bool = true) -> Scores {
        if calibration == nil {
            if time <= duration {
                guard usable else { return Scores() }
                attention.add(ratios.engagement)
                relaxation.add(ratios.relaxation)
                workload.add(ratios.workload)
                return Scores()
            }
            settle()
        }
        return scores(for: ratios)
    }

    /// Fixes the baseline from what was collected so far (an offline analysis does this
    /// when its calibration period, or the file, ends). Nothing changes once fixed.
    public mutating func settle() {
        guard calibration == nil else { return }
        calibration = Calibration(attention: attention.baseline, relaxation: relaxation.baseline, workload: workload.baseline)
    }

    /// The scores of `ratios` against the fixed baseline (all `nil` before ``settle()``).
    public func scores(for ratios: BandRatios) -> Scores {
        guard let calibration else { return Scores() }
        return Scores(attention: calibration.attention?.score(ratios.engagement),
                      relaxation: calibration.relaxation?.score(ratios.relaxation),
                      workload: calibration.workload?.score(ratios.workload))
    }
}

/// An exponential moving average for live values: y += (1 − e^(−Δt/τ))·(x − y), so the
/// time constant τ is in seconds whatever the update rate. A missing value leaves it
/// unchanged; the first value starts it.
public struct ExponentialSmoother: Sendable, Equatable {
    public let timeConstant: Double
    public let interval: Double
    private let weight: Double
    public private(set) var value: Double?

    /// - Parameters:
    ///   - timeConstant: τ in seconds (0 disables smoothing).
    ///   - interval: seconds between updates.
    public init(timeConstant: Double, interval: Double) {
        self.timeConstant = timeConstant
        self.interval = interval
        weight = timeConstant > 0 ? 1 - exp(-interval / timeConstant) : 1
    }

    @discardableResult
    public mutating func update(_ x: Double?) -> Double? {
        guard let x, x.isFinite else { return value }
        if let current = value { value = current + weight * (x - current) } else { value = x }
        return value
    }

    public mutating func reset() { value = nil }
}
