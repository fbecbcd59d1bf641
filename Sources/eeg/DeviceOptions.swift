import ArgumentParser
import EEGKit
import Foundation
import Synchronization

/// `--device sim`, `--device cyton` or `--device cyton:SERIAL`.
enum DeviceSpec: ExpressibleByArgument, Equatable {
    case sim
    case cyton(serial: String?)

    init?(argument: String) {
        let lower = argument.lowercased()
        if lower == "sim" || lower == "simulated" { self = .sim; return }
        if lower == "cyton" { self = .cyton(serial: nil); return }
        if lower.hasPrefix("cyton:") { self = .cyton(serial: String(argument.dropFirst("cyton:".count))); return }
        return nil
    }

    static var allValueStrings: [String] { ["sim", "cyton", "cyton:SERIAL"] }
}

/// Device selection shared by `stream` and `record`.
struct DeviceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("sim (the built-in simulated headset), cyton, or cyton:SERIAL.", valueName: "device"))
    var device: DeviceSpec = .sim

    @Option(help: ArgumentHelp("Talk to the Cyton through this serial port (the kernel's ftdi_sio driver) instead of libusb.", valueName: "tty"))
    var port: String?

    @Flag(help: "The Cyton has a Daisy board (16 channels at 125 Hz).")
    var daisy = false

    @Option(help: "Simulated headset: random seed (the same seed gives the same signal).")
    var seed: UInt64 = 1

    @Option(name: .customLong("sim-channels"), help: "Simulated headset: channels.")
    var simChannels: Int = 8

    @Option(name: .customLong("sim-rate"), help: ArgumentHelp("Simulated headset: sample rate.", valueName: "hz"))
    var simRate: Double = 250

    @Option(name: .customLong("sim-speed"), help: ArgumentHelp("Simulated headset: 1 for real time, 2, 10, … or max.", valueName: "speed"))
    var simSpeed: SpeedArgument = .realTime

    func validate() throws {
        let speed = try simSpeed.value("--sim-speed")
        if device != .sim && speed != 1 { throw ValidationError("--sim-speed is for the simulated headset") }
        if device == .sim && (port != nil || daisy) {
            throw ValidationError("--port and --daisy are for --device cyton, not the simulated headset")
        }
        try checked(simChannels, flag: "--sim-channels", in: 1...256)
        try checked(simRate, flag: "--sim-rate", in: 100...16_000, unit: "Hz")
    }

    func makeDevice() throws -> any EEGDevice {
        switch device {
        case .sim:
            return try SimulatedHeadset(channelCount: simChannels, sampleRate: simRate, seed: seed, speed: try simSpeed.value("--sim-speed"))
        case .cyton(let serial):
            var configuration = CytonDriver.Configuration()
            configuration.daisy = daisy
            if let port {
                if serial != nil { throw ValidationError("give --device cyton:SERIAL or --port, not both") }
                return CytonDriver(name: "OpenBCI Cyton\(daisy ? " + Daisy" : "") on \(port)", configuration: configuration) { () throws(DeviceError) in
                    try SerialPortTransport(path: port)
                }
            }
            return try CytonUSB.driver(serial: serial, configuration: configuration)
        }
    }
}

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
        // A reader that goes away (`eeg stream | head`) must not kill us mid-write.
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit (RLIMIT_FSIZE) must fail the write with EFBIG, reported and
        // mapped to exit 74, rather than kill the process with a core dump.
        signal(SIGXFSZ, SIG_IGN)
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
        guard let text = ProcessInfo.processInfo.environment["EEG_STOP_TIMEOUT"], let value = Double(text),
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
        runBounded { message.utf8CString.withUnsafeBufferPointer { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count - 1) } }
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

/// Line output to standard output, buffered and flushed once per batch.
final class LineOutput {
    private var buffer = Data()

    func write(_ line: String) {
        // Shown for the destination: a CSV header of file labels reaches a terminal escaped.
        buffer.append(contentsOf: TextOutput.standard.destination.shown(line).utf8)
        buffer.append(0x0A)
    }

    /// Writes the buffered lines. A reader that went away (EPIPE) ends the stream
    /// quietly (``OutputClosed``); any other failure (a full disk, a file-size limit on
    /// `> file`) is a ``WriteError``, exit 74 — never taken for a closed pipe.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        let failure: Int32? = buffer.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? errno : EIO }
                done += n
            }
            return nil
        }
        buffer.removeAll(keepingCapacity: true)
        if let failure {
            if failure == EPIPE { throw OutputClosed() }
            throw WriteError(path: "standard output", operation: "writing", errno: failure)
        }
    }
}

func printStatus(_ message: String) {
    writeStandardError("eeg: \(TerminalText.safe(message))\n")
}

/// Shows what a recording is doing, on one line of standard error, when it is a terminal.
final class ProgressLine {
    let enabled = isatty(STDERR_FILENO) == 1
    private var shown = false

    func show(_ p: StreamProgress, file: String?) {
        guard enabled else { return }
        let seconds = Int(p.deviceSeconds)
        var line = String(format: "\r\u{1B}[2K%@ %02d:%02d  %lld samples  %d lost", p.deviceState == .streaming ? "●" : "○", seconds / 60, seconds % 60, p.frames, p.droppedFrames)
        if let bytes = p.recordedBytes, let file { line += "  \(TerminalText.safe(file)) \(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file))" }
        if p.deviceState != .streaming { line += "  [\(p.deviceState.rawValue)]" }
        writeStandardError(line)
        shown = true
    }

    func finish() {
        if shown { writeStandardError("\n") }
    }
}

/// How live metrics are computed: shared by stream, record and replay.
struct LiveAnalysisOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Notch out mains hum before analysis: 50 or 60 Hz.", valueName: "hz"))
    var notch: Double?

    @Option(name: .customLong("calibration-seconds"), help: "Seconds of signal that calibrate the 0–100 scores.")
    var calibrationSeconds: Double = 60

    func validate() throws {
        if let notch, notch != 50 && notch != 60 { throw ValidationError("--notch is 50 or 60 (Hz), got \(notch)") }
        try checked(calibrationSeconds, flag: "--calibration-seconds", in: ArgumentValues.calibrationRange, unit: "s")
    }

    func apply(to options: inout StreamOptions) {
        options.notchFrequency = notch
        options.calibrationSeconds = calibrationSeconds
    }
}

/// Lines or the dashboard: shared by stream and replay.
struct LiveOutputOptions: ParsableArguments {
    @Option(help: "samples (one line per frame) or metrics (one line per 0.25 s update; the default when piped).")
    var emit: StreamEmit?

    @Option(help: "jsonl or csv (default jsonl).")
    var format: StreamFormat?

    @Flag(name: .customLong("no-dashboard"), help: "Print lines even on a terminal.")
    var noDashboard = false

    func validate() throws {
        if emit == StreamEmit.none { throw ValidationError("--emit is samples or metrics") }
    }

    /// The dashboard is for a person at a terminal who asked for no particular output.
    var wantsDashboard: Bool { emit == nil && format == nil && !noDashboard && TerminalDashboard.available }

    func apply(to options: inout StreamOptions) {
        options.emit = emit ?? .metrics
        options.format = format ?? .jsonl
    }
}
