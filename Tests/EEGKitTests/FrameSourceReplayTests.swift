import Foundation
import Testing
import EEGDevices
@testable import EEGKit

/// Replay works from any file source: float32 and CSV frames replay to the same metrics
/// lines as the live session they came from, and what replay skips follows annotation
/// kinds, not words.
@Suite("Replay from any frame source")
struct FrameSourceReplayTests {
    static let frames = 250 * 12
    static let labels = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"]

    func generated() -> [Float] {
        var signal = SimulatedSignal(seed: 1)
        var samples = [Float](repeating: 0, count: 8 * Self.frames)
        samples.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
        return samples
    }

    /// The generated frames as a float32 file and a CSV file (with a `sample,labels…`
    /// header as `eeg stream` writes, or bare rows).
    func files(csvHeader: Bool) throws -> (raw: String, csv: String) {
        let samples = generated()
        let raw = scratchPath("f32"), csv = scratchPath("csv")
        try samples.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: raw))
        var text = csvHeader ? "sample," + Self.labels.joined(separator: ",") + "\n" : ""
        for f in 0..<Self.frames {
            text += (csvHeader ? "\(f)," : "") + samples[(8 * f)..<(8 * f + 8)].map { "\($0)" }.joined(separator: ",") + "\n"
        }
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        return (raw, csv)
    }

    func metrics(_ device: any EEGDevice) throws -> [String] {
        var options = StreamOptions()
        options.calibrationSeconds = 5
        var lines: [String] = []
        _ = try StreamSession(device: device, options: options).run(write: { lines.append($0) }, status: { _ in }, stopRequested: { false })
        return lines
    }

    @Test("float32 and CSV replays give the live session's metrics lines byte for byte")
    func rawAndCSV() throws {
        let (raw, csv) = try files(csvHeader: true)
        defer { for p in [raw, csv] { try? FileManager.default.removeItem(atPath: p) } }

        var live = StreamOptions()
        live.calibrationSeconds = 5
        live.frameLimit = Int64(Self.frames)
        var expected: [String] = []
        _ = try StreamSession(device: try SimulatedHeadset(seed: 1, speed: .infinity), options: live)
            .run(write: { expected.append($0) }, status: { _ in }, stopRequested: { false })
        #expect(expected.count == (12 - 4) * 4 + 1)  // an update every 0.25 s from 4 s to 12 s

        let fromRaw = try FileReplayDevice(source: FrameSourceFormat.f32.open(raw, channels: 8), name: "replay of \(raw)",
                                           sampleRate: 250, labels: Self.labels, speed: .infinity)
        #expect(fromRaw.layout.labels == Self.labels && fromRaw.sampleRate == 250)
        #expect(try metrics(fromRaw) == expected)
        let fromCSV = try FileReplayDevice(source: FrameSourceFormat.csv.open(csv), name: "replay of \(csv)", sampleRate: 250, speed: .infinity)
        #expect(fromCSV.layout.labels == Self.labels, "labels from the CSV header")
        #expect(try metrics(fromCSV) == expected)
    }

    @Test("--from/--to on a source of unknown length: the span asked for, in timeline positions")
    func fromToOnCSV() throws {
        let csv = scratchPath("csv")
        defer { try? FileManager.default.removeItem(atPath: csv) }
        try ((0..<1000).map { "\($0)" }.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let device = try FileReplayDevice(source: FrameSourceFormat.csv.open(csv), name: "csv", sampleRate: 100, speed: .infinity, from: 2, to: 3.5)
        var options = StreamOptions()
        options.emit = .samples
        options.format = .csv
        var lines: [String] = []
        _ = try StreamSession(device: device, options: options).run(write: { lines.append($0) }, status: { _ in }, stopRequested: { false })
        #expect(lines.first == "sample,ch1")
        #expect(lines.dropFirst().first == "200,200.0" && lines.last == "349,349.0" && lines.count == 151)
        #expect(throws: EDFError.self) { try FileReplayDevice(source: FrameSourceFormat.csv.open(csv), name: "csv", speed: .infinity) }  // no rate
    }

    @Test("replay skips spans by kind: a loss in any words, padding; a marker is played")
    func skipsByKind() throws {
        let path = scratchPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let channels = [EDFSignal(label: "C3", physicalMinimum: -1000, physicalMaximum: 1000, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 10)]
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        let ones = [Float](repeating: 1, count: 10)
        try ones.withUnsafeBufferPointer { try writer.append($0) }
        try writer.gap(frames: 5, cause: .other("words no reader looks for"))
        writer.annotate(.marker("samples lost padding"), onset: writer.duration, duration: 0.3)
        try ones.withUnsafeBufferPointer { try writer.append(UnsafeBufferPointer(rebasing: $0[0..<7])) }
        try writer.close()
        let spans = try FileReplayDevice.skippedSpans(EDFFrameReader(path: path), rate: 10)
        #expect(spans == [10..<15, 22..<30], "the loss and the padding after the last frame; not the marker")
    }

    @Test("eeg replay FILE.csv --rate and FILE.f32 --rate --channel-count print what the library replays; wrong flags are usage errors")
    func command() throws {
        let (raw, csv) = try files(csvHeader: false)
        defer { for p in [raw, csv] { try? FileManager.default.removeItem(atPath: p) } }
        let expected = try metrics(FileReplayDevice(source: FrameSourceFormat.f32.open(raw, channels: 8), name: "replay", sampleRate: 250, speed: .infinity))
        #expect(expected.count == 33)

        let fromRaw = try EEGProcess(["replay", raw, "--rate", "250", "--channel-count", "8", "--speed", "max", "--calibration-seconds", "5"])
        #expect(fromRaw.status == 0, "\(fromRaw.stderr)")
        #expect(fromRaw.stdout == expected.map { $0 + "\n" }.joined())
        let fromCSV = try EEGProcess(["replay", csv, "--rate", "250", "--speed", "max", "--calibration-seconds", "5"])
        #expect(fromCSV.status == 0, "\(fromCSV.stderr)")
        #expect(fromCSV.stdout == fromRaw.stdout)

        let noRate = try EEGProcess(["replay", csv], killAfter: 20)
        #expect(noRate.status == 64 && noRate.stderr.contains("--rate is required for CSV input"), "\(noRate.stderr)")
        let noChannels = try EEGProcess(["replay", raw, "--rate", "250"], killAfter: 20)
        #expect(noChannels.status == 64 && noChannels.stderr.contains("--channel-count is required"), "\(noChannels.stderr)")
        let edfWithRate = try EEGProcess(["replay", "x.bdf", "--rate", "250"], killAfter: 20)
        #expect(edfWithRate.status == 64 && edfWithRate.stderr.contains("states its own rate"), "\(edfWithRate.stderr)")
        let labels = try EEGProcess(["replay", csv, "--rate", "250", "--labels", "a,b"], killAfter: 20)
        #expect(labels.status == 64 && labels.stderr.contains("2 labels") && labels.stderr.contains("8 channels"), "\(labels.stderr)")
    }
}
