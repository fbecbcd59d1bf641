import EEGCore
import Foundation
import Synchronization

/// A raw Cyton capture played as a device: the bytes go through the decoder (exactly
/// as they did live) and the frames into the ring at the Cyton's sample rate
/// (`speed` × real time, or as fast as the consumer takes them).
///
/// The capture is streamed from its open descriptor a chunk at a time: memory is one
/// chunk (``chunkBytes``) whatever the capture's length. A read that fails part-way
/// ends the replay; ``failure`` then holds the ``ReadError`` (the file's fault, not a
/// device's), which the session rethrows once the frames before it are out.
public final class RawCytonReplay: EEGDevice, @unchecked Sendable {
    public let name: String
    public let daisy: Bool
    public let speed: Double
    public let layout: StreamLayout
    /// Bytes read from the capture at a time: the replay's whole buffer.
    public let chunkBytes: Int
    private let path: String
    /// Read only by the replay thread; closed when the replay goes away.
    private let file: FileDescriptor
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let streaming = Atomic<Bool>(false)
    private let readFailure = Mutex<ReadError?>(nil)

    /// Replays the capture open in `file` (read from its current position); `path` names
    /// it in messages. `chunkBytes` (at least 1) bounds the memory the replay holds.
    public init(file: consuming FileDescriptor, path: String, daisy: Bool = false, speed: Double = 1, chunkBytes: Int = 1 << 16) {
        self.file = file
        self.path = path
        self.daisy = daisy
        self.speed = speed
        self.chunkBytes = max(1, chunkBytes)
        name = "raw Cyton capture \(path)"
        layout = Cyton.layout(daisy: daisy, source: name)
    }

    /// Opens the capture at `path`. Throws the ``Errno`` of the open: `ENOENT`, `EACCES`,
    /// or `EISDIR` for a directory (the library maps these to "no input" errors).
    public convenience init(path: String, daisy: Bool = false, speed: Double = 1) throws(Errno) {
        self.init(file: try FileDescriptor(readingFile: path), path: path, daisy: daisy, speed: speed)
    }

    public var state: DeviceState { streaming.load(ordering: .acquiring) ? .streaming : .closed }

    /// The ``ReadError`` that ended the replay early, or nil.
    public var failure: (any Error)? { readFailure.withLock { $0 } }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        streaming.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            do throws(Errno) {
                try play(into: producer, events: events)
            } catch {
                readFailure.withLock { $0 = ReadError(path: path, operation: "reading the capture", errno: error) }
            }
            streaming.store(false, ordering: .releasing)
            producer.finish()
            finished.signal()
        }
        thread.start()
    }

    /// Reads the capture a chunk at a time into one buffer and decodes it in pieces of
    /// 330 bytes (ten packets, as a serial read delivers them) until the end or a stop.
    private func play(into producer: FrameRing.Producer, events: DeviceEvents) throws(Errno) {
        var decoder = CytonDecoder(daisy: daisy)
        let pacer = FramePacer(sampleRate: sampleRate, speed: speed)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 1)
        defer { chunk.deallocate() }
        while running.load(ordering: .acquiring) {
            let count = try file.readSome(into: chunk)
            if count == 0 { return }
            var offset = 0
            while offset < count && running.load(ordering: .acquiring) {
                let end = min(offset + 330, count)
                decoder.decode(UnsafeRawBufferPointer(rebasing: chunk[offset..<end])) { event in
                    switch event {
                    case .frame(let index, let samples, _):
                        pacer.waitForTurn(played: index, frames: 1, producer: producer) { running.load(ordering: .acquiring) }
                        producer.push(frame: samples, sampleIndex: index)
                    case .gap(let gap): events.post(.gap(gap))
                    case .skipped(let bytes): events.post(.skippedBytes(bytes))
                    }
                }
                offset = end
            }
        }
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
