/// Places a stream's samples in time from their timestamps the way LSL streams need:
/// against a linear fit of timestamp versus sample index, not from neighbouring
/// differences, so bursty timestamps (an outlet that pushes 4 samples 0.1 ms apart, then
/// nothing for 16 ms) are jitter, not gaps.
///
/// Samples are fed in order. A run is samples that follow each other; a sample whose
/// timestamp is later than the current run's fitted time by more than the tolerance
/// starts a new run (frames were not recorded in between). The tolerance is half a period
/// plus 4 × the largest deviation from the fit seen so far, at most max(2 periods, 50 ms):
/// exact timestamps (EEGKit's own files) find a single lost frame, jittery ones find only
/// real gaps. Once every sample is fed, ``finish()`` fits one period for all runs (each with
/// its own start) and sizes each gap from the runs' fitted starts, so jitter around the
/// gap's edges does not change its size.
///
/// Memory: a few numbers per run. Not thread-safe.
struct XDFTimelineFit {
    /// One run's sums, in coordinates local to its first sample (x = index in the run,
    /// y = seconds after its first timestamp) to keep precision.
    struct RunSums {
        var storedStart: Int
        var origin: Double
        var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        var centredXX: Double { sxx - sx * sx / max(n, 1) }
        var centredXY: Double { sxy - sx * sy / max(n, 1) }
    }

    let period: Double
    private(set) var runs: [RunSums] = []
    private var pooledXX = 0.0, pooledXY = 0.0, pooledN = 0.0
    private var spread = 0.0
    private var stored = 0

    init(rate: Double) { period = 1 / rate }

    /// The period the samples so far show (pooled over runs), or the nominal one while
    /// too few samples are in or the fit strays more than 10 % from it.
    func fittedPeriod(including current: RunSums?) -> Double {
        let xx = pooledXX + (current?.centredXX ?? 0), xy = pooledXY + (current?.centredXY ?? 0)
        let n = pooledN + (current?.n ?? 0)
        guard n >= 16, xx > 0 else { return period }
        let slope = xy / xx
        return slope.isFinite && abs(slope - period) <= 0.1 * period ? slope : period
    }

    /// Feeds the next sample's timestamp; returns true when it starts a new run after a gap.
    mutating func add(_ t: Double) -> Bool {
        defer { stored += 1 }
        guard let run = runs.last else {
            runs.append(RunSums(storedStart: 0, origin: t))
            include(t)
            return false
        }
        let slope = fittedPeriod(including: run)
        let x = Double(stored - run.storedStart)
        let predicted = run.origin + (run.sy - slope * run.sx) / run.n + slope * x
        let residual = t - predicted
        let tolerance = min(max(2 * period, 0.05), 0.5 * period + 4 * spread)
        guard residual <= tolerance else {
            pooledXX += run.centredXX
            pooledXY += run.centredXY
            pooledN += run.n
            runs.append(RunSums(storedStart: stored, origin: t))
            include(t)
            return true
        }
        spread = max(spread, min(abs(residual), 0.05))
        include(t)
        return false
    }

    private mutating func include(_ t: Double) {
        let i = runs.count - 1
        let x = Double(stored - runs[i].storedStart), y = t - runs[i].origin
        runs[i].n += 1
        runs[i].sx += x
        runs[i].sy += y
        runs[i].sxx += x * x
        runs[i].sxy += x * y
    }

    /// The period fitted over every run, and each run's fitted start (absolute seconds).
    func finish() -> (period: Double, starts: [Double]) {
        let slope = fittedPeriod(including: runs.last)
        return (slope, runs.map { $0.origin + ($0.sy - slope * $0.sx) / max($0.n, 1) })
    }
}
