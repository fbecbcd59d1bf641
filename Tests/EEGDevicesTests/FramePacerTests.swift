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
}
