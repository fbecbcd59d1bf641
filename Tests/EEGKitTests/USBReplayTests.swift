import Foundation
import Synchronization
import Testing
import TestSupport
import EEGKit

/// The real libusb path, end to end: `eeg stream --device cyton` run under umockdev, which
/// replays usbmon captures (Fixtures/usb, written by generate.py) through libusb's Linux
/// backend — enumeration, claim, FTDI control requests, bulk OUT commands, 8 bulk IN
/// transfers in flight, cancellation and unplug.
@Suite("Cyton over libusb, replayed by umockdev", .serialized)
struct USBReplayTests {
    static let umockdevRun = ["/usr/bin/umockdev-run", "/usr/local/bin/umockdev-run"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

    struct Expected: Decodable {
        let frames: Int
        let unplug_frames: Int
        let replug_frames: [Int]
        let serial: String
        let microvolts: [[Double]]
    }

    /// Runs eeg under umockdev with `capture`; `stopWhen` sends SIGTERM once stderr
    /// contains it.
    func run(capture: String, arguments: [String], stopWhen: String? = nil, stopAfterLines: Int? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let umockdevRun = Self.umockdevRun else {
            if Self.inCI { Issue.record("umockdev-run is not installed, and CI must run these tests") }
            throw USBReplaySkipped()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: umockdevRun)
        process.arguments = ["-d", Fixtures.url("usb/cyton.umockdev").path, "-p", "/sys/devices/usb1/1-1=\(capture)", "--",
                             EEGProcess.executable.path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let errorText = Mutex("")
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errorText.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        let outData = Mutex(Data())
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            outData.withLock { $0.append(data) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            let enoughLines = stopAfterLines.map { n in outData.withLock { $0.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } } >= n } ?? false
            if enoughLines || stopWhen.map({ text in errorText.withLock { $0.contains(text) } }) == true {
                // Signal eeg itself, umockdev-run's child, as Ctrl-C would; umockdev-run
                // then exits with eeg's status.
                let pid = process.processIdentifier
                let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
                for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGTERM) }
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        if process.isRunning && Date() >= deadline { process.terminate() }
        process.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        out.fileHandleForReading.readabilityHandler = nil
        let rest = err.fileHandleForReading.readDataToEndOfFile()
        let restOut = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = errorText.withLock { $0 } + String(decoding: rest, as: UTF8.self)
        return (process.terminationStatus, String(decoding: outData.withLock { $0 } + restOut, as: UTF8.self), stderr)
    }

    func checkFrames(_ csv: String, count: Int, expected: Expected) throws {
        let lines = csv.split(separator: "\n")
        try #require(lines.count == count + 1, "expected \(count) frames, got \(lines.count - 1)")
        // The accelerometer's columns follow the channels (the capture's fixture states
        // only the EEG µV, which are compared).
        #expect(lines[0] == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8,accel_x_g,accel_y_g,accel_z_g")
        var wrong = 0
        for (i, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",")
            if fields[0] != "\(i)" { wrong += 1; continue }
            let values = fields.dropFirst().prefix(8).map { Float($0)! }
            if values != expected.microvolts[i].map({ Float($0) }) { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) frames differ from the values the capture encodes")
    }

    @Test("a whole session: every decoded µV value, 3000 frames, clean stop")
    func session() throws {
        let expected = try Fixtures.json("usb/session.json", as: Expected.self)
        do {
            let run = try run(capture: Fixtures.url("usb/session.pcap").path,
                              arguments: ["stream", "--device", "cyton:\(expected.serial)", "--emit", "samples", "--format", "csv", "--samples", "\(expected.frames)"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("stuck"), "the replay went out of step: \(run.stderr)")
            try checkFrames(run.stdout, count: expected.frames, expected: expected)
        } catch is USBReplaySkipped {}
    }

    @Test("the replay checks the driver's control requests: a capture expecting another baud divisor fails at that step")
    func strictReplay() throws {
        var pcap = try Data(contentsOf: Fixtures.url("usb/session.pcap"))
        // The setup packet of SIO_SET_BAUDRATE: 40 03 1A 00 00 00 00 00 → divisor 27.
        let setup: [UInt8] = [0x40, 0x03, 0x1A, 0x00, 0x00, 0x00, 0x00, 0x00]
        let range = try #require(pcap.firstRange(of: Data(setup)))
        pcap[range.lowerBound + 2] = 0x1B
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).pcap")
        try pcap.write(to: path)
        do {
            let run = try run(capture: path.path, arguments: ["stream", "--device", "cyton", "--emit", "samples", "--samples", "10"])
            #expect(run.status == 69)
            #expect(run.stderr.contains("eeg stream: error: timed out setting 115200 baud"), "\(run.stderr)")
        } catch is USBReplaySkipped {}
    }

    @Test("unplugged mid-stream (-ESHUTDOWN): every delivered frame kept, disconnect reported, reconnect attempted, clean stop")
    func unplug() throws {
        let expected = try Fixtures.json("usb/session.json", as: Expected.self)
        do {
            let run = try run(capture: Fixtures.url("usb/unplug.pcap").path,
                              arguments: ["stream", "--device", "cyton", "--emit", "samples", "--format", "csv"],
                              stopWhen: "device reconnecting")
            #expect(run.stderr.contains("eeg: device disconnected"))
            #expect(run.stderr.contains("eeg: device reconnecting"))
            #expect(run.stderr.contains("stopped (stopRequested)"), "\(run.stderr)")
            #expect(run.status == 0)
            try checkFrames(run.stdout, count: expected.unplug_frames, expected: expected)
        } catch is USBReplaySkipped {}
    }
}

struct USBReplaySkipped: Error {}

extension USBReplayTests {
    /// The frames of `csv` (after its header), as (sample index, µV values of the 8
    /// channels; the accelerometer's columns after them are left out).
    func frames(_ csv: String) -> [(Int64, [Float])] {
        csv.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",")
            return (Int64(f[0])!, f.dropFirst().prefix(8).map { Float($0)! })
        }
    }

    @Test("unplugged and plugged back in: the driver re-enumerates, reconfigures and resumes; the gap is reported")
    func replug() throws {
        let expected = try Fixtures.json("usb/session.json", as: Expected.self)
        let total = expected.replug_frames.reduce(0, +)
        do {
            let run = try run(capture: Fixtures.url("usb/replug.pcap").path,
                              arguments: ["stream", "--device", "cyton", "--emit", "samples", "--format", "csv"],
                              stopAfterLines: total + 1)
            #expect(run.stderr.contains("eeg: device disconnected"))
            #expect(run.stderr.contains("eeg: device streaming again"))
            #expect(run.stderr.contains("stopped (stopRequested): \(total) frames"), "\(run.stderr)")
            let got = frames(run.stdout)
            try #require(got.count == total)
            let before = expected.replug_frames[0]
            #expect(got.prefix(before).map(\.0) == (0..<before).map(Int64.init))
            // After the replug the counter restarted: indices jump by the time away.
            let resumedAt = got[before].0
            #expect(resumedAt > Int64(before))
            #expect(got.dropFirst(before).map(\.0) == (0..<(total - before)).map { resumedAt + Int64($0) })
            #expect(run.stderr.contains("lost \(resumedAt - Int64(before)) frames before sample \(resumedAt)"))
            var wrong = 0
            for (i, frame) in got.enumerated() where frame.1 != expected.microvolts[i].map({ Float($0) }) { wrong += 1 }
            #expect(wrong == 0)
        } catch is USBReplaySkipped {}
    }

    @Test("recording through an unplug: disconnect and reconnect annotated, the gap marked, every delivered sample kept")
    func recordThroughReplug() throws {
        let expected = try Fixtures.json("usb/session.json", as: Expected.self)
        let total = expected.replug_frames.reduce(0, +)
        let path = scratchPath("bdf")
        do {
            let run = try run(capture: Fixtures.url("usb/replug.pcap").path,
                              arguments: ["record", "--device", "cyton", "--out", path, "--emit", "samples", "--format", "csv"],
                              stopAfterLines: total + 1)
            #expect(run.status == 0, "\(run.stderr)")
            let reader = try EDFReader(path: path)
            let annotations = try reader.allAnnotations()
            #expect(annotations.contains { $0.text == "Device disconnected" })
            #expect(annotations.contains { $0.text == "Device reconnected" })
            let gap = try #require(annotations.first { $0.text.contains("samples lost (not received from the device)") })
            let before = expected.replug_frames[0]
            #expect(gap.onset == Double(before) / 250)
            let gapFrames = Int((gap.duration! * 250).rounded())
            // Read back: 300 frames, the gap as zeros, 200 frames — each sample the
            // dongle delivered is there as its exact ADC count.
            var stored: [Float] = []
            var buffer = [Float](repeating: 0, count: 8 * 250)
            for r in 0..<reader.recordCount {
                _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
                stored += buffer
            }
            let signal = reader.header.signals[0]
            func count(_ v: Double) -> Int32 { Int32((v / (4.5 / 24 / Double((1 << 23) - 1) * 1_000_000)).rounded()) }
            var wrong = 0
            for i in 0..<total {
                let frame = i < before ? i : i + gapFrames
                for c in 0..<8 where signal.digital(stored[frame * 8 + c]).0 != count(expected.microvolts[i][c]) { wrong += 1 }
            }
            #expect(wrong == 0)
            #expect(stored[before * 8..<(before + gapFrames) * 8].allSatisfy { $0 == 0 })
        } catch is USBReplaySkipped {}
    }
}

