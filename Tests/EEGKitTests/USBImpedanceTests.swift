import Foundation
import Testing
import TestSupport

/// `eeg impedance` and `eeg devices --check` over libusb, against the live emulated
/// dongle (Tests/umockdev/cyton_dongle.py), whose board acknowledges `x…X` and `z…Z` and,
/// with a channel's lead-off drive on, streams the sine an implied impedance gives.
@Suite("Cyton impedance and board identity over libusb (dynamic umockdev device)", .serialized)
struct USBImpedanceTests {
    /// Every byte eeg wrote to the dongle, in order (the device logs each bulk OUT).
    static func sent(_ result: USBDongleTests.Result) -> String {
        result.log.filter { $0.hasPrefix("OUT ") }.map { String($0.dropFirst(4)) }.joined()
    }

    @Test("each measured channel within 1 % of the impedance its stream implies, at its gain; the settings sent again after")
    func impedance() throws {
        let ohms = [1_000.0, 5_000, 12_000, 30_000, 75_000, 150_000, 470_000, 2_000]
        guard let result = try USBDongleTests().run("impedance", rate: 4000, packets: 800, seed: 1,
                                                    ["--ohms", ohms.map { "\(Int($0))" }.joined(separator: ","),
                                                     "--eeg-arg=--channels", "--eeg-arg=ch1,ch2,ch7", "--eeg-arg=--gain", "--eeg-arg=ch7=2"]) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        try #require(lines.count == 3, "\(result.stdout)\n\(result.stderr)")
        for (line, channel) in zip(lines, [1, 2, 7]) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["channel"] as? String == "ch\(channel)")
            let measured = try #require(object["impedance_ohms"] as? Double)
            #expect(abs(measured / ohms[channel - 1] - 1) < 0.01, "ch\(channel): \(measured) Ω, implied \(ohms[channel - 1]) Ω")
        }
        let settings = (1...8).map { "x\($0)0\($0 == 7 ? 1 : 6)0110X" }.joined()
        #expect(Self.sent(result) == "sv" + settings + "z101Zbsz100Zz201Zbsz200Zz701Zbsz700Zs" + settings)
    }

    @Test("eeg devices --check: the board's firmware and whether a Daisy is attached, from its soft-reset banner",
          arguments: [false, true])
    func devices(daisy: Bool) throws {
        guard let result = try USBDongleTests().run("devices", rate: 250, packets: 10, seed: 1, daisy ? ["--daisy-banner"] : []) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let expected = daisy ? "; board: firmware v3.1.2, Daisy attached (16 channels)" : "; board: firmware v3.1.2, no Daisy"
        #expect(result.stdout.contains("claimed\(expected)\""), "\(result.stdout)")
        #expect(Self.sent(result) == "sv")
    }
}
