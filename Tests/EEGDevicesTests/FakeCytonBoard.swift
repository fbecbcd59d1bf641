import Glibc
import Foundation
import TestSupport
import Synchronization
@testable import EEGDevices

/// A Cyton board on the far side of a pseudo-terminal, for driving `SerialPortTransport`
/// and `CytonDriver` (and BrainFlow's serial Cyton boards, which open the same kind of
/// port) without hardware: answers `v` with a firmware banner ending `$$$`, `d` (default
/// channel settings) as firmware v3 does, streams its scripted packets on `b` (written in
/// uneven chunks, as a radio link delivers them), stops on `s`, and records every command
/// byte it received.
///
/// Multi-byte commands are answered as firmware v3 does when not streaming: `x…X` with
/// `Success: Channel set for N$$$` (or as ``AckMode`` says), `z…Z` with `Success: Lead
/// off set for N$$$`, `/N` (board mode) with `Success: MODE$$$` (or `boardModeReply`). With `leadOffOhms`, the board makes its own stream after `b`: every
/// channel reads 0 except the one whose N-input lead-off drive is on, which reads the
/// 6 nA, 31.25 Hz drive across `leadOffOhms[channel] + 2.2 kΩ` (a sine of peak
/// √2·Vrms = 6 nA × (Z + 2.2 kΩ)), plus an electrode offset and a 10 Hz signal the
/// band-pass must remove, in counts at the channel's confirmed gain.
final class FakeCytonBoard: @unchecked Sendable {
    let slavePath: String
    private let master: Int32
    private let packets: [UInt8]
    private let silent: Bool
    private let ackMode: AckMode
    private let leadOffOhms: [Double]?
    private let banner: String
    private let boardModeReply: String?
    private let timeStampReply: String?
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)
    private let alive = Atomic<Bool>(true)

    /// How the board answers `x…X`.
    enum AckMode: Sendable {
        case normal
        /// Never answers channel settings (everything else is answered).
        case silentToSettings
        /// Answers with something other than the acknowledgement.
        case garbage
        /// Refuses, as firmware does for a malformed command.
        case failure
    }

    struct State {
        var commands: [UInt8] = []
        var streaming = false
        var sent = 0
        /// A multi-byte command being received (`x…X`, `z…Z`).
        var pending: [UInt8] = []
        /// Gain code per channel (as last set by `x…X`; `6`, ×24, after a reset).
        var gains = [Double](repeating: 24, count: 16)
        var leadOffChannel: Int?
        var generated = 0
        /// The board mode digit last set with `/N` (`0` after a reset).
        var boardMode = UInt8(ascii: "0")
        /// Time stamps on (`<`) or off (`>`); a reset leaves them as they are, as firmware v3.1.2 does.
        var timeStamps = false
        /// Packets are held back (even after `b`) until ``release()``: a test starts playing
        /// once its peer is ready, not on a race with it.
        var held = false
    }

    /// The firmware's name for board mode `digit` (`/0`…`/4`).
    static func boardModeName(_ digit: UInt8) -> String {
        ["0": "default", "1": "debug", "2": "analog", "3": "digital", "4": "marker"][Character(UnicodeScalar(digit))] ?? "?"
    }

    static let standardBanner = "OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$"

    /// - Parameters:
    ///   - packets: the bytes to stream after `b` (consecutive Cyton packets).
    ///   - silent: never answer (to test timeouts).
    ///   - ackMode: how `x…X` is answered.
    ///   - leadOffOhms: per channel (1…8), the electrode impedance the lead-off stream implies.
    ///   - banner: the reply to `v`, `$$$` included.
    ///   - boardModeReply: the reply to `/N` (`$$$` included) instead of the firmware's.
    ///   - timeStampReply: the reply to `<` (`$$$` included; empty: none) instead of the firmware's `Time stamp ON$$$`.
    init(packets: [UInt8], silent: Bool = false, ackMode: AckMode = .normal, leadOffOhms: [Double]? = nil,
         banner: String = FakeCytonBoard.standardBanner, boardModeReply: String? = nil, timeStampReply: String? = nil) throws {
        self.ackMode = ackMode
        self.boardModeReply = boardModeReply
        self.timeStampReply = timeStampReply
        self.leadOffOhms = leadOffOhms
        self.banner = banner
        master = PTY.openMaster(O_RDWR | O_NOCTTY)
        guard master >= 0, PTY.grant(master) == 0, PTY.unlock(master) == 0, let name = PTY.slaveName(master) else {
            throw POSIXError(.EIO)
        }
        slavePath = String(cString: name)
        self.packets = packets
        self.silent = silent
        let thread = Thread { [self] in run() }
        thread.start()
    }

    var commands: [UInt8] { state.withLock { $0.commands } }
    var boardMode: UInt8 { state.withLock { $0.boardMode } }
    var timeStamps: Bool { state.withLock { $0.timeStamps } }
    var sentBytes: Int { state.withLock { $0.sent } }

    /// Holds the packets back (see ``State/held``) until ``release()``.
    func hold() { state.withLock { $0.held = true } }
    /// Lets the packets go (at once if `b` was already received).
    func release() { state.withLock { $0.held = false } }

    private func run() {
        defer { done.signal() }
        var buffer = [UInt8](repeating: 0, count: 256)
        var chunk = 1
        while alive.load(ordering: .acquiring) {
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 5) > 0 {
                let n = p.revents & Int16(POLLIN) != 0 ? read(master, &buffer, buffer.count) : 0
                if n > 0 {
                    for byte in buffer[0..<n] { handle(byte) }
                } else if p.revents & Int16(POLLHUP) != 0 {
                    // No one has the slave open (not yet, or no longer): poll returns at
                    // once, so wait rather than spin a core.
                    usleep(2_000)
                }
            }
            // Up to ~600 bytes per turn, in uneven chunks (1…37 bytes) so packets are
            // split at every kind of offset.
            if leadOffOhms != nil {
                generate()
                continue
            }
            var budget = 600
            while budget > 0 {
                let (streaming, sent) = state.withLock { ($0.streaming && !$0.held, $0.sent) }
                guard streaming && sent < packets.count else { break }
                let end = min(sent + chunk, packets.count)
                let written = packets[sent..<end].withUnsafeBytes { write(master, $0.baseAddress, end - sent) }
                guard written > 0 else { break }
                state.withLock { $0.sent += written }
                budget -= written
                chunk = chunk % 37 + 1
            }
        }
    }

    private func handle(_ byte: UInt8) {
        state.withLock { $0.commands.append(byte) }
        guard !silent else { return }
        if let command = collect(byte) {
            answer(command)
            return
        }
        switch byte {
        case UInt8(ascii: "v"):
            state.withLock {
                $0.streaming = false
                $0.gains = [Double](repeating: 24, count: 16)
                $0.leadOffChannel = nil
                $0.boardMode = UInt8(ascii: "0")
            }
            reply(banner)
        case UInt8(ascii: "d"):
            // BrainFlow sends it after the banner and reads the reply up to a quiet second.
            state.withLock { $0.gains = [Double](repeating: 24, count: 16) }
            reply("updating channel settings to default$$$")
        case UInt8(ascii: "b"): state.withLock { $0.streaming = true }
        case UInt8(ascii: "s"): state.withLock { $0.streaming = false }
        case UInt8(ascii: "<"):
            state.withLock { $0.timeStamps = true }
            reply(timeStampReply ?? "Time stamp ON$$$")
        case UInt8(ascii: ">"):
            state.withLock { $0.timeStamps = false }
            reply("Time stamp OFF$$$")
        // The firmware's answers to attaching a Daisy: with one (the banner names it), or not.
        case UInt8(ascii: "C"): reply(banner.contains("Daisy") ? "16$$$" : "no daisy to attach!8$$$")
        default: break
        }
    }

    /// Gathers the bytes of `x…X` (9), `z…Z` (5) and `/N` (2); returns a command when complete.
    private func collect(_ byte: UInt8) -> [UInt8]? {
        state.withLock { s -> [UInt8]? in
            if s.pending.isEmpty {
                guard byte == UInt8(ascii: "x") || byte == UInt8(ascii: "z") || byte == UInt8(ascii: "/") else { return nil }
                s.pending = [byte]
                return []
            }
            s.pending.append(byte)
            let length = s.pending[0] == UInt8(ascii: "x") ? 9 : s.pending[0] == UInt8(ascii: "/") ? 2 : 5
            guard s.pending.count == length else { return [] }
            defer { s.pending = [] }
            return s.pending
        }
    }

    private func answer(_ command: [UInt8]) {
        guard !command.isEmpty else { return }
        if command[0] == UInt8(ascii: "/") {
            state.withLock { $0.boardMode = command[1] }
            reply(boardModeReply ?? "Success: \(Self.boardModeName(command[1]))$$$")
            return
        }
        let channel = (Array("12345678QWERTYUI".utf8).firstIndex(of: command[1]) ?? -1) + 1
        if command[0] == UInt8(ascii: "x") {
            let gains: [Double] = [1, 2, 4, 6, 8, 12, 24]
            if channel > 0, let code = Int(String(UnicodeScalar(command[3]))), gains.indices.contains(code) {
                state.withLock { $0.gains[channel - 1] = gains[code] }
            }
            switch ackMode {
            case .normal: reply("Success: Channel set for \(channel)$$$")
            case .silentToSettings: break
            case .garbage: reply("\u{7}OpenBCI says hello$$$")
            case .failure: reply("Failure: 9th char not X$$$")
            }
        } else {
            let on = command[3] == UInt8(ascii: "1")
            state.withLock { $0.leadOffChannel = on ? channel : ($0.leadOffChannel == channel ? nil : $0.leadOffChannel) }
            reply("Success: Lead off set for \(channel)$$$")
        }
    }

    /// Lead-off mode: while streaming, writes the next few packets of the board's own
    /// signal (as fast as the pty takes them: faster than real time).
    private func generate() {
        let (streaming, channel, gains, first) = state.withLock { ($0.streaming, $0.leadOffChannel, $0.gains, $0.generated) }
        guard streaming, let ohms = leadOffOhms else { return }
        var bytes: [UInt8] = []
        for n in first..<(first + 16) {
            let counts: [Int32] = (1...8).map { c in
                guard c == channel else { return 0 }
                let t = Double(n) / 250
                let peak = 6e-9 * (ohms[c - 1] + 2200) * 1e6  // µV
                let microvolts = 2_000 + peak * sin(2 * .pi * 31.25 * t) + 30 * sin(2 * .pi * 10 * t)
                return Int32((microvolts / Cyton.microvoltsPerCount(gain: gains[c - 1])).rounded())
            }
            bytes += cytonPacket(UInt8(n % 256), counts: counts)
        }
        let written = bytes.withUnsafeBytes { write(master, $0.baseAddress, bytes.count) }
        // The pty takes whole writes of this size; a short one would tear a packet,
        // which the decoder would report as a gap.
        if written == bytes.count { state.withLock { $0.generated += 16 } }
    }

    private func reply(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, bytes.count) }
    }

    /// Pulls the plug: the driver's side sees a hang-up.
    func unplug() {
        guard alive.exchange(false, ordering: .acquiringAndReleasing) else { return }
        done.wait()
        close(master)
    }

    deinit { unplug() }
}


