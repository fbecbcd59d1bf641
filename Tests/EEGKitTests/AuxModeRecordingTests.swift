import Foundation
import Testing
import EEGDevices
@testable import EEGKit

/// Recordings of a Cyton in analog, digital and marker mode (`--aux`): each aux channel
/// a signal of its own at the board's packet rate with its unit, the values exact, read
/// back by pyedflib and MNE; EEGKit's readers see the EEG channels only.
@Suite("Aux mode signals in recordings", .serialized)
struct AuxModeRecordingTests {
    static let frames = 500  // 2 s at 250 Hz

    /// The aux values of frame `f`, written by hand for each mode.
    static func values(_ mode: CytonAuxMode, _ f: Int) -> [Float] {
        switch mode {
        case .analog: return [f % 1024, 1023 - f % 1024, 7 * f % 1024].map(Float.init)
        case .digital: return [f % 2, f / 2 % 2, f / 3 % 2, f / 5 % 2, f / 7 % 2].map(Float.init)
        case .markers: return [f % 50 == 7 ? Float(65 + f / 50) : 0]
        case .accel, .none: return []
        }
    }

    static func record(_ mode: CytonAuxMode, _ ext: String) throws -> String {
        let layout = Cyton.layout(daisy: false, channels: nil, source: "test Cyton", aux: mode)
        return try recordAuxFrames(layout, ext: ext, frames: frames, aux: (0..<frames).flatMap { values(mode, $0) })
    }

    static let cases: [(CytonAuxMode, String, [String], String)] = [
        (.analog, "bdf", ["analog_a5", "analog_a6", "analog_a7"], "counts"),
        (.digital, "edf", ["digital_d11", "digital_d12", "digital_d13", "digital_d17", "digital_d18"], "level"),
        (.markers, "bdf", ["marker"], "code"),
        (.markers, "edf", ["marker"], "code"),
    ]

    @Test("header: the aux signals after the EEG at 250 samples per record with their units; EEGKit reads the 8 EEG channels")
    func header() throws {
        for (mode, ext, labels, unit) in Self.cases {
            let path = try Self.record(mode, ext)
            let reader = try EDFReader(path: path)
            #expect(reader.channelLabels == (1...8).map { "ch\($0)" })
            let signals = reader.header.signals
            #expect(Array(signals[8..<(8 + labels.count)].map(\.label)) == labels, "\(mode) \(ext)")
            #expect(signals[8..<(8 + labels.count)].allSatisfy { $0.samplesPerRecord == 250 && $0.physicalDimension == unit }, "\(mode) \(ext)")
        }
    }

    @Test("replay reads such a file's EEG channels only: the aux signals at the same rate are not taken for EEG")
    func replay() throws {
        let path = try Self.record(.analog, "bdf")
        let replay = try EEGProcess(["replay", path, "--emit", "samples", "--format", "csv", "--speed", "max"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let lines = replay.stdout.split(separator: "\n")
        #expect(lines.first == "sample,ch1,ch2,ch3,ch4,ch5,ch6,ch7,ch8" && lines.count == Self.frames + 1)
    }

    @Test("pyedflib reads every aux value exactly at 250 Hz with its unit; MNE reads them unscaled beside the EEG in volts")
    func interop() throws {
        let paths = try Self.cases.map { try Self.record($0.0, $0.1) }
        let script = """
            import json, sys, warnings
            import pyedflib, mne
            out = {}
            for path in sys.argv[1:]:
                with pyedflib.EdfReader(path) as f:
                    labels = f.getSignalLabels()
                    aux = [i for i, l in enumerate(labels) if not l.startswith("ch") and "Annotations" not in l]
                    seen = {"labels": [labels[i] for i in aux], "rates": [f.getSampleFrequency(i) for i in aux],
                            "units": [f.getPhysicalDimension(i) for i in aux], "values": [f.readSignal(i).tolist() for i in aux]}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    raw = mne.io.read_raw_edf(path, preload=True, verbose="error") if path.endswith(".edf") else mne.io.read_raw_bdf(path, preload=True, verbose="error")
                seen["mne_rate"] = raw.info["sfreq"]
                seen["mne_values"] = [raw.get_data(picks=[l])[0].tolist() for l in seen["labels"]]
                seen["mne_ch1"] = raw.get_data(picks=["ch1"])[0][:5].tolist()
                out[path] = seen
            json.dump(out, sys.stdout)
            """
        guard let data = try runPython(script, paths) else { return }
        struct Seen: Decodable {
            let labels: [String], rates: [Double], units: [String], values: [[Double]]
            let mne_rate: Double, mne_values: [[Double]], mne_ch1: [Double]
        }
        let seen = try JSONDecoder().decode([String: Seen].self, from: data)
        for ((mode, ext, labels, unit), path) in zip(Self.cases, paths) {
            let s = try #require(seen[path])
            #expect(s.labels == labels && s.rates.allSatisfy { $0 == 250 } && s.units.allSatisfy { $0 == unit }, "\(mode) \(ext)")
            for (k, label) in labels.enumerated() {
                let expected = (0..<Self.frames).map { Double(Self.values(mode, $0)[k]) }
                #expect(s.values[k] == expected, "\(mode) \(ext) \(label) (pyedflib)")
                #expect(s.mne_values[k] == expected, "\(mode) \(ext) \(label) (MNE)")
            }
            #expect(s.mne_rate == 250)
            #expect(zip(s.mne_ch1, (0..<5).map { Double(($0 * 8 % 97) - 48) * 1e-6 }).allSatisfy { abs($0 - $1) < 1e-7 }, "\(mode) \(ext)")
        }
    }
}
