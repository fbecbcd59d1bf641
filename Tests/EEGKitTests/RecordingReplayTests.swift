import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// `eeg replay FILE` builds its device through the library: the format by extension,
/// labels checked against the file, the file's own layout for EDF/BDF.
@Suite("Recording replays are built by the library")
struct RecordingReplayTests {
    static let raw = Fixtures.url("eeg/libgdf_mi128.f32").path
    static let edf = Fixtures.url("eeg/libgdf_mi128.edf").path

    @Test("the format comes from --input-format, else the extension: .csv, .f32, anything else EDF/BDF")
    func formats() {
        #expect(RecordingReplay(path: "a.CSV").resolvedFormat == .csv)
        #expect(RecordingReplay(path: "a.f32").resolvedFormat == .f32)
        #expect(RecordingReplay(path: "a.bdf").resolvedFormat == .edf)
        #expect(RecordingReplay(path: "a.dat").resolvedFormat == .edf)
        #expect(RecordingReplay(path: "a.dat", format: .f32).resolvedFormat == .f32)
    }

    @Test("float32 takes the rate and labels given; EDF states its own")
    func layouts() throws {
        let f32 = try RecordingReplay(path: Self.raw, sampleRate: 128, channelCount: 3, labels: ["C3", "Cz", "C4"], speed: .infinity).open()
        #expect(f32.layout.labels == ["C3", "Cz", "C4"] && f32.layout.sampleRate == 128)
        let edf = try RecordingReplay(path: Self.edf, speed: .infinity, from: 10).open()
        #expect(edf.layout.labels == ["eeg:C3", "eeg:Cz", "eeg:C4"] && edf.layout.sampleRate == 128)
        #expect(throws: InputError.labelCount(labels: 2, channels: 3)) {
            try RecordingReplay(path: Self.raw, sampleRate: 128, channelCount: 3, labels: ["a", "b"]).open()
        }
    }

    @Test("CSV or float32 without a rate is refused naming --rate, not played at 0 Hz")
    func rateRequired() throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-norate-\(UUID().uuidString).csv").path
        try "1,2\n3,4\n".write(toFile: csv, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: csv) }
        do {
            _ = try RecordingReplay(path: csv).open()
            Issue.record("a CSV replay without a rate opened")
        } catch let error as ArgumentError {
            #expect(error.kind == .missing && error.flag == "--rate")
            #expect(error.description == "--rate is required for CSV input: the sample rate in Hz, e.g. --rate 250")
            #expect(FailureKind(of: error) == .usage)
        }
        #expect(throws: ArgumentError.self) { try RecordingReplay(path: Self.raw, channelCount: 3).open() }
    }
}
