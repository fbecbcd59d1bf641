import EEGCore
import Foundation

/// Releases frames on a device's sample clock, `speed` × real time: frame n (counted from
/// the first frame played) is due at start + n / (rate × speed). With an infinite speed it
/// releases frames as fast as the consumer takes them — it waits for room in the ring
/// instead of letting frames be dropped — which is what tests and `--speed max` want.
///
/// The one pacing loop of every played-back or generated source (the simulated headset,
/// raw captures, recordings). Used on the device's own thread; no allocation, no lock.
public struct FramePacer: Sendable {
    public let sampleRate: Double
    /// Multiple of real time; `.infinity` for as fast as the consumer allows.
    public let speed: Double
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// The longest a paced wait sleeps before asking whether the device still runs.
    public static let longestSleep: Duration = .milliseconds(100)

    /// Starts the clock now: frame 0 is due at once.
    /// - Precondition: `sampleRate` and `speed` are positive (the devices check).
    public init(sampleRate: Double, speed: Double) {
        self.sampleRate = sampleRate
        self.speed = speed
        start = clock.now
    }

    /// Waits until frame `played` (counted from the first frame) is due; at infinite
    /// speed, until the ring has room for `frames` frames. Returns early when
    /// `isRunning()` turns false: checked while waiting for room, and between slices of
    /// at most ``longestSleep`` of a paced wait (a slow `--speed` or a jump in the sample
    /// index must not hold a stop up), never during a short paced wait.
    public func waitForTurn(played: Int64, frames: Int, producer: FrameRing.Producer, while isRunning: () -> Bool) {
        if speed.isFinite {
            let due = start.advanced(by: .seconds(Double(played) / sampleRate / speed))
            var wait = due - clock.now
            while wait > Self.longestSleep {
                Thread.sleep(forTimeInterval: Self.longestSleep.inSeconds)
                guard isRunning() else { return }
                wait = due - clock.now
            }
            if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
        } else {
            while producer.freeFrameCount < frames && isRunning() { Thread.sleep(forTimeInterval: 0.0002) }
        }
    }
}
