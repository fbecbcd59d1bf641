import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// `eeg record --out s.xdf` killed with SIGKILL: every chunk written before is whole
/// (each is one write), so the file without its footers still reads — every frame shown
/// on standard output is in it, exactly as the headset made it.
@Suite("XDF: SIGKILL mid-recording", .serialized)
struct XDFCrashTests {
    @Test("killed after 3 s of device time: EEGKit reads every frame shown, bit for bit, and the start marker")
    func killed() throws {
        let path = scratchPath("xdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try RunningEEG(["record", "--out", path, "--sim-speed", "20", "--emit", "samples", "--format", "csv"])
        run.wait(for: "3 s of device time") { deviceFramesReached(csv: run.stdout) >= 750 || run.hasExited }
        run.signal(SIGKILL)
        let ended = run.finish()
        try #require(ended.reason == .uncaughtSignal, "eeg record ended by itself (\(ended.status)): \(run.stderr)")
        let shown = Int(deviceFramesReached(csv: run.stdout))
        var source = try XDFFrameReader(path: path)
        let stored = try #require(source.storedFrameCount)
        #expect(stored >= shown, "\(stored) frames in the file, \(shown) shown")
        var frames: [Float] = [], chunk: [Float] = []
        while try source.nextChunk(into: &chunk) > 0 { frames += chunk }
        #expect(frames.count == stored * 8)
        #expect(frames.map(\.bitPattern) == simulatedFrames(stored).map(\.bitPattern))
        var annotations: [Annotation] = []
        try source.forEachAnnotation { annotations.append($0) }
        #expect(annotations.first.map { if case .recordingStarted = $0.kind { true } else { false } } == true)
        #expect(source.recordGaps.isEmpty)
    }
}
