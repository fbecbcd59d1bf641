import Foundation
import Testing
import EEGCore
@testable import EEGKit

/// `--times`: sample lines carry each sample's LSL timestamp and its batch's host
/// arrival time after the index (the bit-for-bit agreement with what liblsl inlets
/// receive is checked in LSLCommandTests). Here: the exact text, and the refusals.
@Suite("--times: sample timestamps and arrival times")
struct SampleTimesTests {
    static let layout = StreamLayout(labels: ["Fp1", "Fp2"], sampleRate: 250, fullScale: 187_500, source: "test")

    @Test("CSV and JSON lines: the times after the index, as the shortest text of the Double")
    func lines() {
        let times = SampleTimes(timestamp: 61058.564207903, arrival: 61058.580207903)
        let values: [Float] = [-3.25, 10.5]
        let csv = StreamLineFormatter(layout: Self.layout, bands: .standard, format: .csv, sampleTimes: true)
        #expect(csv.header(for: .samples) == "sample,timestamp,arrival,Fp1,Fp2")
        let csvLine = values.withUnsafeBufferPointer { csv.sampleLine(index: 12, samples: $0, times: times) }
        #expect(csvLine == "12,61058.564207903,61058.580207903,-3.25,10.5")
        let json = StreamLineFormatter(layout: Self.layout, bands: .standard, format: .jsonl, sampleTimes: true)
        let jsonLine = values.withUnsafeBufferPointer { json.sampleLine(index: 12, samples: $0, times: times) }
        #expect(jsonLine == #"{"sample": 12, "timestamp": 61058.564207903, "arrival": 61058.580207903, "Fp1": -3.25, "Fp2": 10.5}"#)
        // Without --times the lines are as before, whatever is passed.
        let plain = StreamLineFormatter(layout: Self.layout, bands: .standard, format: .csv)
        #expect(plain.header(for: .samples) == "sample,Fp1,Fp2")
        #expect(values.withUnsafeBufferPointer { plain.sampleLine(index: 12, samples: $0, times: times) } == "12,-3.25,10.5")
    }

    @Test("a timestamp's text reads back as the same Double")
    func exactText() {
        for t in [61058.564207903, 0.1 + 0.2, 123456.78901234567, 5e-324 + 1000] {
            #expect(Double("\(SampleTimes(timestamp: t, arrival: t).timestamp)") == t)
        }
    }

    @Test("--times needs --emit samples and real time (usage errors, exit 64)", arguments: [
        (["stream", "--times", "--duration", "1s"], "--emit samples"),
        (["stream", "--times", "--emit", "metrics", "--duration", "1s"], "--emit samples"),
        (["record", "--times", "--duration", "1s", "--out", "/nonexistent-dir/times.bdf"], "--emit samples"),
        (["stream", "--times", "--emit", "samples", "--speed", "20", "--duration", "1s"], "--speed"),
    ])
    func refused(arguments: [String], mentions: String) throws {
        let run = try EEGProcess(arguments, killAfter: 60)
        #expect(run.status == 64, "\(run.status): \(run.stderr.prefix(300))")
        #expect(run.stderr.contains("--times") && run.stderr.contains(mentions), "\(run.stderr.prefix(300))")
    }

    @Test("stream --times without --lsl: timestamps evenly spaced at the device rate, arrivals per batch")
    func withoutLSL() throws {
        let run = try EEGProcess(["stream", "--times", "--emit", "samples", "--format", "csv", "--duration", "2s"], killAfter: 60)
        #expect(run.status == 0, "\(run.stderr.prefix(300))")
        let cells = run.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(cells.count == 500)
        let stamps = cells.compactMap { Double($0[1]) }, arrivals = cells.compactMap { Double($0[2]) }
        #expect(stamps.count == 500 && arrivals.count == 500)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0 <= $1 })
        // Several samples share their batch's arrival: fewer distinct arrivals than samples.
        #expect(Set(arrivals).count < 500)
        let rate = Double(stamps.count - 1) / (stamps[stamps.count - 1] - stamps[0])
        #expect(abs(rate - 250) < 5, "rate from the printed timestamps \(rate)")
    }
}
