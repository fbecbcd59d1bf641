import EEGKit
import Foundation
import Synchronization

/// Ends a stream cleanly on Ctrl-C or SIGTERM: the first signal only sets a flag that
/// the stream loop checks, so the device is stopped and files closed on the normal path.
///
/// The signals are never ignored for long: a second SIGINT or SIGTERM, or the clean stop
/// taking longer than `EEG_STOP_TIMEOUT` seconds (default 10; e.g. standard output is a
/// pipe nobody reads), ends the process at once with status 128 + the signal number
/// (130, 143). A recording is then valid up to its last whole record (each is flushed
/// as it is written); `eeg repair` writes its record count.
///
/// The handler is installed synchronously and does only async-signal-safe work (atomic
/// stores and `sem_post`); a watchdog thread does the rest. (A dispatch signal source is
/// armed asynchronously: a signal right after start-up was lost, and ignored forever.)
final class StopSignal {
    /// The flag alone, to hand to other threads.
    final class Flag: Sendable {
        var isRequested: Bool { stopRequested.load(ordering: .acquiring) }
    }

    let flag = Flag()
    private static let defaultTimeout = 10.0
    private static let installed = Atomic<Bool>(false)

    init() {
        guard !Self.installed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Touch the globals now: their lazy initialisation is not async-signal-safe.
        _ = lastStopSignal.load(ordering: .relaxed)
        _ = stopRequested.load(ordering: .relaxed)
        _ = stopSemaphore
        let timeout = Self.stopTimeout()
        let watchdog = Thread { Self.watch(stopSemaphore, timeout: timeout) }
        watchdog.name = "eeg-stop-watchdog"
        watchdog.start()
        // A parent may have started us with these signals blocked (a blocked mask is
        // inherited): unblock them, or the handler would never run.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signalNumber in [SIGINT, SIGTERM] {
            sigaddset(&mask, signalNumber)
            signal(signalNumber) { number in
                lastStopSignal.store(number, ordering: .relaxed)
                stopRequested.store(true, ordering: .releasing)
                sem_post(stopSemaphore)
            }
        }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    var isRequested: Bool { flag.isRequested }

    /// Waits for the first signal, says the stop has begun, then ends the process at a
    /// second signal or when the clean stop runs out of time.
    private static func watch(_ semaphore: UnsafeMutablePointer<sem_t>, timeout: Double) {
        while sem_wait(semaphore) != 0 {}
        let first = lastStopSignal.load(ordering: .relaxed)
        let again = first == SIGINT ? "Ctrl-C" : "SIGTERM"
        writeToStandardError("eeg: stopping (\(again) again stops at once)\n")
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let whole = timeout.rounded(.down)
        deadline.tv_sec += Int(whole)
        deadline.tv_nsec += Int((timeout - whole) * 1e9)
        if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
        while true {
            if sem_timedwait(semaphore, &deadline) == 0 {
                let number = lastStopSignal.load(ordering: .relaxed)
                exitNow(number, reason: "a second \(name(number))")
            }
            if errno == ETIMEDOUT {
                exitNow(first, reason: "\(name(first)), and the clean stop took more than \(String(format: "%g", timeout)) s (EEG_STOP_TIMEOUT)")
            }
        }
    }

    /// `EEG_STOP_TIMEOUT` when it is a positive number of seconds, else 10.
    private static func stopTimeout() -> Double {
        // getenv, not ProcessInfo's environment: that builds a dictionary of the whole
        // environment, whose first use costs every start ~0.7 M instructions (callgrind).
        guard let variable = getenv("EEG_STOP_TIMEOUT"), let value = Double(String(cString: variable)),
              value.isFinite, value > 0 else { return defaultTimeout }
        return min(value, 24 * 3600)
    }

    private static func name(_ signalNumber: Int32) -> String { signalNumber == SIGINT ? "SIGINT" : "SIGTERM" }

    /// Ends the process without waiting for anything that may be blocked (output, the
    /// device, the disk). Files already written stay valid up to their last whole record.
    private static func exitNow(_ signalNumber: Int32, reason: String) -> Never {
        writeToStandardError("\neeg: stopped at once by \(reason); a recording is valid up to its last whole second: 'eeg repair FILE' finishes it\n")
        if let restore = TerminalDashboard.restoreAtExit.withLock({ $0 }) { runBounded(restore) }
        _exit(128 + signalNumber)
    }

    private static func writeToStandardError(_ message: String) {
        runBounded { try? StandardStream.error.write(message) }
    }

    /// Runs `body` on a thread of its own and waits for it at most 0.2 s: standard error
    /// may be a pipe nobody reads and a terminal may be stopped (Ctrl-S), and the
    /// watchdog must not block on either.
    private static func runBounded(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            body()
            done.signal()
        }
        worker.start()
        _ = done.wait(timeout: .now() + 0.2)
    }
}

/// Shared with the signal handler, which may touch nothing else.
private let lastStopSignal = Atomic<Int32>(0)
private let stopRequested = Atomic<Bool>(false)
// nonisolated(unsafe): a POSIX semaphore is made for use from any thread and from
// signal handlers (sem_post is async-signal-safe); the pointer itself never changes.
nonisolated(unsafe) private let stopSemaphore: UnsafeMutablePointer<sem_t> = {
    let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    sem_init(semaphore, 0, 0)
    return semaphore
}()
