import EEGKit
import Foundation
import Synchronization

/// Shows what a recording is doing, on one line of standard error, when it is a terminal.
final class ProgressLine {
    let enabled = StandardStream.error.isTerminal
    private var shown = false

    func show(_ p: StreamProgress, file: String?) {
        guard enabled else { return }
        // Checked: a non-finite or absurd time shows as 0, never traps.
        let seconds = p.deviceSeconds.isFinite ? Int(min(max(p.deviceSeconds, 0), 1e9)) : 0
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
