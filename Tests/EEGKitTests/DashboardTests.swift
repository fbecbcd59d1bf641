import EEGDevices
import Foundation
import Testing
@testable import EEGKit

@Suite("Dashboard")
struct DashboardTests {
    func state() -> DashboardState {
        var s = DashboardState(deviceName: "simulated headset (8 ch, 250.0 Hz, seed 1)", nominalRate: 250,
                               labels: ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"], bandNames: ["delta", "theta", "alpha", "beta", "gamma"])
        s.time = 3723
        s.metrics = MetricValues(ratios: BandRatios(engagement: 0.5123, thetaBeta: 1.25, relaxation: 2, workload: 0.25),
                                 scores: Scores(attention: 73, relaxation: 40, workload: 12))
        s.calibration = 1
        s.achievedRate = 249.6
        s.dropped = 3
        for c in s.channels.indices {
            s.channels[c].relative = [0.5, 0.25, 0.125, 0.1, 0.025]
            s.channels[c].rms = 10 + Double(c)
        }
        s.channels[1].quality = "railed"
        s.attentionHistory = [0, 50, 100, nil]
        return s
    }

    @Test("every frame is exactly the screen: height lines of width columns", arguments: [(100, 30), (60, 16), (40, 10)])
    func exactSize(width: Int, height: Int) {
        let lines = DashboardRenderer(width: width, height: height, color: false).render(state())
        #expect(lines.count == height)
        for (i, line) in lines.enumerated() { #expect(line.count == width, "line \(i) is \(line.count) wide: '\(line)'") }
    }

    @Test("100×30: gauges, ratios, every channel with quality, RMS and band bars, keys")
    func large() {
        let lines = DashboardRenderer(width: 100, height: 30, color: false).render(state())
        let text = lines.joined(separator: "\n")
        // Gauge 40 cells wide: 73 % → 29 full, 11 empty.
        #expect(lines.contains { $0.hasPrefix(" attention   " + String(repeating: "█", count: 29) + String(repeating: "░", count: 11) + "  73 / 100") })
        // 12 % of 40 cells = 4.8 → 5.
        #expect(lines.contains { $0.hasPrefix(" workload    " + String(repeating: "█", count: 5) + String(repeating: "░", count: 35) + "  12 / 100") })
        // The metric table's overview ratios, by their column headings.
        #expect(text.contains(" engagement 0.512   θ/β 1.250   α/β 2.000   θ/α 0.250"))
        #expect(lines[0].hasSuffix("01:02:03 250/250 Hz  lost 3 "))
        // Channel rows: label, quality, RMS, and delta 0.5 → 20/8 → "██▄".
        let fp2 = lines.first { $0.hasPrefix(" Fp2") }!
        #expect(fp2.contains("● railed") && fp2.contains("11.0") && fp2.contains("██▄"))
        for label in ["Fp1", "C3", "O2"] { #expect(lines.contains { $0.hasPrefix(" \(label)") }) }
        // Sparkline: right-aligned history, 0 → ▁, 50 → ▄, 100 → █, missing → space.
        #expect(lines.contains { $0.hasSuffix("▁▄█  ") })
        #expect(lines.last!.contains("m marker   r record on/off   space freeze   q quit"))
        #expect(!text.contains("\u{1B}"))
    }

    @Test("60×16: fewer channels, and it says how many are hidden")
    func small() {
        let lines = DashboardRenderer(width: 60, height: 16, color: false).render(state())
        // A very short screen keeps the attention gauge only.
        #expect(!DashboardRenderer(width: 40, height: 10, color: false).render(state()).contains { $0.hasPrefix(" relaxation") })
        #expect(lines.contains { $0.contains("more channels (enlarge the terminal)") })
        let shown = lines.filter { $0.hasPrefix(" Fp") || $0.hasPrefix(" C") || $0.hasPrefix(" P") || $0.hasPrefix(" O") }.count
        #expect(shown >= 2 && shown < 8)
    }

    @Test("before calibration the score says so instead of inventing one")
    func calibrating() {
        var s = state()
        s.metrics.scores.attention = nil
        s.calibration = 0.5
        let lines = DashboardRenderer(width: 100, height: 30, color: false).render(s)
        #expect(lines.contains { $0.hasPrefix(" attention   " + String(repeating: "·", count: 20)) && $0.contains("calibrating  50%") })
    }

    @Test("colour codes only when allowed (NO_COLOR), and width is counted without them")
    func colour() {
        let coloured = DashboardRenderer(width: 100, height: 30, color: true).render(state())
        #expect(coloured.joined().contains("\u{1B}[31m●\u{1B}[0m"))  // railed channel in red
        #expect(!DashboardRenderer(width: 100, height: 30, color: false).render(state()).joined().contains("\u{1B}["))
    }

    @Test("recording, freeze and a narrow title: the status on the right stays whole")
    func footerAndTitle() {
        var s = state()
        s.recordingPath = "eeg-20261126-090000.bdf"
        s.recordingBytes = 2_000_000
        s.markers = 2
        s.frozen = true
        let lines = DashboardRenderer(width: 70, height: 20, color: false).render(s)
        #expect(lines[0].hasSuffix("FROZEN  01:02:03 250/250 Hz  lost 3 "))
        #expect(lines[0].contains("… "))
        #expect(lines[lines.count - 2].contains("⏺ REC eeg-20261126-090000.bdf 2 MB  markers 2"))
    }

    @Test("keys: m marker, r record, space freeze, q / Ctrl-C / Esc quit; others ignored")
    func keys() {
        #expect(dashboardActions(for: Array("mxR Q".utf8) + [0x03, 0x1B, 0x41]) == [.marker, .toggleRecording, .toggleFreeze, .quit, .quit, .quit])
    }

    @Test("updates from the live analyzer fill the state, and the trend keeps the last minute")
    func fromAnalyzer() throws {
        var configuration = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 2)
        configuration.calibrationSeconds = 5
        let analyzer = try LiveAnalyzer(configuration)
        var signal = SimulatedSignal(channelCount: 2, seed: 3)
        var frames = [Float](repeating: 0, count: 2 * 250 * 90)
        frames.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
        var s = DashboardState(deviceName: "sim", nominalRate: 250, labels: ["Fp1", "Fp2"], bandNames: ["delta", "theta", "alpha", "beta", "gamma"])
        frames.withUnsafeBufferPointer { f in analyzer.process(f, firstSampleIndex: 0) { s.update($0) } }
        #expect(s.attentionHistory.count == 240)  // 60 s at 4 updates per second
        #expect(s.metrics.scores.attention != nil && s.calibration == 1)
        #expect(abs(s.channels[0].relative.reduce(0, +) - 1) < 1e-9)
        #expect(s.time == 90)
    }
}