/// The one libusb case a capture cannot replay: a dongle whose interface is bound to the
/// kernel's ftdi_sio driver. A dynamic umockdev device (Tests/umockdev/kernel_driver.py,
/// a UMockdev.IoctlBase) answers the usbfs ioctls itself.
@Suite("Cyton over libusb, kernel driver bound (dynamic umockdev device)")
struct KernelDriverTests {
    struct Result: Decodable { let ioctls: [String]; let output: String; let errors: String; let status: Int32 }

    @Test("the bound driver is detached only because it is bound, the interface claimed, and the driver given back")
    func detachClaimReattach() throws {
        let python = "/usr/bin/python3"
        let script = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Tests/umockdev/kernel_driver.py").path
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import gi; gi.require_version('UMockdev', '1.0')"]
        probe.standardError = FileHandle.nullDevice
        if (try? probe.run()) == nil || { probe.waitUntilExit(); return probe.terminationStatus != 0 }() {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("python3-gi and gir1.2-umockdev-1.0 are missing, and CI must run this") }
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, EEGProcess.executable.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = try JSONDecoder().decode(Result.self, from: data)
        #expect(result.status == 0, "\(result.errors)")
        // libusb_kernel_driver_active → GETDRIVER; detach → GETDRIVER + DISCONNECT; claim;
        // on close release and reattach.
        #expect(result.ioctls == ["GETDRIVER", "GETDRIVER", "DISCONNECT", "CLAIM", "RELEASE", "CONNECT"])
        #expect(result.output.contains("\"select\": \"--device cyton:DM00KERN\""))
        #expect(result.output.contains("claimed (its kernel driver ftdi_sio was detached and given back)"))
    }
}
