import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Files EEGKit writes, read by the tools researchers use: pyedflib (EDF+ and BDF+),
/// edfio (EDF+) and MNE when installed (`make test` installs the first two with pip).
@Suite("Other tools read what EEGKit writes", .serialized)
struct InteropTests {
    static let script = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Tests/interop/read_edf.py").path

    struct Seen: Decodable {
        let labels: [String]
        let rates: [Double]
        let samples: [[Double]]
        let annotations: [[AnnotationField]]
    }

    enum AnnotationField: Decodable {
        case number(Double), text(String), none
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .none } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var text: String? { if case .text(let t) = self { return t } else { return nil } }
        var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    }

    static func readWithOtherTools(_ path: String) throws -> [String: Seen]? {
        guard let data = try runPython(arguments: [Self.script, path]) else { return nil }
        return try JSONDecoder().decode([String: Seen].self, from: data)
    }

    @Test("labels, rate, every sample and every annotation agree", arguments: ["bdf", "edf"])
    func agree(ext: String) throws {
        let path = scratchPath(ext)
        let run = try EEGProcess(["record", "--out", path, "--duration", "3s", "--sim-speed", "max", "--markers-from-stdin"],
                                 stdin: Data("blink now\n".utf8))
        #expect(run.status == 0, "\(run.stderr)")
        guard let tools = try Self.readWithOtherTools(path) else { return }
        #expect(Set(tools.keys).isSuperset(of: ext == "bdf" ? ["pyedflib"] : ["pyedflib", "edfio"]))

        let reader = try EDFReader(path: path)
        var ours = [[Float]](repeating: [], count: reader.channelCount)
        var buffer = [Float](repeating: 0, count: reader.framesPerRecord * reader.channelCount)
        for r in 0..<reader.recordCount {
            _ = try buffer.withUnsafeMutableBufferPointer { try reader.readRecord(r, into: $0) }
            for f in 0..<reader.framesPerRecord { for c in 0..<reader.channelCount { ours[c].append(buffer[f * reader.channelCount + c]) } }
        }
        let annotations = try reader.allAnnotations()
        #expect(annotations.contains { $0.text == "Marker: blink now" })

        for (tool, seen) in tools {
            // Tools differ on whether they list the annotations signal; compare EEG channels.
            let eeg = seen.labels.indices.filter { !seen.labels[$0].contains("Annotations") }
            #expect(eeg.map { seen.labels[$0] } == reader.channelLabels, "\(tool) labels")
            #expect(eeg.allSatisfy { seen.rates[$0] == 250 }, "\(tool) rates")
            var worst = 0.0
            for (c, index) in eeg.enumerated() {
                #expect(seen.samples[index].count == ours[c].count, "\(tool) sample count")
                for (a, b) in zip(seen.samples[index], ours[c]) { worst = max(worst, abs(a - Double(b))) }
            }
            #expect(worst < 1e-3, "\(tool): samples differ from EEGKit's by up to \(worst) µV")
            // Tools may order annotations with equal onsets differently: compare sorted.
            func key(_ onset: Double, _ text: String) -> String { String(format: "%012.6f ", onset) + text }
            let theirs = seen.annotations.compactMap { a -> String? in
                guard a.count == 3, let onset = a[0].number, let text = a[2].text else { return nil }
                return key(onset, text)
            }.sorted()
            #expect(theirs == annotations.map { key($0.onset, $0.text) }.sorted(), "\(tool) annotations")
        }
    }
}
