import EEGDevices
import Foundation
import Testing
@testable import EEGKit

@Suite("Stream session with the simulated headset")
struct StreamSessionTests {
    func run(_ options: StreamOptions, seed: UInt64 = 1) throws -> ([String], StreamSummary) {
        let headset = try SimulatedHeadset(seed: seed, speed: .infinity)
        var lines: [String] = []
        let summary = try StreamSession(device: headset, options: options).run(
            write: { lines.append($0) }, status: { _ in }, stopRequested: { false })
        #expect(headset.state == .closed)
        return (lines, summary)
    }

    @Test("samples as CSV: a header, then exactly the frames asked for, equal to the generator's")
    func samplesCSV() throws {
        var options = StreamOptions()
        options.emit = .samples
        options.format = .csv
        options.frameLimit = 1234
        let (lines, summary) = try run(options)
        #expect(lines.first == "sample,Fp1,Fp2,C3,C4,P7,P8,O1,O2")
        #expect(lines.count == 1235)
        #expect(summary.frames == 1234)
        #expect(summary.endedBy == .limit)
        var signal = SimulatedSignal(seed: 1)
        var expected = [Float](repeating: 0, count: 8 * 1234)
        expected.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
        for (i, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",")
            #expect(fields[0] == "\(i)")
            #expect(fields.dropFirst().map { Float($0)! } == Array(expected[(8 * i)..<(8 * i + 8)]))
        }
    }

    @Test("metrics as JSON lines: one per 0.25 s after the first 4 s window")
    func metricsJSONL() throws {
        var options = StreamOptions()
        options.frameLimit = 250 * 10
        let (lines, summary) = try run(options)
        #expect(summary.frames == 2500)
        #expect(lines.count == 25)  // updates at 4.0, 4.25, ..., 10.0 s
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["time_s"] as? Double == 4)
        #expect(first["sample"] as? Int == 999)
        #expect(first["attention"] is NSNull)  // still calibrating
        #expect((first["channels"] as? [[String: Any]])?.count == 8)
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[24].utf8)) as? [String: Any])
        #expect(last["time_s"] as? Double == 10)
    }

    @Test("the attention score follows the scripted focus and relaxation")
    func attentionMoves() throws {
        var options = StreamOptions()
        options.frameLimit = 250 * 150
        options.format = .csv
        let (lines, _) = try run(options)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let time = header.firstIndex(of: "time_s")!, attention = header.firstIndex(of: "attention")!
        var focused: [Double] = [], relaxed: [Double] = []
        let script = SimulatedSignal()
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard let t = Double(f[time]), let a = Double(f[attention]) else { continue }
            // Skip the 2 s ramp and the 2 s smoothing after each change of phase.
            guard script.state(at: t - 6) == script.state(at: t) else { continue }
            switch script.state(at: t) {
            case .focused: focused.append(a)
            case .relaxed: relaxed.append(a)
            case .baseline: Issue.record("a score during calibration at \(t) s")
            }
        }
        let meanFocused = focused.reduce(0, +) / Double(focused.count)
        let meanRelaxed = relaxed.reduce(0, +) / Double(relaxed.count)
        #expect(focused.count > 50 && relaxed.count > 50)
        #expect(meanFocused > 75, "focused: \(meanFocused)")
        #expect(meanRelaxed < 25, "relaxed: \(meanRelaxed)")
    }

    @Test("a stop request ends the stream and stops the device")
    func stopRequest() throws {
        let headset = try SimulatedHeadset(speed: .infinity)
        var calls = 0
        let summary = try StreamSession(device: headset, options: StreamOptions()).run(
            write: { _ in }, status: { _ in }, stopRequested: { calls += 1; return calls > 3 })
        #expect(summary.endedBy == .stopRequested)
        #expect(headset.state == .closed)
    }

    @Test("a closed output ends the stream cleanly")
    func outputClosed() throws {
        var options = StreamOptions()
        options.emit = .samples
        let headset = try SimulatedHeadset(speed: .infinity)
        var written = 0
        let summary = try StreamSession(device: headset, options: options).run(
            write: { _ in written += 1; if written > 100 { throw OutputClosed() } }, status: { _ in }, stopRequested: { false })
        #expect(summary.endedBy == .outputClosed)
        #expect(headset.state == .closed)
    }
}
