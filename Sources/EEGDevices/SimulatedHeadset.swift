import EEGCore
import Foundation
import Synchronization

/// The built-in simulated headset: ``SimulatedSignal`` paced at real time by its own
/// sample clock, pushed into the ring in blocks of ``blockFrames(sampleRate:)`` frames,
/// each released when its last frame is due (frame n is due at start + n / rate), as a
/// device delivers what it has sampled. Runs on its own thread; `speed` > 1 runs faster
/// than real time, `.infinity` as fast as the consumer allows (for tests).
public final class SimulatedHeadset: EEGDevice, @unchecked Sendable {
    // @unchecked Sendable: configuration is immutable; the running state is in Atomics
    // and the signal generator is only touched by the device thread.
    public let layout: StreamLayout
    public let seed: UInt64
    public let speed: Double
    public var name: String { layout.source }

    private var signal: SimulatedSignal
    private let running = Atomic<Bool>(false)
    private let stateValue = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)
    private static let states: [DeviceState] = [.closed, .streaming, .stopping]

    public init(channelCount: Int = 8, sampleRate: Double = 250, seed: UInt64 = 1, speed: Double = 1) throws(DeviceError) {
        guard (1...256).contains(channelCount) else {
            throw .invalidConfiguration("the simulated headset has 1 to 256 channels, not \(channelCount)")
        }
        guard sampleRate >= 100, sampleRate <= 16_000 else {
            throw .invalidConfiguration("the simulated headset samples at 100 to 16000 Hz, not \(sampleRate)")
        }
        guard speed > 0 else { throw .invalidConfiguration("speed must be positive") }
        self.seed = seed
        self.speed = speed
        signal = SimulatedSignal(channelCount: channelCount, sampleRate: sampleRate, seed: seed)
        layout = StreamLayout(labels: signal.labels, sampleRate: sampleRate, fullScale: Cyton.fullScale(gain: Cyton.defaultGain),
                              source: "simulated headset (\(channelCount) ch, \(sampleRate) Hz, seed \(seed))")
    }

    public var state: DeviceState { Self.states[stateValue.load(ordering: .acquiring)] }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard producer.channelCount == channelCount else {
            throw .invalidConfiguration("ring has \(producer.channelCount) channels, the headset \(channelCount)")
        }
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stateValue.store(1, ordering: .releasing)
        events.post(.state(.streaming))
        let thread = Thread { [self] in
            run(producer)
            stateValue.store(0, ordering: .releasing)
            events.post(.state(.closed))
            producer.finish()
            finished.signal()
        }
        thread.name = "eeg-sim"
        thread.start()
    }

    /// Frames per block at `sampleRate`: a whole number of frames lasting at most
    /// 1/20 s (12 at 250 Hz), at least one. Each block costs the device thread one
    /// wake-up, so the block length sets most of what the simulator costs at real time;
    /// 1/20 s is well inside the live analysis's 0.25 s hop.
    public static func blockFrames(sampleRate: Double) -> Int { max(1, Int(sampleRate / 20)) }

    private func run(_ producer: FrameRing.Producer) {
        let blockFrames = Self.blockFrames(sampleRate: sampleRate)
        let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channelCount)
        block.initialize(repeating: 0)
        defer { block.deallocate() }
        let pacer = FramePacer(sampleRate: sampleRate, speed: speed)
        while running.load(ordering: .acquiring) {
            let index = signal.nextSampleIndex
            // Released when its last frame is due: whole frame periods from the start,
            // so the pace never drifts, however the blocks are cut.
            pacer.waitForTurn(played: index + Int64(blockFrames - 1), frames: blockFrames, producer: producer) {
                running.load(ordering: .acquiring)
            }
            signal.generate(into: block)
            producer.push(UnsafeBufferPointer(block), firstSampleIndex: index)
        }
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        stateValue.store(2, ordering: .releasing)
        finished.wait()
    }
}
