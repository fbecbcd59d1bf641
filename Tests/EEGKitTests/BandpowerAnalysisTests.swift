import Foundation
import Testing
import TestSupport
@testable import EEGKit

struct RecordingReference: Decodable {
    let channel_names: [String]
    let sampling_rate_hz: Double
    let n_samples: Int
    let band_powers_uv2: [String: [String: Double]]
}

struct EpochReferences: Decodable {
    struct Epoch: Decodable { let start_s: Double; let band_powers: [[String: Double]] }
    let epochs: [Epoch]
}

@Suite("Band-power analysis of a stream")
struct BandpowerAnalysisTests {
    static let names = BandSet.standard.bands.map(\.name)

    func analyzeRecording(epoch: Double?, chunkFrames: Int) throws -> BandpowerReport {
        var reader = RawFloat32Reader(input: try InputFile(path: Fixtures.url("eeg/libgdf_mi128.f32").path), channelCount: 3, chunkFrames: chunkFrames)
        var options = BandpowerOptions(layout: .test(rate: 128, labels: ["C3", "Cz", "C4"]))
        options.epochSeconds = epoch
        return try BandpowerAnalyzer.analyze(&reader, options: options)
    }

    @Test("the whole recording, streamed in small chunks, gives scipy's band powers", arguments: [77, 1000, 16_384])
    func wholeRecording(chunkFrames: Int) throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128.json", as: RecordingReference.self)
        let report = try analyzeRecording(epoch: nil, chunkFrames: chunkFrames)
        #expect(report.frames == reference.n_samples)
        #expect(report.epochs == nil)
        for (c, name) in reference.channel_names.enumerated() {
            let expected = Self.names.map { reference.band_powers_uv2[name]![$0]! }
            let (error, band) = worstRelativeError(report.whole.channels[c].absolute, expected)
            #expect(error <= 1e-4, "\(name) band \(band): \(error)")
            let total = expected.reduce(0, +)
            let (relError, _) = worstRelativeError(report.whole.channels[c].relative, expected.map { $0 / total })
            #expect(relError <= 1e-4)
        }
        // Ratios of the channel means, from the reference powers by hand.
        func mean(_ band: String) -> Double { reference.channel_names.map { reference.band_powers_uv2[$0]![band]! }.reduce(0, +) / 3 }
        let r = report.whole.ratios
        #expect(abs(r.engagement! / (mean("beta") / (mean("alpha") + mean("theta"))) - 1) < 1e-4)
        #expect(abs(r.thetaBeta! / (mean("theta") / mean("beta")) - 1) < 1e-4)
        #expect(abs(r.relaxation! / (mean("alpha") / mean("beta")) - 1) < 1e-4)
        #expect(abs(r.workload! / (mean("theta") / mean("alpha")) - 1) < 1e-4)
    }

    @Test("4 s epochs give scipy's band powers per epoch")
    func epochs() throws {
        let reference = try Fixtures.json("eeg/libgdf_mi128_windows.json", as: EpochReferences.self)
        let report = try analyzeRecording(epoch: 4, chunkFrames: 333)
        let epochs = try #require(report.epochs)
        #expect(epochs.count == reference.epochs.count)  // 97 whole epochs; the 0 s tail is left out
        for (mine, theirs) in zip(epochs, reference.epochs) {
            #expect(mine.start == theirs.start_s)
            for c in 0..<3 {
                let expected = Self.names.map { theirs.band_powers[c][$0]! }
                let (error, band) = worstRelativeError(mine.summary.channels[c].absolute, expected)
                #expect(error <= 1e-4, "epoch at \(mine.start) s, channel \(c), band \(band): \(error)")
            }
        }
    }

    @Test("JSON has exactly the documented shape and key order")
    func jsonShape() throws {
        let report = try analyzeRecording(epoch: 100, chunkFrames: 16_384)
        let text = report.json()
        #expect(text.hasPrefix("{\"sample_rate\": 128.0, \"samples\": 49664, \"channels\": [{\"label\": \"C3\", \"band_power\": {\"delta\": "))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["sample_rate", "samples", "channels", "metrics", "epochs"])
        let metrics = try #require(object["metrics"] as? [String: Any])
        #expect(Set(metrics.keys) == ["engagement", "theta_beta", "relaxation", "workload"])
        let channels = try #require(object["channels"] as? [[String: Any]])
        #expect(channels.map { $0["label"] as? String } == ["C3", "Cz", "C4"])
        let bandPower = try #require(channels[0]["band_power"] as? [String: Double])
        #expect(Set(bandPower.keys) == Set(Self.names))
        let epochs = try #require(object["epochs"] as? [[String: Any]])
        #expect(epochs.count == 3)  // 388 s in 100 s epochs
        #expect(epochs.map { $0["start_s"] as? Double } == [0, 100, 200])
        // Field order inside each channel object.
        #expect(text.contains("{\"label\": \"Cz\", \"band_power\": {\"delta\": "))
        #expect(text.contains("}, \"relative_power\": {\"delta\": "))
    }

    @Test("a band without its partner band makes the ratio null, not a number")
    func missingBands() throws {
        var options = BandpowerOptions(layout: .test(rate: 100, channels: 1))
        options.bands = try BandSet(parsing: "alpha:8-13,beta:13-30")
        let analyzer = try BandpowerAnalyzer(options)
        let x = (0..<1000).map { Float(sin(Double($0) * 0.7) * 10) }
        x.withUnsafeBufferPointer { analyzer.consume($0) }
        let report = try analyzer.finish()
        #expect(report.whole.ratios.engagement == nil)
        #expect(report.whole.ratios.relaxation != nil)
        #expect(report.json().contains("\"engagement\": null, \"theta_beta\": null, \"relaxation\": "))
    }

    @Test("input shorter than one window is refused")
    func tooShort() throws {
        let analyzer = try BandpowerAnalyzer(BandpowerOptions(layout: .test(rate: 250, channels: 2)))
        [Float](repeating: 1, count: 2 * 499).withUnsafeBufferPointer { analyzer.consume($0) }
        #expect(throws: DSPError.tooFewSamples(have: 499, need: 500)) { try analyzer.finish() }
    }
}

