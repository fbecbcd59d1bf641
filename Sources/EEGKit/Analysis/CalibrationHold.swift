import Foundation

/// Offline scoring: epochs of the calibration period are held until their baseline is
/// known (at most the calibration period), then every epoch — held ones included — is
/// scored against it. Live scoring cannot look back and leaves its calibration windows
/// unscored; the baseline rule (usable windows only) is the same.
struct CalibrationHold {
    private var calibrator: ScoreCalibrator
    private var waiting: [EpochResult] = []
    private var settled: Bool

    init(options: AnalysisOptions) {
        calibrator = ScoreCalibrator(duration: options.calibrationSeconds, calibration: options.calibration)
        settled = options.calibration != nil
    }

    /// The baseline in use: `nil` until settled, or when no index had usable spread.
    var calibration: Calibration? {
        guard let c = calibrator.calibration, c.attention != nil || c.relaxation != nil || c.workload != nil else { return nil }
        return c
    }

    /// Takes epoch `e` ending at `end` seconds: held while in the calibration period (its
    /// ratios join the baseline when it is not rejected), otherwise the baseline is fixed
    /// and `e` is delivered scored, after the held ones.
    mutating func add(_ e: EpochResult, end: Double, deliver: (EpochResult) -> Void) {
        if !settled, end <= calibrator.duration {
            _ = calibrator.update(e.ratios, at: end, usable: !e.rejected)
            waiting.append(e)
            return
        }
        settle(deliver: deliver)
        deliver(scored(e))
    }

    /// Fixes the baseline from what was held (also at the end of a file shorter than the
    /// calibration period) and delivers the held epochs.
    mutating func settle(deliver: (EpochResult) -> Void) {
        guard !settled else { return }
        settled = true
        calibrator.settle()
        for e in waiting { deliver(scored(e)) }
        waiting.removeAll()
    }

    private func scored(_ e: EpochResult) -> EpochResult {
        var e = e
        e.scores = calibrator.scores(for: e.ratios)
        return e
    }
}
