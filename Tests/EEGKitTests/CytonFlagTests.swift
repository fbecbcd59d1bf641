import EEGCore
import EEGDevices
import EEGFormats
import Foundation
import Testing
@testable import EEGKit

/// `--gain`, `--channel-input`, `--channels-off`: read into the settings the driver sends, refused
/// with a usage error naming the flag, and recorded in the BDF header.
@Suite("Cyton channel flags")
struct CytonFlagTests {
    @Test("one gain for all, or LABEL=GAIN per channel (label or number); input; channels off")
    func settings() throws {
        let all = try #require(try CytonChannelRequest(gain: "8").settings(daisy: false))
        #expect(all.map(\.gain) == Array(repeating: .x8, count: 8))
        let some = try #require(try CytonChannelRequest(gain: "ch1=12, 3=1", input: "test", channelsOff: "ch7,8").settings(daisy: true))
        #expect(some.count == 16)
        #expect(some.map { String(decoding: CytonCommand.channelSettings($0).bytes, as: UTF8.self) } ==
                ["x1055110X", "x2065110X", "x3005110X", "x4065110X", "x5065110X", "x6065110X", "x7165110X", "x8165110X",
                 "xQ065110X", "xW065110X", "xE065110X", "xR065110X", "xT065110X", "xY065110X", "xU065110X", "xI065110X"])
        #expect(try CytonChannelRequest().settings(daisy: false) == nil)
    }

    @Test("a gain the ADS1299 lacks, an unknown input or channel: ArgumentError naming the flag")
    func refused() {
        #expect(throws: ArgumentError(.outOfRange, flag: "--gain", value: "3", expected: "one of 1, 2, 4, 6, 8, 12, 24, or LABEL=GAIN,… (e.g. ch1=12,ch2=24)")) {
            try CytonChannelRequest(gain: "3").settings(daisy: false)
        }
        #expect(throws: ArgumentError(.malformed, flag: "--channel-input", value: "open", expected: "one of normal, shorted, test")) {
            try CytonChannelRequest(input: "open").settings(daisy: false)
        }
        #expect(throws: ArgumentError(.unknownChannel, flag: "--channels-off", value: "ch9", expected: "no channel 'ch9' (the Cyton has ch1…ch8, or 1…8)")) {
            try CytonChannelRequest(channelsOff: "ch9").settings(daisy: false)
        }
    }

    @Test("the flags are usage errors (64) for the simulated headset and for bad values, before any device is opened")
    func commandLine() throws {
        let sim = try EEGProcess(["stream", "--gain", "8", "--samples", "1"], killAfter: 20)
        #expect(sim.status == 64)
        #expect(sim.stderr == "eeg stream: error: --gain, --channel-input and --channels-off are for --device cyton, not the simulated headset (see 'eeg stream --help')\n")
        let bad = try EEGProcess(["record", "--device", "cyton", "--out", "/nonexistent/x.bdf", "--gain", "ch1=5"], killAfter: 20)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--gain must be one of 1, 2, 4, 6, 8, 12, 24"))
    }

    @Test("a BDF recording's transducer field says each channel's gain and input")
    func header() throws {
        var channels = (1...8).map { CytonCommand.ChannelSettings(channel: $0) }
        channels[0].gain = .x12
        channels[1].input = .testSignal
        channels[7].poweredDown = true
        let layout = Cyton.layout(daisy: false, channels: channels, source: "test Cyton")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).bdf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try Recorder(options: RecordingOptions(path: path), layout: layout)
        try recorder.close()
        let header = try EDFReader(path: path).header
        #expect(header.signals[0].transducer == "EEG electrode; Cyton gain 12, normal input, bias, SRB2")
        #expect(header.signals[1].transducer == "EEG electrode; Cyton gain 24, internal test signal, bias, SRB2")
        #expect(header.signals[7].transducer == "EEG electrode; Cyton channel powered down (reads 0)")
        #expect(header.signals[0].physicalMaximum == 375_000)
    }
}

@Suite("eeg devices: the board behind a dongle")
struct BoardSummaryTests {
    @Test("firmware and Daisy as the board states them, or why it did not answer")
    func summary() {
        #expect(DeviceInventory.boardSummary(CytonBanner(firmware: "v3.1.2", daisy: true), error: nil) == "; board: firmware v3.1.2, Daisy attached (16 channels)")
        #expect(DeviceInventory.boardSummary(CytonBanner(firmware: nil, daisy: false), error: nil) == "; board: firmware before v2 (not stated), no Daisy")
        #expect(DeviceInventory.boardSummary(nil, error: .timeout("waiting for the board's reply to a soft reset (v)"))
                == "; board did not answer: timed out waiting for the board's reply to a soft reset (v); is the board switched on (PC mode) and the dongle's switch on GPIO6?")
    }
}
