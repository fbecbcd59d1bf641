import EEGKit
import Foundation
import Synchronization

/// The live dashboard on a real terminal: raw keyboard input (Ctrl-C still stops, as a
/// signal), the alternate screen, at most 10 redraws a second written over the previous
/// frame (no clearing, so no flicker), resize on SIGWINCH, and the terminal restored on
/// every way out (normal end, q, Ctrl-C, SIGTERM, an error).
final class TerminalDashboard {
    var state: DashboardState
    private var original = termios()
    private var active = false
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let color = ProcessInfo.processInfo.environment["NO_COLOR"].map { $0.isEmpty } ?? true
    private let resized = ResizeFlag()
    private var resizeSource: (any DispatchSourceSignal)?
    private var size: (width: Int, height: Int) = (80, 24)

    final class ResizeFlag: Sendable {
        let value = Atomic<Bool>(true)
    }

    init(state: DashboardState) {
        self.state = state
    }

    /// Whether both ends are a terminal (otherwise lines of output are used).
    static var available: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

    func start() {
        guard !active else { return }
        tcgetattr(STDIN_FILENO, &original)
        var raw = original
        // No line buffering or echo; ISIG stays on so Ctrl-C is still SIGINT (handled
        // as a clean stop).
        raw.c_lflag &= ~(tcflag_t(ICANON) | tcflag_t(ECHO))
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
        active = true
        signal(SIGWINCH, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        source.setEventHandler { [resized] in resized.value.store(true, ordering: .releasing) }
        source.resume()
        resizeSource = source
        TerminalDashboard.restoreAtExit.withLock {
            $0 = { [original] in
                var saved = original
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                // Through write(2): FileHandle traps on EIO (the terminal went away).
                try? StandardStream.output.write("\u{1B}[?25h\u{1B}[?1049l")
            }
        }
        atexit { TerminalDashboard.restoreAtExit.withLock { $0 }?() }
    }

    /// How to give the terminal back if the program ends without ``stop()`` (exit, or
    /// the stop watchdog); read from the watchdog thread, hence the lock.
    static let restoreAtExit = Mutex<(@Sendable () -> Void)?>(nil)

    func stop() {
        guard active else { return }
        active = false
        resizeSource?.cancel()
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
        write("\u{1B}[?25h\u{1B}[?1049l")
        TerminalDashboard.restoreAtExit.withLock { $0 = nil }
    }

    /// Keys pressed since the last call.
    func keys() -> [DashboardAction] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var p = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return [] }
        let n = read(STDIN_FILENO, &buffer, buffer.count)
        return n > 0 ? dashboardActions(for: Array(buffer[0..<n])) : []
    }

    /// Redraws if 100 ms have passed (or `force`), unless frozen.
    func draw(force: Bool = false) {
        guard active, force || ContinuousClock.now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = ContinuousClock.now
        if resized.value.exchange(false, ordering: .acquiringAndReleasing) {
            var ws = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { size = (Int(ws.ws_col), Int(ws.ws_row)) }
            write("\u{1B}[2J")
        }
        let lines = DashboardRenderer(width: size.width, height: size.height, color: color).render(state)
        write("\u{1B}[H" + lines.joined(separator: "\r\n"))
    }

    /// Through write(2), whole: FileHandle traps on EIO or EPIPE (the terminal went
    /// away); a frame that cannot be shown is dropped, and the session goes on recording.
    private func write(_ text: String) {
        try? StandardStream.output.write(text)
    }
}

/// Runs a session with the dashboard instead of lines of output.
func runWithDashboard(session: StreamSession, device: any EEGDevice, stop: StopSignal, recordingName: () -> String) throws -> StreamSummary {
    let dashboard = TerminalDashboard(state: DashboardState(deviceName: device.name, nominalRate: device.sampleRate,
                                                            labels: device.channelLabels, bandNames: session.options.bands.bands.map(\.name)))
    dashboard.start()
    defer { dashboard.stop() }
    var quit = false
    var markerCount = 0
    let summary = try session.run(
        write: { _ in }, status: { message in dashboard.state.message = message },
        progress: { p in
            dashboard.state.achievedRate = p.achievedRate
            dashboard.state.deviceState = p.deviceState
            dashboard.state.recordingPath = p.recordingPath
            dashboard.state.recordingBytes = p.recordedBytes ?? 0
        },
        onAnalysis: { update in if !dashboard.state.frozen { dashboard.state.update(update) } },
        tick: {
            for action in dashboard.keys() {
                switch action {
                case .quit: quit = true
                case .toggleFreeze:
                    dashboard.state.frozen.toggle()
                    dashboard.draw(force: true)
                case .marker:
                    markerCount += 1
                    session.markers.add("marker \(markerCount)")
                    dashboard.state.markers = markerCount
                    dashboard.state.message = dashboard.state.recordingPath == nil ? "marker \(markerCount) (not recording: press r to record)" : "marker \(markerCount) annotated"
                case .toggleRecording:
                    if dashboard.state.recordingPath == nil {
                        let name = recordingName()
                        session.startRecording(RecordingOptions(path: name))
                        dashboard.state.recordingPath = name
                    } else {
                        session.stopRecording()
                        dashboard.state.recordingPath = nil
                    }
                }
            }
            if !dashboard.state.frozen { dashboard.draw() }
        },
        stopRequested: { quit || stop.isRequested })
    return summary
}

/// A new recording's name: eeg-YYYYMMDD-HHMMSS.bdf in the current folder.
func timestampedRecordingName() -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    return "eeg-\(f.string(from: Date())).bdf"
}
