import Foundation
import Testing
import EEGDevices
@testable import EEGKit

/// Records `frames` frames of 8 EEG channels (µV: (i mod 97) − 48 for the i-th value)
/// with `aux` (the layout's aux values, interleaved) through ``Recorder`` to a new
/// scratch file with extension `ext`; its path.
func recordAuxFrames(_ layout: StreamLayout, ext: String, frames: Int, aux: [Float]) throws -> String {
    let path = scratchPath(ext)
    let recorder = try Recorder(options: RecordingOptions(path: path), layout: layout)
    var samples = (0..<(frames * 8)).map { Float(($0 % 97) - 48) }
    let indices = (0..<frames).map(Int64.init)
    let drops = [UInt32](repeating: 0, count: frames)
    recorder.begin(atSampleIndex: 0)
    try samples.withUnsafeMutableBufferPointer { s in
        try aux.withUnsafeBufferPointer { a in
            try indices.withUnsafeBufferPointer { i in
                try drops.withUnsafeBufferPointer { try recorder.store(s, auxiliary: a, indices: i, droppedBefore: $0) }
            }
        }
    }
    try recorder.close()
    return path
}

/// A Cyton stream with its accelerometer, recorded: the aux signals at 25 Hz in g beside
/// EEG at 250 Hz, read back by EEGKit (EEG only), pyedflib and MNE.
@Suite("Aux signals in recordings", .serialized)
struct AuxiliaryRecordingTests {
    static let frames = 1000  // 4 s at 250 Hz
    static let g = 0.002 / 16  // per LIS3DH count

    /// Reading `k` in counts (x, y, z), written by hand.
    static func reading(_ k: Int) -> [Int] { [7 * k - 100, -3 * k, 8192 - k] }

    /// The board reads the accelerometer every 10 packets, here at packets 3, 13, 23, …;
    /// the stream holds each reading until the next. Sample b of the 25 Hz signal is the
    /// value held at frame 10b + 9, so reading b (zero before packet 3).
    static func held(_ frame: Int) -> [Float] {
        frame < 3 ? [0, 0, 0] : reading((frame - 3) / 10).map { Float(Double($0) * g) }
    }

    static func record(_ ext: String) throws -> String {
        let layout = Cyton.layout(daisy: false, channels: nil, source: "test Cyton", accelerometer: true)
        #expect(layout.frameWidth == 11 && layout.auxiliary.map(\.label) == ["accel_x", "accel_y", "accel_z"])
        return try recordAuxFrames(layout, ext: ext, frames: frames, aux: (0..<frames).flatMap(held))
    }

    @Test("BDF+ and EDF+: accel_x/y/z at 25 samples per record in g, exact counts; EEGKit reads the EEG channels only")
    func header() throws {
        for ext in ["bdf", "edf"] {
            let path = try Self.record(ext)
            let reader = try EDFReader(path: path)
            #expect(reader.channelLabels == (1...8).map { "ch\($0)" })
            let signals = reader.header.signals
            let annotations = ext == "bdf" ? "BDF Annotations" : "EDF Annotations"
            let labels: [String] = (1...8).map { "ch\($0)" } + ["accel_x", "accel_y", "accel_z", annotations]
            #expect(signals.map(\.label) == labels)
            for aux in signals[8..<11] {
                #expect(aux.samplesPerRecord == 25 && aux.physicalDimension == "g")
                #expect(aux.physicalMinimum == -4.096 && aux.physicalMaximum == 4.095875)
                #expect(aux.digitalMinimum == -32768 && aux.digitalMaximum == 32767)
            }
            #expect(reader.header.recordCount == 4)
            // The EEG is read as before, with the aux signals beside it.
            var record = [Float](repeating: 0, count: 8 * 250)
            _ = try record.withUnsafeMutableBufferPointer { try reader.readRecord(2, into: $0) }
            var worst: Float = 0
            for i in 0..<(8 * 250) { worst = max(worst, abs(record[i] - Float((500 * 8 + i) % 97 - 48))) }
            let tolerance: Float = ext == "bdf" ? 0.02 : 0.06
            #expect(worst < tolerance, "\(ext)")
        }
    }

    @Test("replay and analyze read such a file's EEG channels (the aux signals are not analysed)")
    func readers() throws {
        let path = try Self.record("bdf")
        let replay = try EEGProcess(["replay", path, "--emit", "samples", "--format", "csv", "--speed", "max"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let lines = replay.stdout.split(separator: "\n")
        #expect(lines.first == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8" && lines.count == Self.frames + 1)
        let analyze = try EEGProcess(["analyze", path, "--format", "json"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.count == 1)
    }

    @Test("pyedflib reads the accelerometer in g at 25 Hz with the exact values; MNE reads it unscaled beside the EEG")
    func interop() throws {
        let paths = try ["bdf", "edf"].map(Self.record)
        let script = """
            import json, sys, warnings
            import pyedflib, mne
            out = {}
            for path in sys.argv[1:]:
                with pyedflib.EdfReader(path) as f:
                    labels = f.getSignalLabels()
                    i = labels.index("accel_x")
                    seen = {"rate": f.getSampleFrequency(i), "unit": f.getPhysicalDimension(i),
                            "values": [f.readSignal(i + a).tolist() for a in range(3)]}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    raw = mne.io.read_raw_edf(path, preload=True, verbose="error") if path.endswith(".edf") else mne.io.read_raw_bdf(path, preload=True, verbose="error")
                seen["mne_units"] = [raw._orig_units.get(n) for n in ("accel_x", "accel_y", "accel_z", "ch1")]
                seen["mne_rate"] = raw.info["sfreq"]
                seen["mne_x"] = raw.get_data(picks=["accel_x"])[0].tolist()
                seen["mne_ch1"] = raw.get_data(picks=["ch1"])[0][:5].tolist()
                out[path] = seen
            json.dump(out, sys.stdout)
            """
        guard let data = try runPython(script, paths) else { return }
        struct Seen: Decodable {
            let rate: Double, unit: String, values: [[Double]]
            let mne_units: [String?], mne_rate: Double, mne_x: [Double], mne_ch1: [Double]
        }
        let seen = try JSONDecoder().decode([String: Seen].self, from: data)
        for path in paths {
            let s = try #require(seen[path])
            #expect(s.rate == 25 && s.unit == "g")
            for axis in 0..<3 {
                let expected = (0..<100).map { Double(Self.reading($0)[axis]) * Self.g }
                #expect(s.values[axis].count == 100)
                let worst = zip(s.values[axis], expected).map { abs($0 - $1) }.max() ?? 1
                #expect(worst < 1e-9, "\(path) axis \(axis): \(worst)")
            }
            // MNE knows no unit "g": it lists the accelerometer as "n/a" and leaves its values
            // unscaled (in g, where µV become V), bringing it to 250 Hz by FFT resampling,
            // which keeps the mean: the mean of the 100 readings.
            #expect(s.mne_units == ["n/a", "n/a", "n/a", "µV"])
            #expect(s.mne_rate == 250 && s.mne_x.count == Self.frames)
            let mean = (0..<100).map { Double(Self.reading($0)[0]) * Self.g }.reduce(0, +) / 100
            #expect(abs(s.mne_x.reduce(0, +) / Double(Self.frames) - mean) < 1e-9, "\(path)")
            // EEG in volts, as MNE always gives it: ch1's first µV values × 1e-6.
            #expect(zip(s.mne_ch1, (0..<5).map { Double(($0 * 8 % 97) - 48) * 1e-6 }).allSatisfy { abs($0 - $1) < 1e-7 })
        }
    }
}
