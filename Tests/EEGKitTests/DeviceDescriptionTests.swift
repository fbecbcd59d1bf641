import Foundation
import Testing
import TestSupport
@testable import EEGKit

@Suite("Devices built by the library from a description")
struct DeviceDescriptionTests {
    @Test("--device names parse into descriptions; a serial number keeps its case", arguments: [
        ("sim", DeviceDescription.simulated(.init())),
        ("SIM", .simulated(.init())),
        ("simulated", .simulated(.init())),
        ("cyton", .cyton(.init())),
        ("Cyton:DM00AbCd", .cyton(.init(serial: "DM00AbCd"))),
    ])
    func names(name: String, expected: DeviceDescription) {
        #expect(DeviceDescription(name: name) == expected)
    }

    @Test("unknown --device names are refused", arguments: ["", "cytonx", "cyton:", "ganglion", "sim:1", " sim"])
    func unknownNames(name: String) {
        #expect(DeviceDescription(name: name) == nil)
    }

    @Test("the simulated headset is built with the settings given")
    func simulated() throws {
        let built = try DeviceDescription.simulated(.init(channelCount: 4, sampleRate: 500, seed: 7, speed: 20)).makeDevice()
        #expect(built.device.name == "simulated headset (4 ch, 500.0 Hz, seed 7)")
        #expect(built.device.channelCount == 4)
        #expect(built.device.sampleRate == 500)
        #expect(built.device.channelLabels == ["Fp1", "Fp2", "C3", "C4"])
        #expect(built.device.state == .closed)
        #expect(built.rawCapture == nil)
        #expect(throws: DeviceError.invalidConfiguration("the simulated headset has 1 to 256 channels, not 0")) {
            try DeviceDescription.simulated(.init(channelCount: 0)).makeDevice()
        }
        #expect(throws: DeviceError.invalidConfiguration("speed must be positive")) {
            try DeviceDescription.simulated(.init(speed: 0)).makeDevice()
        }
    }

    @Test("a Cyton on a serial port is built without opening it; the port and Daisy shape it")
    func cytonOnPort() throws {
        let built = try DeviceDescription.cyton(.init(port: "/nonexistent/ttyUSB9", daisy: true)).makeDevice()
        #expect(built.device.name == "OpenBCI Cyton + Daisy on /nonexistent/ttyUSB9")
        #expect(built.device.channelCount == 16)
        #expect(built.device.sampleRate == 125)
        #expect(built.device.state == .closed)
        // 16 channels and the accelerometer's 3 values per frame.
        #expect(built.device.layout.frameWidth == 19)
        // Opening happens at start, and fails there with the port's errno.
        let (producer, _) = try FrameRing.create(channels: 19, capacity: 1024)
        #expect(throws: DeviceError.notFound("serial port /nonexistent/ttyUSB9")) {
            try built.device.start(into: producer, events: DeviceEvents())
        }
        #expect(built.device.state == .closed)
    }

    @Test("settings that do not fit together are refused with a configuration error")
    func conflicts() throws {
        #expect(throws: DeviceError.invalidConfiguration("give --device cyton:SERIAL or --port, not both")) {
            try DeviceDescription.cyton(.init(serial: "X", port: "/dev/ttyUSB0")).makeDevice()
        }
        #expect(throws: DeviceError.invalidConfiguration("a raw capture is for a Cyton (the simulated headset and replays send no bytes)")) {
            try DeviceDescription.simulated(.init()).makeDevice(rawCapture: RawCaptureRequest(path: "/tmp/never-made.raw"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-made.raw"))
        // A capture file that cannot be opened is missing input (66), not a missing device.
        #expect(throws: InputError.cannotOpen(path: "/nonexistent/s.raw", reason: "no such file")) {
            try DeviceDescription.rawCytonCapture(path: "/nonexistent/s.raw", daisy: false, speed: 1).makeDevice()
        }
    }

    @Test("a raw capture asked for is created and attached to the Cyton; an existing file needs overwrite")
    func rawCaptureAttached() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attach-\(UUID().uuidString).raw").path
        defer { unlink(path) }
        let description = DeviceDescription.cyton(.init(port: "/nonexistent/ttyUSB9"))
        let built = try description.makeDevice(rawCapture: RawCaptureRequest(path: path))
        let capture = try #require(built.rawCapture)
        #expect(capture.path == path)
        #expect(FileManager.default.fileExists(atPath: path))
        // The driver ends the capture's writer when a start fails: nothing was written.
        let (producer, _) = try FrameRing.create(channels: 8, capacity: 1024)
        #expect(throws: DeviceError.self) { try built.device.start(into: producer, events: DeviceEvents()) }
        #expect(capture.writtenBytes == 0)
        #expect(throws: DeviceError.invalidConfiguration("\(path) already exists; use --force to overwrite it")) {
            try description.makeDevice(rawCapture: RawCaptureRequest(path: path))
        }
        #expect(try description.makeDevice(rawCapture: RawCaptureRequest(path: path, overwrite: true)).rawCapture != nil)
    }

    /// One 33-byte Cyton packet: channel 1 holds `count` (24-bit), the others 0.
    func packet(_ sampleNumber: UInt8, count: Int32) -> [UInt8] {
        let raw = UInt32(bitPattern: count) & 0xFF_FFFF
        let channels = [UInt8(raw >> 16), UInt8((raw >> 8) & 0xFF), UInt8(raw & 0xFF)] + [UInt8](repeating: 0, count: 21)
        return [0xA0, sampleNumber] + channels + [UInt8](repeating: 0, count: 6) + [0xC0]
    }

    @Test("a raw capture replays through the decoder into the session: the frames the bytes hold")
    func rawReplay() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).raw").path
        defer { unlink(path) }
        let bytes = packet(0, count: 1) + packet(1, count: -1) + packet(2, count: 8_388_607)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let device = try DeviceDescription.rawCytonCapture(path: path, daisy: false, speed: .infinity).makeDevice().device
        #expect(device.name == "raw Cyton capture \(path)")
        var options = StreamOptions()
        options.emit = .samples
        options.format = .csv
        var lines: [String] = []
        let summary = try StreamSession(device: device, options: options).run(write: { lines.append($0) }, status: { _ in }, stopRequested: { false })
        #expect(summary.frames == 3)
        #expect(summary.endedBy == .deviceEnded)
        // µV = counts × 4.5 V / gain 24 / (2²³ − 1) × 10⁶, as Float.
        let step = Float(4.5 / 24 / 8_388_607 * 1e6)
        let first = lines.dropFirst().map { $0.split(separator: ",").prefix(2).map(String.init) }
        #expect(first == [["0", "\(step)"], ["1", "\(-step)"], ["2", "\(Float(4.5 / 24 * 1e6))"]])
    }

    @Test("the inventory lists the simulated headset first; a fix for every row that is not usable, none otherwise")
    func inventory() throws {
        let rows = DeviceInventory.scan(check: false)
        #expect(rows.first == DeviceListing(select: "--device sim", device: "simulated headset (8 ch, 250 Hz; --sim-channels, --sim-rate, --seed)", status: "ok"))
        #expect(rows.allSatisfy { $0.isUsable == ($0.fix == nil) })
        // What `eeg devices` prints for it, as before the listing moved into the library.
        let json = try EEGProcess(["devices", "--json"], killAfter: 60)
        #expect(json.status == 0)
        #expect(json.stdout.hasPrefix(#"{"select": "--device sim", "device": "simulated headset (8 ch, 250 Hz; --sim-channels, --sim-rate, --seed)", "status": "ok"}"# + "\n"))
        let table = try EEGProcess(["devices"], killAfter: 60)
        #expect(table.stdout.hasPrefix("✓ --device sim\n    simulated headset (8 ch, 250 Hz; --sim-channels, --sim-rate, --seed)\n"))
    }

    @Test("the eeg commands only parse: they never construct drivers, transports or simulators")
    func commandsDoNotBuildDevices() throws {
        let sources = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Sources/eeg")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for forbidden in ["import EEGDevices", "CytonDriver", "SerialPortTransport", "SimulatedHeadset", "RawCytonReplay", "CytonUSB", "as? Cyton"] {
                #expect(!text.contains(forbidden), "Sources/eeg/\(file) mentions \(forbidden)")
            }
        }
    }
}
