import Foundation
import Testing

/// The live dashboard on a terminal that goes away: its writes fail (EIO) and the
/// command must go on and end normally — FileHandle.write used to trap (SIGILL) here.
@Suite("Dashboard on a terminal that hangs up")
struct TerminalHangupTests {
    /// Starts `eeg stream --device sim` on a pseudo-terminal (SIGHUP ignored, as under
    /// nohup), waits for the dashboard to draw, closes the terminal, and reports how the
    /// process ended: "exit N" or "signal N".
    static let script = """
    import os, pty, signal, sys, time
    pid, fd = pty.fork()
    if pid == 0:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.execv(sys.argv[1], [sys.argv[1], "stream", "--device", "sim", "--duration", "3"])
    data, deadline = b"", time.time() + 60
    while b"\\x1b[?1049h" not in data and time.time() < deadline:
        data += os.read(fd, 4096)
    print("drawn" if b"\\x1b[?1049h" in data else "not drawn")
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    print(("exit %d" % os.WEXITSTATUS(status)) if os.WIFEXITED(status) else ("signal %d" % os.WTERMSIG(status)))
    """

    @Test("the terminal closes under the dashboard: exit 0, never a trap")
    func hangUp() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is missing: the hang-up case was not checked")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script, EEGProcess.executable.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text == "drawn\nexit 0\n", "\(text)")
    }
}
