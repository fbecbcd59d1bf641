import EEGDevices
import Foundation
import Testing
@testable import EEGKit

/// `make demo`'s headline: the simulated headset run faster than real time through its
/// calibration and a focused and a relaxed phase, the attention score rising and falling.
@Suite("eeg stream with the simulated headset sped up")
struct SimulatedSpeedTests {
    @Test("at --speed 40 the attention score is unavailable while calibrating, then high when focused and low when relaxed")
    func attentionRisesAndFalls() throws {
        let run = try EEGProcess(["stream", "--device", "sim", "--speed", "40", "--duration", "160s", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("lost"), "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        let header = try #require(lines.first).split(separator: ",", omittingEmptySubsequences: false)
        let time = try #require(header.firstIndex(of: "time_s")), attention = try #require(header.firstIndex(of: "attention"))
        #expect(lines.count == 1 + 625)  // a header, then updates every 0.25 s from 4 s to 160 s
        let script = SimulatedSignal()
        var calibrating = 0, focused: [Double] = [], relaxed: [Double] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let t = try #require(Double(fields[time]))
            guard t >= script.baselineSeconds else {
                #expect(fields[attention].isEmpty, "a score at \(t) s, during calibration")
                calibrating += 1
                continue
            }
            // Past the 2 s ramp and the 2 s smoothing after each change of phase.
            guard script.state(at: t - 6) == script.state(at: t), let score = Double(fields[attention]) else { continue }
            if script.state(at: t) == .focused { focused.append(score) } else { relaxed.append(score) }
        }
        #expect(calibrating == 224)  // 4 s to 59.75 s
        // Focused 60–90 and 120–150 s, relaxed 90–120 and 150–160 s, each less the 6 s
        // after its start.
        #expect(focused.count == 2 * 96 && relaxed.count == 96 + 17)
        let meanFocused = focused.reduce(0, +) / Double(focused.count)
        let meanRelaxed = relaxed.reduce(0, +) / Double(relaxed.count)
        #expect(meanFocused > 90, "focused: \(meanFocused)")
        #expect(meanRelaxed < 10, "relaxed: \(meanRelaxed)")
        // Every focused score is above every relaxed one: the score rises and falls.
        #expect(focused.min()! > relaxed.max()!, "focused from \(focused.min()!), relaxed up to \(relaxed.max()!)")
    }

    @Test("--speed is the simulated headset's; --sim-speed is its older name; not both", arguments: [
        (["stream", "--device", "cyton", "--speed", "2"], "--speed is for the simulated headset"),
        (["stream", "--device", "cyton", "--sim-speed", "2"], "--sim-speed is for the simulated headset"),
        (["stream", "--speed", "2", "--sim-speed", "2"], "give --speed or --sim-speed (its older name), not both"),
        (["stream", "--speed", "0"], "--speed must be max or a speed"),
        (["stream", "--device", "cyton:ABC", "--port", "/dev/null"], "give --device cyton:SERIAL or --port, not both"),
        (["record", "--out", "/tmp/never.bdf", "--raw-capture", "/tmp/never.raw"], "--raw-capture is for --device cyton"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let run = try EEGProcess(arguments, killAfter: 20)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.raw"))
    }
}
