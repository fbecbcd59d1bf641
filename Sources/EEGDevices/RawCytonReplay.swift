import EEGCore
import Foundation
import Synchronization

/// A raw Cyton capture played as a device: the bytes go through the decoder (exactly
/// as they did live) and the frames into the ring at the Cyton's sample rate
/// (`speed` × real time, or as fast as the consumer takes them).
public final class RawCytonReplay: EEGDevice, @unchecked Sendable {
    public let name: String
    public let daisy: Bool
    public let speed: Double
    public let layout: StreamLayout
    private let data: Data
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let streaming = Atomic<Bool>(false)

    public init(path: String, daisy: Bool = false, speed: Double = 1) throws(DeviceError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .notFound("raw capture \(path)") }
        self.data = data
        self.daisy = daisy
        self.speed = speed
        name = "raw Cyton capture \(path)"
        layout = Cyton.layout(daisy: daisy, source: name)
    }

    public var state: DeviceState { streaming.load(ordering: .acquiring) ? .streaming : .closed }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        streaming.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            var decoder = CytonDecoder(daisy: daisy)
            let pacer = FramePacer(sampleRate: sampleRate, speed: speed)
            data.withUnsafeBytes { all in
                var offset = 0
                while offset < all.count && running.load(ordering: .acquiring) {
                    let end = min(offset + 330, all.count)
                    decoder.decode(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { event in
                        switch event {
                        case .frame(let index, let samples, _):
                            pacer.waitForTurn(played: index, frames: 1, producer: producer) { running.load(ordering: .acquiring) }
                            producer.push(frame: samples, sampleIndex: index)
                        case .gap(let count, let before): events.post(.gap(frames: count, beforeSampleIndex: before))
                        case .skipped(let bytes): events.post(.skippedBytes(bytes))
                        }
                    }
                    offset = end
                }
            }
            streaming.store(false, ordering: .releasing)
            producer.finish()
            finished.signal()
        }
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
