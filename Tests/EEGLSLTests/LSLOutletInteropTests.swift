import Foundation
import Testing
import EEGFormats
@testable import EEGLSL

/// EEGKit's outlet, read by liblsl itself (pylsl 1.18 and mne-lsl 1.14 bundle it): the
/// stream is found by name, type and source_id, the description carries the labels,
/// every value and timestamp arrives as pushed, and time_correction() is near zero.
@Suite("liblsl inlets read EEGKit's outlets", .serialized)
struct LSLOutletInteropTests {
    static let channels = ["Fp1", "Fp2", "C3", "C4"]

    func value(_ sample: Int, _ channel: Int) -> Float { Float(sample) * 0.5 - 100 + Float(channel) * 0.125 }

    @Test("every sample, timestamp and label arrives", arguments: ["pylsl", "mne"])
    func samplesArrive(library: String) throws {
        guard LSLPeer.available("LSL interop with \(library)") else { return }
        let service = try LSLService(configuration: try LSLPeer.machineConfiguration())
        defer { service.stop() }
        let name = "EEGKit-test-\(getpid())-\(library)"
        var description = StreamInfo(name: name, type: "EEG", channelCount: 4, nominalRate: 250, channelFormat: .float32, sourceID: "sim-seed-7",
                                     channels: Self.channels.map { StreamInfo.Channel(label: $0, unit: "microvolts", type: "EEG") })
        description.version = 1.1
        let outlet = try service.addOutlet(description, format: .float32)
        let count = 600, start = 5000.0
        let result = try LSLPeer.pull(library, name: name, count: count, extra: ["--type", "EEG", "--source-id", "sim-seed-7"]) {
            var values = [Float](repeating: 0, count: 4)
            for i in 0..<count {
                for c in 0..<4 { values[c] = value(i, c) }
                values.withUnsafeBufferPointer { outlet.push($0, timestamp: start + Double(i) / 250) }
                if i % 50 == 49 { outlet.publish() }
            }
            outlet.publish()
        }
        #expect(result.error == nil)
        let info = try #require(result.info)
        #expect(info.name == name && info.type == "EEG" && info.source_id == "sim-seed-7")
        #expect(info.channel_count == 4 && info.nominal_srate == 250)
        #expect(info.labels == Self.channels)
        #expect(info.units == Array(repeating: "microvolts", count: 4))
        let samples = try #require(result.samples), stamps = try #require(result.timestamps)
        #expect(samples.count == count && stamps.count == count)
        for (i, row) in samples.enumerated() {
            #expect(row.map(\.number) == (0..<4).map { Double(value(i, $0)) }, "sample \(i)")
        }
        for (i, t) in stamps.enumerated() { #expect(t == start + Double(i) / 250, "timestamp \(i)") }
        let correction = try #require(result.time_correction)
        #expect(abs(correction) < 0.01, "time_correction \(correction) on one machine")
    }
}
