import Glibc

/// Where a recording's timestamps come from: seconds on the LSL clock (the monotonic
/// clock, as liblsl's `local_clock()` reads it) of a frame, by its position in the
/// recording. XDF stores them with every stream; the EEG frames, the metrics and the
/// markers of one recording share one clock so they line up.
///
/// Injected so a de-jittered clock anchored to the device's sample counter can replace
/// the plain one; tests pass a fixed one.
public protocol RecordingClock: AnyObject {
    /// The timestamp of frame `frame` (frames from the recording's start, gaps included).
    func timestamp(ofFrame frame: Int64) -> Double
    /// The clock's reading now (a stream header's `created_at`).
    func now() -> Double
    /// The recording's frame 0 is the device's sample `index`: for a clock that stamps
    /// device samples (the session's de-jittered one). Called once, before any timestamp
    /// is asked for; clocks that count frames themselves ignore it.
    func recordingBegins(atSampleIndex index: Int64)
}

extension RecordingClock {
    public func recordingBegins(atSampleIndex index: Int64) {}
}

/// The monotonic clock at the first frame, plus the frame's position over the rate:
/// evenly spaced timestamps that never go back, anchored when first asked (the frame
/// asked about then gets the clock's reading).
public final class AnchoredMonotonicClock: RecordingClock {
    public let sampleRate: Double
    private let read: () -> Double
    private var origin: Double?

    /// - Parameter read: the clock, in seconds (default: `CLOCK_MONOTONIC`).
    public init(sampleRate: Double, read: @escaping () -> Double = AnchoredMonotonicClock.monotonicSeconds) {
        self.sampleRate = sampleRate
        self.read = read
    }

    public func timestamp(ofFrame frame: Int64) -> Double {
        let start = origin ?? read() - Double(frame) / sampleRate
        origin = start
        return start + Double(frame) / sampleRate
    }

    public func now() -> Double { read() }

    /// `CLOCK_MONOTONIC` in seconds: the clock liblsl's `local_clock()` reads on Linux.
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