/// A Cyton board behind an in-memory ``ByteTransport``, for driving ``CytonDriver`` with
/// no device and no I/O at all (the ThreadSanitizer target): answers `v` with a banner
/// ending `$$$` and `x…X` with its acknowledgement (one reply per read), and after `b`
/// streams its packets from its own receive thread in uneven chunks (1…37 bytes); can end the stream with an error once it has sent everything
/// (an unplug, a USB stall), or fail the `b` write. Records what the driver did to it.
final class FakeLink: ByteTransport, @unchecked Sendable {
    // @unchecked Sendable: mutable state is in `state` (a Mutex) or atomic.
    struct Script: Sendable {
        var packets: [UInt8]
        /// Ends the stream with this error after the last packet (nil: stays quiet).
        var endWith: DeviceError?
        /// The `b` write fails with this error.
        var failStart: DeviceError?
        /// A reply to an earlier command that arrives late: queued once the reset's banner
        /// has been read to its end, before the driver sends anything else.
        var lateReply: String?
        /// The reply to `/N` (`$$$` included) instead of the firmware's `Success: MODE$$$`.
        var boardModeReply: String?
        /// The reply to `<` (`$$$` included; empty: none) instead of the firmware's `Time stamp ON$$$`.
        var timeStampReply: String?
    }

