#if canImport(Glibc)
import Glibc
#endif

/// Host-clock timestamps for a device's samples, from the device's **sample counter**
/// anchored to a host clock (LSL's `CLOCK_MONOTONIC`, never the wall clock): a running
/// linear fit of arrival time against sample index (weighted least squares that forgets
/// with a half-life), so timestamps are evenly spaced, follow the device's true rate
/// rather than its nominal one, and absorb the host's scheduling jitter. A gap in the
/// counter moves the timestamps by the lost time, because they follow the index.
///
/// The fit only steers the timestamps: the stamped line moves toward it by at most
/// ``maximumSlew`` seconds per second of device time, and its period by at most
/// ``maximumPeriodSlew`` (relative) per second, so host scheduling noise bends the
/// timestamps by far less than a millisecond over seconds while a real offset or rate
/// difference is taken up within seconds to tens of seconds.
///
/// Feed it one observation per batch — the index of the batch's newest sample and when
/// it was seen — then stamp the batch's samples with ``timestamp(of:)``. A value type:
/// no allocation, no lock; one owner thread. Arrival times lag the true sampling instant
/// by the transport's delay, and so do the timestamps (by its mean).
public struct DejitteredClock: Sendable {
    public let nominalRate: Double
    /// How quickly old observations are forgotten, seconds of device time.
    public let halfLife: Double
    /// The most the stamped line moves toward the fit per second of device time, seconds.
    public let maximumSlew: Double
    /// The most the stamped period changes per second of device time, relative.
    public let maximumPeriodSlew: Double
    /// The device's rate may differ from its nominal one by at most this fraction.
    public static let rateTolerance = 0.02
    /// The slope's prior weight: as if the nominal rate had been seen over this span (s).
    static let priorSpan = 5.0

    private var origin: (index: Int64, time: Double)?
    // Weighted sums over x = index − origin, r = (time − origin) − x / nominalRate.
    private var w = 0.0, wx = 0.0, wr = 0.0, wxx = 0.0, wxr = 0.0
    private var lastObserved: Int64 = 0
    /// The stamped line: the timestamp at `index`, and the period from there on.
    private var line: (index: Int64, time: Double, period: Double)?
    /// The newest batch's stretch up to `line.index`: it starts where the previous line left
    /// its last stamped sample and ends on the new line, so the slew's correction is spread
    /// over the batch's samples (each spacing moves by at most `maximumSlew`, relative)
    /// instead of taken at once between two samples, which could step time backwards.
    private var segment: (index: Int64, time: Double, period: Double)?

    public init(nominalRate: Double, halfLife: Double = 30, maximumSlew: Double = 0.0005, maximumPeriodSlew: Double = 50e-6) {
        precondition(nominalRate.isFinite && nominalRate > 0 && halfLife > 0 && maximumSlew > 0 && maximumPeriodSlew > 0)
        self.nominalRate = nominalRate
        self.halfLife = halfLife
        self.maximumSlew = maximumSlew
        self.maximumPeriodSlew = maximumPeriodSlew
    }

    /// The device's rate as the fit sees it (the nominal rate before any observation).
    public var estimatedRate: Double { 1 / (line?.period ?? 1 / nominalRate) }

    /// Records that the sample at `index` (the newest of a batch) was seen at `arrival`
    /// seconds of the host clock. Out-of-order or repeated indices are ignored.
    public mutating func observe(index: Int64, arrival: Double) {
        guard arrival.isFinite else { return }
        guard let origin else {
            self.origin = (index, arrival)
            lastObserved = index
            accumulate(x: 0, r: 0)
            line = (index, arrival, 1 / nominalRate)
            segment = line
            return
        }
        guard index > lastObserved else { return }
        let forget = Double(index - lastObserved) / nominalRate / halfLife
        let keep = exp2(-forget)
        w *= keep; wx *= keep; wr *= keep; wxx *= keep; wxr *= keep
        lastObserved = index
        let x = Double(index - origin.index)
        accumulate(x: x, r: (arrival - origin.time) - x / nominalRate)
        steer(towardFitAt: index)
    }

    /// The timestamp of the sample at `index`, on the stamped line (`nil` before the
    /// first observation). Strictly increasing in `index`: samples up to the newest
    /// observed one lie on the newest batch's stretch, later ones on the line beyond it.
    public func timestamp(of index: Int64) -> Double? {
        guard let line, let segment else { return nil }
        if index >= line.index { return line.time + Double(index - line.index) * line.period }
        return segment.time + Double(index - segment.index) * segment.period
    }

    private mutating func accumulate(x: Double, r: Double) {
        w += 1; wx += x; wr += r; wxx += x * x; wxr += x * r
    }

    /// The fit: the residual's mean and slope against x (ridge towards the nominal rate).
    private func fit() -> (mean: (x: Double, r: Double), slope: Double) {
        let mx = wx / w, mr = wr / w
        let cxx = max(wxx / w - mx * mx, 0), cxr = wxr / w - mx * mr
        let prior = (Self.priorSpan * nominalRate) * (Self.priorSpan * nominalRate)
        let slope = cxr / (cxx + prior)
        let limit = Self.rateTolerance / nominalRate
        return ((mx, mr), min(max(slope, -limit), limit))
    }

    /// Moves the stamped line toward the fit, within the slew limits for the device time
    /// since the last observation, keeping it where it left the last stamped sample.
    private mutating func steer(towardFitAt index: Int64) {
        guard let origin, let current = line else { return }
        let (mean, slope) = fit()
        let x = Double(index - origin.index)
        let fitted = origin.time + x / nominalRate + mean.r + slope * (x - mean.x)
        // Anchor where the previous observation left the line: samples up to it are stamped.
        let anchor = current.index
        let elapsed = Double(index - anchor) / nominalRate
        let periodStep = maximumPeriodSlew * elapsed / nominalRate
        let period = current.period + min(max(1 / nominalRate + slope - current.period, -periodStep), periodStep)
        let onLine = current.time + Double(index - anchor) * current.period
        let step = min(max(fitted - onLine, -maximumSlew * elapsed), maximumSlew * elapsed)
        let end = current.time + step + Double(index - anchor) * period
        // |step| ≤ maximumSlew × elapsed, so the stretch's period is within maximumSlew
        // (relative) of `period`: positive, and the stamps strictly increasing.
        segment = (anchor, current.time, (end - current.time) / Double(index - anchor))
        line = (index, end, period)
    }
}
