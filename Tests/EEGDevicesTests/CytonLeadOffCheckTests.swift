import EEGCore
import EEGDSP
import Foundation
import Synchronization
import Testing
@testable import EEGDevices

/// `eeg impedance`'s device side against the pseudo-terminal board, whose lead-off
/// stream implies a known impedance per channel: the bytes sent (written out by hand from
/// the SDK's `z CHANNEL P N Z` and `x…X`), the impedance measured from the stream, and
/// the settings restored after a complete run and after a stop mid-channel.
@Suite("Cyton lead-off impedance check (pseudo-terminal board)", .serialized)
struct CytonLeadOffCheckTests {
    static let ohms = [1_000.0, 5_000, 12_000, 30_000, 75_000, 150_000, 470_000, 2_000]

    func check(_ board: FakeCytonBoard, channels: [CytonCommand.ChannelSettings]? = nil) -> CytonLeadOffCheck {
        var configuration = CytonDriver.Configuration()
        configuration.channels = channels
        let path = board.slavePath
        return CytonLeadOffCheck(configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: path) }
    }

    /// Waits for the board to have read `count` command bytes (they were written before
    /// `run` returned; its thread may still be reading them).
    func commands(_ board: FakeCytonBoard, count: Int) -> String {
        let deadline = ContinuousClock.now + .seconds(5)
        while board.commands.count < count && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return String(decoding: board.commands, as: UTF8.self)
    }

    @Test("every channel's impedance within 1 % of the one its stream implies, at its confirmed gain; then every setting restored")
    func measuresAndRestores() throws {
        let board = try FakeCytonBoard(packets: [], leadOffOhms: Self.ohms)
        let gains: [CytonCommand.Gain] = [.x12, .x24, .x8, .x24, .x24, .x24, .x2, .x24]
        let settings = gains.enumerated().map { i, gain in
            var s = CytonCommand.ChannelSettings(channel: i + 1)
            s.gain = gain
            return s
        }
        var measured: [Int: Double] = [:]
        let completed = try check(board, channels: settings).run(channels: Array(1...8), frames: 750, stopRequested: { false }) { channel, samples in
            measured[channel] = try LeadOffImpedance.measure(samples, sampleRate: 250).ohms
        }
        #expect(completed)
        for channel in 1...8 {
            let reading = try #require(measured[channel])
            #expect(abs(reading / Self.ohms[channel - 1] - 1) < 0.01, "channel \(channel): \(reading) Ω, implied \(Self.ohms[channel - 1]) Ω")
        }
        let settingsBytes = "x1050110Xx2060110Xx3040110Xx4060110Xx5060110Xx6060110Xx7010110Xx8060110X"
        let perChannel = (1...8).map { "z\($0)01Zbsz\($0)00Z" }.joined()
        let expected = "sv" + settingsBytes + perChannel + "s" + settingsBytes
        #expect(commands(board, count: expected.utf8.count) == expected)
    }

    @Test("a stop (Ctrl-C) while channel 2 is driven: its drive turned off, streaming stopped, the defaults sent again")
    func stopMidChannel() throws {
        let board = try FakeCytonBoard(packets: [], leadOffOhms: Self.ohms)
        var measuredChannels: [Int] = []
        var pollsAfterFirst = 0
        let completed = try check(board).run(channels: [1, 2, 3], frames: 500, stopRequested: {
            guard measuredChannels.count == 1 else { return false }
            pollsAfterFirst += 1
            return pollsAfterFirst > 3  // past the loop's check and into channel 2's stream
        }) { channel, _ in measuredChannels.append(channel) }
        #expect(!completed)
        #expect(measuredChannels == [1])
        let defaults = (1...8).map { "x\($0)060110X" }.joined()
        let expected = "svz101Zbsz100Zz201Zbsz200Zs" + defaults
        #expect(commands(board, count: expected.utf8.count) == expected)
    }

    @Test("a channel the board does not have is refused before anything is sent")
    func unconfirmedChannel() throws {
        let board = try FakeCytonBoard(packets: [], leadOffOhms: Self.ohms)
        #expect(throws: DeviceError.invalidConfiguration("no channel 9 on the Cyton (1…8)")) {
            try check(board).run(channels: [9], frames: 10, stopRequested: { false }) { _, _ in }
        }
        #expect(board.commands.isEmpty)
    }
}
