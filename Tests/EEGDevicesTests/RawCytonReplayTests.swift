import EEGCore
import Foundation
import Testing
@testable import EEGDevices

/// The raw capture replay streams its file a chunk at a time (it used to load the whole
/// capture into memory) and reports open failures by `errno`.
@Suite("Raw Cyton capture replay from its file")
struct RawCytonReplayTests {
    private func capture(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).raw").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func replay(_ path: String, chunkBytes: Int, frames: Int) throws -> (frames: [(Int64, [Float])], events: [DeviceEvent]) {
        let replay = RawCytonReplay(file: try FileDescriptor(readingFile: path), path: path, speed: .infinity, chunkBytes: chunkBytes)
        #expect(replay.chunkBytes == chunkBytes)
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        let events = DeviceEvents()
        try replay.start(into: producer, events: events)
        let got = collect(consumer, frames)
        replay.stop()
        return (got, events.drain())
    }

    @Test("chunks that split packets anywhere (7 bytes, 1 byte, 64 KiB) give every frame exactly", arguments: [7, 1, 1 << 16])
    func chunkedReplay(chunkBytes: Int) throws {
        // 500 packets, 3 bytes of garbage, then 100 more with a jump in sample numbers.
        let stream = scriptedStream(500) + [0x13, 0x37, 0x00] + scriptedStream(100, firstNumber: 510)
        let path = try capture(stream)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (frames, events) = try replay(path, chunkBytes: chunkBytes, frames: 600)
        try #require(frames.count == 600)
        for i in 0..<500 { #expect(frames[i].1 == expectedMicrovolts(i), "frame \(i)") }
        for i in 0..<100 { #expect(frames[500 + i].1 == expectedMicrovolts(i), "frame \(500 + i)") }
        #expect(frames.map(\.0) == (0..<500).map(Int64.init) + (510..<610).map(Int64.init))
        // Garbage is reported as it is skipped (in pieces when a chunk ends inside it).
        #expect(events.reduce(0) { total, event in if case .skippedBytes(let n) = event { total + n } else { total } } == 3)
        #expect(events.contains(.gap(FrameGap(frames: 10, beforeSampleIndex: 510))))
    }

    @Test("opening reports errno by kind: a missing file, a directory")
    func openFailures() throws {
        #expect(throws: Errno.noSuchFile) { _ = try RawCytonReplay(path: "/nonexistent/eegkit.raw") }
        #expect(throws: Errno.isDirectory) { _ = try RawCytonReplay(path: FileManager.default.temporaryDirectory.path) }
    }

    @Test("a read that fails part-way ends the replay with a read error naming the file and reason, not a device event")
    func readFailure() throws {
        let path = try capture(scriptedStream(10))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let replay = RawCytonReplay(file: try FileDescriptor(opening: path, .writeOnly), path: path, speed: .infinity)
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 64)
        let events = DeviceEvents()
        try replay.start(into: producer, events: events)
        let deadline = ContinuousClock.now + .seconds(10)
        while !consumer.producerFinished && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        replay.stop()
        #expect(consumer.producerFinished)
        #expect(events.drain().isEmpty)
        let failure = try #require(replay.failure as? ReadError)
        #expect(failure == ReadError(path: path, operation: "reading the capture", errno: Errno(EBADF)))
        #expect(failure.description == "\(path): reading the capture failed: Bad file descriptor (errno 9)")
    }
}