    struct State {
        var commands: [UInt8] = []
        var replies: [UInt8] = []
        var streaming = false
        var stopReceivingCalls = 0
        var closed = false
        var sent = 0
        /// Every byte written and every purge (`^`), in order.
        var transcript = ""
        var pendingCommand: [UInt8] = []
        var lateReplyQueued = false
    }

    let name: String
    let script: Script
    let state = Mutex(State())
    private let receiving = Atomic<Bool>(false)
    private let receiverExited = Atomic<Bool>(false)
    private let receiverDone = DispatchSemaphore(value: 0)

    init(name: String, script: Script) {
        self.name = name
        self.script = script
    }

    func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        let closed = state.withLock { $0.closed }
        guard !closed else { throw .disconnected(name) }
        for byte in bytes {
            state.withLock {
                $0.commands.append(byte)
                $0.transcript.unicodeScalars.append(UnicodeScalar(byte))
            }
            if acknowledgeSettings(byte) || acknowledgeBoardMode(byte) { continue }
            switch byte {
            case UInt8(ascii: "v"):
                state.withLock { $0.replies += Array("OpenBCI V3 8-16 channel\nFirmware: v3.1.2\n$$$".utf8) }
            case UInt8(ascii: "b"):
                if let failure = script.failStart { throw failure }
                state.withLock { $0.streaming = true }
            case UInt8(ascii: "s"):
                state.withLock { $0.streaming = false }
            case UInt8(ascii: "<"):
                state.withLock { $0.replies += Array((script.timeStampReply ?? "Time stamp ON$$$").utf8) }
            case UInt8(ascii: ">"):
                state.withLock { $0.replies += Array("Time stamp OFF$$$".utf8) }
            default:
                break
            }
        }
    }

    /// Gathers `x…X` and answers it as firmware v3 does; true while the byte belongs to one.
    private func acknowledgeSettings(_ byte: UInt8) -> Bool {
        state.withLock { s in
            guard s.pendingCommand.first ?? byte == UInt8(ascii: "x") else { return false }
            s.pendingCommand.append(byte)
            guard s.pendingCommand.count == 9 else { return true }
            let channel = (Array("12345678QWERTYUI".utf8).firstIndex(of: s.pendingCommand[1]) ?? -1) + 1
            s.replies += Array("Success: Channel set for \(channel)$$$".utf8)
            s.pendingCommand = []
            return true
        }
    }

    /// Gathers `/N` and answers it as firmware v3.1 does (or with the script's reply).
    private func acknowledgeBoardMode(_ byte: UInt8) -> Bool {
        state.withLock { s in
            guard s.pendingCommand.first ?? byte == UInt8(ascii: "/") else { return false }
            s.pendingCommand.append(byte)
            guard s.pendingCommand.count == 2 else { return true }
            s.replies += Array((script.boardModeReply ?? "Success: \(FakeCytonBoard.boardModeName(byte))$$$").utf8)
            s.pendingCommand = []
            return true
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        let n = state.withLock { s -> Int in
            // One reply per read, as a board's replies come some milliseconds apart.
            let end = s.replies.indices.first { $0 >= 2 && s.replies[($0 - 2)...$0].allSatisfy { $0 == 0x24 } }.map { $0 + 1 }
            let n = min(buffer.count, end ?? s.replies.count)
            for i in 0..<n { buffer[i] = s.replies[i] }
            s.replies.removeFirst(n)
            if let late = script.lateReply, !s.lateReplyQueued, s.replies.isEmpty, s.commands.last == UInt8(ascii: "v") {
                s.replies += Array(late.utf8)
                s.lateReplyQueued = true
            }
            return n
        }
        if n == 0 { Thread.sleep(forTimeInterval: 0.001) }
        return n
    }

    func purge() throws(DeviceError) {
        state.withLock {
            $0.replies.removeAll()
            $0.transcript += "^"
        }
    }

    func startReceiving(onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
        guard !receiving.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            defer {
                receiverExited.store(true, ordering: .releasing)
                receiverDone.signal()
            }
            var chunk = 1
            while receiving.load(ordering: .acquiring) {
                let (streaming, sent) = state.withLock { ($0.streaming, $0.sent) }
                guard streaming, sent < script.packets.count else {
                    if streaming, let error = script.endWith {
                        onEnd(error)
                        return
                    }
                    Thread.sleep(forTimeInterval: 0.0005)
                    continue
                }
                let end = min(sent + chunk, script.packets.count)
                script.packets[sent..<end].withUnsafeBytes { onBytes($0) }
                state.withLock { $0.sent = end }
                chunk = chunk % 37 + 1
            }
        }
        thread.start()
    }

    func stopReceiving() {
        state.withLock { $0.stopReceivingCalls += 1 }
        guard receiving.exchange(false, ordering: .acquiringAndReleasing) else { return }
        receiverDone.wait()
        _ = receiverExited.load(ordering: .acquiring)
    }

    func close() {
        stopReceiving()
        state.withLock { $0.closed = true }
    }
}

/// Hands the driver a new ``FakeLink`` per (re)connection, following `scripts` (the last
/// one repeats), and keeps every link it made.
final class FakeLinks: @unchecked Sendable {
    // @unchecked Sendable: `made` is behind a Mutex.
    private let scripts: [FakeLink.Script]
    private let made = Mutex<[FakeLink]>([])

    init(_ scripts: [FakeLink.Script]) { self.scripts = scripts }

    var links: [FakeLink] { made.withLock { $0 } }

    func open() -> FakeLink {
        made.withLock { made in
            let link = FakeLink(name: "fake link \(made.count)", script: scripts[min(made.count, scripts.count - 1)])
            made.append(link)
            return link
        }
    }
}
