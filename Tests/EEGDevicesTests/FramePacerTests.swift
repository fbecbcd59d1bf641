import EEGCore
import Foundation
import Synchronization
import Testing
@testable import EEGDevices

@Suite("Frame pacer")
struct FramePacerTests {
    @Test("at infinite speed it waits for room in the ring, and gives up when the device stops")
    func waitsForRoom() throws {
        let (producer, consumer) = try FrameRing.create(channels: 1, capacity: 16)
        let full = [Float](repeating: 1, count: 16)
        full.withUnsafeBufferPointer { producer.push($0, firstSampleIndex: 0) }
        #expect(producer.freeFrameCount == 0)
        let pacer = FramePacer(sampleRate: 250, speed: .infinity)
        // No room and the device stops after a few checks: returns, having checked.
        var checks = 0
        pacer.waitForTurn(played: 16, frames: 4, producer: producer) { checks += 1; return checks < 5 }
        #expect(checks == 5)
        // Room appears (a consumer reads on another thread): returns while still running.
        let reader = Thread { consumer.read(upTo: 8) { _ in } }
        reader.start()
        pacer.waitForTurn(played: 16, frames: 4, producer: producer) { true }
        #expect(producer.freeFrameCount >= 4)
        #expect(consumer.droppedFrameCount == 0)
    }

    @Test("at a finite speed a frame already due is released at once, whatever the ring holds")
    func dueFrameReleased() throws {
        let (producer, _) = try FrameRing.create(channels: 1, capacity: 16)
        let full = [Float](repeating: 1, count: 16)
        full.withUnsafeBufferPointer { producer.push($0, firstSampleIndex: 0) }
        let pacer = FramePacer(sampleRate: 250, speed: 20)
        // Frame 0 is due at the start; the ring being full is not a reason to wait at a
        // paced speed (the ring counts the drop instead), and `isRunning` is not asked.
        var checks = 0
        pacer.waitForTurn(played: 0, frames: 4, producer: producer) { checks += 1; return true }
        #expect(checks == 0)
    }
    /// A lower bound only: a loaded machine may take longer, never shorter. Frame n is due
    /// n / (rate × speed) after the pacer starts, so having released 2500 frames of 250 Hz
    /// at 1000× (the wait for frame 2500 returned) takes at least 10 ms of wall time.
    @Test("at speed 1000 and 250 Hz, pacing 2500 frames takes at least 10 ms of wall time")
    func finiteSpeedWaits() throws {
        let (producer, _) = try FrameRing.create(channels: 1, capacity: 4096)
        let clock = ContinuousClock()
        let before = clock.now
        let pacer = FramePacer(sampleRate: 250, speed: 1000)
        var checks = 0
        for played in stride(from: Int64(0), through: 2500, by: 25) {
            pacer.waitForTurn(played: played, frames: 25, producer: producer) { checks += 1; return true }
        }
        let elapsed = clock.now - before
        #expect(elapsed >= .milliseconds(10), "2500 frames at 250 Hz × 1000 released after only \(elapsed)")
        #expect(checks == 0, "a paced wait does not ask whether the device runs")
    }

    @Test("a long paced wait (frame due in hours) ends at the first check once the device stops")
    func longWaitStops() throws {
        let (producer, _) = try FrameRing.create(channels: 1, capacity: 16)
        // 250 Hz at 0.001 × real time: frame 1000 is due 4000 s from now.
        let pacer = FramePacer(sampleRate: 250, speed: 0.001)
        var checks = 0
        pacer.waitForTurn(played: 1000, frames: 1, producer: producer) { checks += 1; return checks < 3 }
        #expect(checks == 3, "asked \(checks) times before returning")
    }

    @Test("at infinite speed it does not wait while the ring has room")
    func infiniteSpeedWithRoomDoesNotWait() throws {
        let (producer, _) = try FrameRing.create(channels: 1, capacity: 64)
        let pacer = FramePacer(sampleRate: 250, speed: .infinity)
        // The wait loop asks `isRunning` once per check; with room it must not check at all.
        var checks = 0
        for played in stride(from: Int64(0), to: 100_000, by: 32) {
            pacer.waitForTurn(played: played, frames: 32, producer: producer) { checks += 1; return true }
        }
        #expect(producer.freeFrameCount == 64)
        #expect(checks == 0, "waited \(checks) times with an empty ring")
    }
}
