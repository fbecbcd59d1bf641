import EEGKit
import Foundation
import Synchronization

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
        defer { buffer.removeAll(keepingCapacity: true) }
        do {
            try buffer.withUnsafeBytes { bytes in Result { () throws(Errno) in try StandardStream.output.write(all: bytes) } }.get()
        } catch where error == .brokenPipe {
            throw OutputClosed()
        } catch {
            throw WriteError(path: "standard output", operation: "writing", errno: error)
        }
    }

    /// The last flush, after a session: a reader that went away ends quietly, as during
    /// the session; any other failure is thrown (exit 74), never swallowed.
    func finish() throws {
        do { try flush() } catch is OutputClosed {}
    }
}

func printStatus(_ message: String) {
    writeStandardError("eeg: \(TerminalText.safe(message))\n")
}
