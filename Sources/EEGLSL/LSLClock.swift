#if canImport(Glibc)
import Glibc
#endif

/// LSL's clock: `CLOCK_MONOTONIC` in seconds, what liblsl's `local_clock()` returns on
/// Linux, so timestamps EEGKit sends and the time service's replies share the clock of
/// every other LSL program on the machine. Never the wall clock.
public enum LSLClock {
    /// Seconds of `CLOCK_MONOTONIC` (no allocation, no lock; callable from any thread).
    @inline(__always)
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
