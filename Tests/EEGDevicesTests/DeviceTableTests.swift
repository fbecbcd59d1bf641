import Foundation
import Testing
@testable import EEGDevices

@Suite("Device table and udev rules")
struct DeviceTableTests {
    static let committed: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("udev/60-eegkit.rules")
    }()

    @Test("the committed rules file is exactly what the table generates (regenerate with eeg udev-rules)")
    func noDrift() throws {
        let text = try String(contentsOf: Self.committed, encoding: .utf8)
        #expect(text == DeviceTable.udevRules(), "udev/60-eegkit.rules drifted: run `eeg udev-rules > udev/60-eegkit.rules`")
    }

    @Test("every device gets a USB and a tty rule for the user and plugdev, never world-writable")
    func rulesGrantTheRightAccess() {
        let rules = DeviceTable.udevRules().split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        for device in DeviceTable.usb {
            let vid = String(format: "%04x", device.vendorID), pid = String(format: "%04x", device.productID)
            let mine = rules.filter { $0.contains(vid) && $0.contains(pid) }
            #expect(mine.contains { $0.hasPrefix("SUBSYSTEM==\"usb\"") })
            #expect(mine.contains { $0.hasPrefix("SUBSYSTEM==\"tty\"") })
            for rule in mine where rule.contains("MODE") {
                #expect(rule.contains("TAG+=\"uaccess\""))
                #expect(rule.contains("GROUP=\"plugdev\""))
                #expect(rule.contains("MODE=\"0660\""))
            }
        }
        #expect(!rules.contains { $0.contains("0666") || $0.contains("0777") })
        #expect(DeviceTable.entry(vendorID: 0x0403, productID: 0x6015)?.driver == "cyton")
        #expect(DeviceTable.entry(vendorID: 0x0403, productID: 0x6001) == nil)
    }
}

@Suite("FTDI framing")
struct FTDIFramingTests {
    func payloads(_ data: [UInt8], packetSize: Int = 64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        data.withUnsafeBytes { forEachFTDIPayload($0, packetSize: packetSize) { out.append(Array($0)) } }
        return out
    }

    @Test("the 2 status bytes at the start of every 64-byte packet are dropped, whatever the transfer size")
    func strip() {
        let status: [UInt8] = [0x01, 0x60]
        let a = (0..<62).map { UInt8($0) }, b = (62..<124).map { UInt8($0) }, c = (124..<130).map { UInt8($0) }
        #expect(payloads(status + a + status + b + status + c) == [a, b, c])
        #expect(payloads(status) == [])           // an idle packet: status only
        #expect(payloads(status + [7]) == [[7]])  // a short packet
        #expect(payloads([]) == [])
    }
}