@Suite("Sample readers")
struct SampleReaderTests {
    func temporary(_ contents: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString)")
        try contents.write(to: url)
        return url.path
    }

    func float32(_ values: [Float]) -> Data {
        var data = Data()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    func readAll(_ reader: inout some FrameReader) throws -> [Float] {
        var all: [Float] = [], chunk: [Float] = []
        while try reader.nextChunk(into: &chunk) > 0 { all += chunk }
        return all
    }

    @Test("raw: a trailing partial frame is an error naming the byte count")
    func partialFrame() throws {
        let path = try temporary(float32([1, 2, 3, 4, 5]))
        var reader = RawFloat32Reader(input: try InputFile(path: path), channelCount: 2)
        #expect(throws: InputError.notWholeFrames(source: path, bytes: 20, channels: 2)) { _ = try readAll(&reader) }
    }

    @Test("raw: NaN and infinity are reported with frame and channel", arguments: [Float.nan, .infinity, -.infinity])
    func nonFinite(bad: Float) throws {
        let path = try temporary(float32([1, 2, 3, 4, 5, bad, 7, 8]))
        var reader = RawFloat32Reader(input: try InputFile(path: path), channelCount: 2, chunkFrames: 1)
        #expect(throws: InputError.nonFinite(source: path, frame: 2, channel: 1)) { _ = try readAll(&reader) }
        #expect(InputError.nonFinite(source: "x", frame: 2, channel: 1).description == "x: frame 2, channel 2 is NaN or infinite")
    }

    @Test("raw: values come back exactly, across chunk boundaries")
    func rawRoundTrip() throws {
        let values: [Float] = (0..<300).map { Float($0) * 0.37 - 20 }
        var reader = RawFloat32Reader(input: try InputFile(path: try temporary(float32(values))), channelCount: 3, chunkFrames: 7)
        #expect(try readAll(&reader) == values)
    }

    @Test("CSV: a header gives labels and a sample column is skipped")
    func csvHeader() throws {
        let text = "sample,Fp1,Fp2\n0,1.5,-2\n1,3,4e1\n\n2,5,6\n"
        var reader = try CSVFrameReader(input: try InputFile(path: try temporary(Data(text.utf8))), declaredChannels: nil)
        #expect(reader.channelCount == 2)
        #expect(reader.labels == ["Fp1", "Fp2"])
        #expect(try readAll(&reader) == [1.5, -2, 3, 40, 5, 6])
    }

    @Test("CSV: headerless, with CRLF line ends")
    func csvPlain() throws {
        var reader = try CSVFrameReader(input: try InputFile(path: try temporary(Data("1,2,3\r\n4,5,6\r\n".utf8))), declaredChannels: 3)
        #expect(reader.labels == nil)
        #expect(try readAll(&reader) == [1, 2, 3, 4, 5, 6])
    }

    @Test("CSV: errors name the line and column")
    func csvErrors() throws {
        let path1 = try temporary(Data("a,b\n1,2\n3\n".utf8))
        var reader = try CSVFrameReader(input: InputFile(path: path1), declaredChannels: nil)
        #expect(throws: InputError.csvColumnCount(source: path1, line: 3, expected: 2, found: 1)) { _ = try readAll(&reader) }

        let path2 = try temporary(Data("1,2\n3,x7\n".utf8))
        reader = try CSVFrameReader(input: InputFile(path: path2), declaredChannels: nil)
        #expect(throws: InputError.csvNumber(source: path2, line: 2, column: 2, text: "x7")) { _ = try readAll(&reader) }

        let path3 = try temporary(Data("1,2\n".utf8))
        let input3 = try InputFile(path: path3)
        #expect(throws: InputError.channelCountMismatch(source: path3, declared: 3, found: 2)) {
            _ = try CSVFrameReader(input: input3, declaredChannels: 3)
        }
    }
}
