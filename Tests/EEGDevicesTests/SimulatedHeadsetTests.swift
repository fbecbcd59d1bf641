import EEGCore
import EEGDSP
import Foundation
import Testing
@testable import EEGDevices

@Suite("Simulated headset")
struct SimulatedHeadsetTests {
    func generate(seed: UInt64, frames: Int, blocks: [Int]) -> [Float] {
        var signal = SimulatedSignal(channelCount: 8, sampleRate: 250, seed: seed)
        var out: [Float] = []
        var produced = 0, b = 0
        while produced < frames {
            let n = min(blocks[b % blocks.count], frames - produced)
            var block = [Float](repeating: 0, count: n * 8)
            block.withUnsafeMutableBufferPointer { signal.generate(into: $0) }
            out += block
            produced += n
            b += 1
        }
        return out
    }

    @Test("deterministic from the seed, whatever the block sizes")
    func deterministic() {
        let a = generate(seed: 7, frames: 3000, blocks: [5])
        let b = generate(seed: 7, frames: 3000, blocks: [1, 13, 250, 2])
        let c = generate(seed: 8, frames: 3000, blocks: [5])
        let sameSeedSame = a == b, otherSeedDiffers = a != c
        #expect(sameSeedSame)
        #expect(otherSeedDiffers)
        #expect(a.allSatisfy { $0.isFinite })
    }

    @Test("EEG-like: alpha strongest at the back, blinks at the front, 50 Hz line noise")
    func spectrum() throws {
        let x = generate(seed: 1, frames: 250 * 40, blocks: [250])
        let p = try WelchParameters(sampleRate: 250)
        let welch = WelchEstimator(p)
        func psd(_ channel: Int) throws -> [Double] {
            var out = [Double](repeating: 0, count: p.binCount)
            try x.withUnsafeBufferPointer { s in try out.withUnsafeMutableBufferPointer { try welch.psd(samples: s, channelCount: 8, channel: channel, into: $0) } }
            return out
        }
        let fp1 = try psd(0), o1 = try psd(6)
        func power(_ s: [Double], _ lo: Double, _ hi: Double) -> Double {
            (0..<p.binCount).filter { p.frequency(ofBin: $0) >= lo && p.frequency(ofBin: $0) < hi }.reduce(0) { $0 + s[$1] }
        }
        // The alpha peak of O1 lies between 9 and 11 Hz and stands above its neighbours.
        let peak = (0..<p.binCount).filter { (8.0..<13.0).contains(p.frequency(ofBin: $0)) }.max { o1[$0] < o1[$1] }!
        #expect((9.0...11.0).contains(p.frequency(ofBin: peak)))
        #expect(power(o1, 8, 13) > 2 * power(fp1, 8, 13))
        // Blinks put slow, large deflections on Fp1: far more delta there than at O1.
        #expect(power(fp1, 1, 4) > 5 * power(o1, 1, 4))
        #expect(x.enumerated().filter { $0.offset % 8 == 0 }.map { abs($0.element) }.max()! > 100)
        // Mains: the 49-51 Hz bins stand well above 45-48 Hz.
        #expect(power(o1, 49, 51) > 5 * power(o1, 45, 47))
    }

    @Test("the script: baseline for 60 s, then 30 s focused and relaxed in turn")
    func script() {
        let s = SimulatedSignal()
        #expect(s.state(at: 10) == .baseline)
        #expect(s.state(at: 61) == .focused)
        #expect(s.state(at: 95) == .relaxed)
        #expect(s.state(at: 125) == .focused)
        #expect(s.labels == ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"])
        #expect(SimulatedSignal(channelCount: 10).labels.suffix(2) == ["ch9", "ch10"])
    }

    @Test("as a device: paced by its sample clock, consecutive indices, stops cleanly")
    func pacedDevice() throws {
        let headset = try SimulatedHeadset(channelCount: 4, sampleRate: 500, seed: 3)
        let (producer, consumer) = try FrameRing.create(channels: 4, capacity: 4096)
        let events = DeviceEvents()
        let start = ContinuousClock.now
        try headset.start(into: producer, events: events)
        #expect(headset.state == .streaming)
        var indices: [Int64] = []
        while indices.count < 250 {
            _ = consumer.waitForFrames(1, timeout: .seconds(5))
            consumer.read(upTo: 4096) { frames in indices += Array(frames.first.sampleIndices) + Array(frames.second.sampleIndices) }
        }
        let elapsed = ContinuousClock.now - start
        headset.stop()
        headset.stop()  // idempotent
        #expect(headset.state == .closed)
        #expect(indices.prefix(250) == ArraySlice(0..<250))
        // 250 frames at 500 Hz are 0.5 s of device time: real-time pacing cannot deliver
        // them much sooner (a functional check of pacing, not a speed measurement).
        #expect(elapsed >= .milliseconds(400))
        #expect(events.drain() == [.state(.streaming), .state(.closed)])
        #expect(consumer.producerFinished)
    }

    /// Each block costs the device thread a wake-up; a block is a whole number of frame
    /// periods, at most 1/20 s, never empty.
    @Test("blocks are whole frames lasting at most 1/20 s", arguments: [(100.0, 5), (250.0, 12), (256.0, 12), (500.0, 25), (16_000.0, 800)])
    func blockFrames(rate: Double, frames: Int) {
        #expect(SimulatedHeadset.blockFrames(sampleRate: rate) == frames)
        #expect(Double(frames) / rate <= 0.05)
    }

    @Test("impossible configurations are refused")
    func badConfiguration() {
        #expect(throws: DeviceError.invalidConfiguration("the simulated headset has 1 to 256 channels, not 0")) {
            try SimulatedHeadset(channelCount: 0)
        }
        #expect(throws: DeviceError.self) { try SimulatedHeadset(sampleRate: 10) }
    }
}
