import Foundation
import Testing
import TestSupport
@testable import EEGFormats

/// Every input a fuzz target ever crashed on (Fuzz/Regressions/<target>/) is replayed here
/// through the same code and the same checks, so a fixed finding stays fixed without
/// libFuzzer. `Fuzz/run` also feeds these files to the fuzzers as seeds.
@Suite("fuzz findings stay fixed")
struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [URL] {
        let directory = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("the TAL parser gives finite times for every finding")
    func tal() throws {
        let files = Self.inputs("FuzzTAL")
        try #require(!files.isEmpty, "no regression inputs found")
        for file in files {
            let bytes = try Data(contentsOf: file)
            var times: [Double] = []
            do {
                try bytes.withUnsafeBytes { raw in
                    try TAL.scan(raw, timekeeping: { times.append($0) }) { onset, duration, _ in
                        times.append(onset)
                        if let duration { times.append(duration) }
                    }
                }
            } catch is TAL.Malformed {
                // refusing the list is the fix; what was delivered before it is checked below
            }
            #expect(times.allSatisfy { $0.isFinite && $0 >= 0 }, "\(file.lastPathComponent): times \(times)")
        }
    }

    @Test("the EDF/BDF reader rejects each finding with an EDFError or reads it finite")
    func edf() throws {
        let files = Self.inputs("FuzzEDF")
        try #require(!files.isEmpty, "no regression inputs found")
        for file in files {
            let reader: EDFReader
            do {
                reader = try EDFReader(path: file.path)
            } catch {
                continue  // a typed rejection is the fix for most findings
            }
            let samples = reader.framesPerRecord * reader.channelCount
            try #require(samples >= 1 && samples <= reader.fileSize / 2, "\(file.lastPathComponent): \(samples) samples per record")
            let frames = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples)
            defer { frames.deallocate() }
            for index in 0..<reader.recordCount {
                guard let start = try? reader.readRecord(index, into: frames) else { break }
                #expect(start.isFinite, "\(file.lastPathComponent): record \(index) starts at \(start)")
                #expect(frames.allSatisfy { $0.isFinite }, "\(file.lastPathComponent): record \(index) has a non-finite sample")
            }
            try? reader.forEachAnnotation { annotation in
                #expect(annotation.onset.isFinite && (annotation.duration?.isFinite ?? true), "\(file.lastPathComponent): \(annotation)")
            }
        }
    }
}
