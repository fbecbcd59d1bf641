import EEGCore
import Foundation
import Testing
@testable import EEGDevices

/// Every device states its stream as one `StreamLayout`; `channelCount`, `sampleRate`,
/// `channelLabels` and `fullScale` are read from it (expected values computed by hand
/// from the ADS1299's 4.5 V reference: full scale = 4.5 V / gain).
@Suite("Device layouts")
struct DeviceLayoutTests {
    @Test("Cyton + Daisy: ch1…ch16 at 125 Hz, full scale of the smallest gain, the driver's name as source")
    func cytonDaisy() {
        var configuration = CytonDriver.Configuration()
        configuration.daisy = true
        configuration.channels = (1...16).map { channel in
            var s = CytonCommand.ChannelSettings(channel: channel)
            s.gain = channel == 3 ? .x8 : channel == 16 ? .x12 : .x24
            return s
        }
        let driver = CytonDriver(name: "Cyton on /dev/ttyUSB0", configuration: configuration) { () throws(DeviceError) -> any ByteTransport in
            throw .notFound("no board in this test")
        }
        let device: any EEGDevice = driver
        var expected = StreamLayout(labels: (1...16).map { "ch\($0)" }, sampleRate: 125, fullScale: 562_500, source: "Cyton on /dev/ttyUSB0")
        expected.acquisition = (1...16).map { "Cyton gain \($0 == 3 ? 8 : $0 == 16 ? 12 : 24), normal input, bias, SRB2" }
        #expect(device.layout == expected)
        #expect(device.channelCount == 16 && device.sampleRate == 125 && device.fullScale == 562_500)
        #expect(device.channelLabels.first == "ch1" && device.channelLabels.last == "ch16")
        #expect(device.layout.unit == "µV")
    }

    @Test("Cyton alone, default gain 24: ch1…ch8 at 250 Hz, ±187,500 µV")
    func cytonDefault() {
        let device: any EEGDevice = CytonDriver(name: "Cyton") { () throws(DeviceError) -> any ByteTransport in
            throw .notFound("no board in this test")
        }
        var expected = StreamLayout(labels: (1...8).map { "ch\($0)" }, sampleRate: 250, fullScale: 187_500, source: "Cyton")
        // Nothing sent: the board's reset defaults, said in the recording header.
        expected.acquisition = Array(repeating: "Cyton gain 24, normal input, bias, SRB2", count: 8)
        #expect(device.layout == expected)
    }

    @Test("simulated headset: its own labels, rate and name in one layout")
    func simulated() throws {
        let headset = try SimulatedHeadset(channelCount: 4, sampleRate: 500, seed: 7)
        let device: any EEGDevice = headset
        #expect(device.name == "simulated headset (4 ch, 500.0 Hz, seed 7)")
        #expect(device.layout.source == device.name)
        #expect(device.channelCount == 4 && device.sampleRate == 500 && device.fullScale == 187_500)
        #expect(device.channelLabels == SimulatedSignal(channelCount: 4, sampleRate: 500, seed: 7).labels)
    }

    @Test("raw Cyton capture: the Daisy flag sets width and rate; default gain")
    func rawCapture() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString).raw").path
        try Data([0xA0]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let device: any EEGDevice = try RawCytonReplay(path: path, daisy: true)
        #expect(device.layout == StreamLayout(labels: (1...16).map { "ch\($0)" }, sampleRate: 125, fullScale: 187_500,
                                              source: "raw Cyton capture \(path)"))
    }
}
