import EEGDevices
import Foundation
import Testing
@testable import EEGKit

/// `make demo`'s headline: the simulated headset run faster than real time through its
/// calibration and a focused and a relaxed phase, the attention score rising and falling.
@Suite("eeg stream with the simulated headset sped up")
struct SimulatedSpeedTests {
    /// The metrics rows of `eeg stream --device sim --duration 160s --format csv` at
    /// `speed`, split by the simulated headset's script: scores seen during calibration
    /// (must be none), and the attention score in focused and relaxed phases, past the 2 s
    /// ramp and the 2 s smoothing after each change of phase.
    func phases(speed: String) throws -> (rows: Int, calibrating: Int, scoredWhileCalibrating: Int, focused: [Double], relaxed: [Double]) {
        let run = try EEGProcess(["stream", "--device", "sim", "--speed", speed, "--duration", "160s", "--format", "csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        let header = try #require(lines.first).split(separator: ",", omittingEmptySubsequences: false)
        let time = try #require(header.firstIndex(of: "time_s")), attention = try #require(header.firstIndex(of: "attention"))
        let script = SimulatedSignal()
        var calibrating = 0, scoredWhileCalibrating = 0, focused: [Double] = [], relaxed: [Double] = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let t = try #require(Double(fields[time]))
            guard t >= script.baselineSeconds else {
                calibrating += 1
                if !fields[attention].isEmpty { scoredWhileCalibrating += 1 }
                continue
            }
            guard script.state(at: t - 6) == script.state(at: t), let score = Double(fields[attention]) else { continue }
            if script.state(at: t) == .focused { focused.append(score) } else { relaxed.append(score) }
        }
        return (lines.count - 1, calibrating, scoredWhileCalibrating, focused, relaxed)
    }

    /// At `max` the headset waits for the consumer, so no frame is dropped however busy
    /// the machine is and every count is exact. (Paced at 20 or 40 × real time, as `make
    /// demo` runs it, a busy machine may drop frames — the ring holds 8 s of device time —
    /// so that run is not a test; the pacing itself is tested by the frame pacer's and the
    /// headset's tests.)
    @Test("sped up to max: no score while calibrating, then every focused score above every relaxed one")
    func attentionRisesAndFallsExactly() throws {
        let p = try phases(speed: "max")
        #expect(p.rows == 625)  // every 0.25 s from 4 s to 160 s
        #expect(p.calibrating == 224 && p.scoredWhileCalibrating == 0)  // 4 s to 59.75 s
        // Focused 60–90 and 120–150 s, relaxed 90–120 and 150–160 s, each less the 6 s
        // after its start.
        #expect(p.focused.count == 2 * 96 && p.relaxed.count == 96 + 17)
        #expect(mean(p.focused) > 90, "focused: \(mean(p.focused))")
        #expect(mean(p.relaxed) < 10, "relaxed: \(mean(p.relaxed))")
        #expect(p.focused.min()! > p.relaxed.max()!, "focused from \(p.focused.min()!), relaxed up to \(p.relaxed.max()!)")
    }

    func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }

    @Test("help names the default device as typed, and both speed flags", arguments: ["stream", "record"])
    func help(command: String) throws {
        let run = try EEGProcess([command, "--help"], killAfter: 20)
        #expect(run.status == 0)
        #expect(run.stdout.contains("cyton:SERIAL;\n                          default: sim)"), "\(run.stdout)")
        #expect(run.stdout.contains("  --speed <speed>") && run.stdout.contains("  --sim-speed <speed>     The same as --speed"))
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
