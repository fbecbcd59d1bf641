import EEGCore
import Foundation
import Synchronization

/// Saves the exact bytes a board sent (after USB framing is stripped), so a decoder
/// problem can be reproduced later with `eeg replay --raw`.
///
/// The device thread only copies bytes into a preallocated single-producer/single-
/// consumer byte ring (no lock, no allocation, no I/O); a writer thread drains it to the
/// file. If the disk falls behind by more than the ring (4 MiB, minutes of Cyton data),
/// the overflow is counted, never waited for. A write that fails (disk full, file too
/// large) is recorded as ``failure``; the bytes from then on are counted, not written.
public final class RawCapture: @unchecked Sendable {
    // @unchecked Sendable: the ring's bytes are handed over through the atomic head/tail
    // (release on publish, acquire on read), as in FrameRing.
    public let path: String
    /// The file; nil once ``close()`` closed it.
    private var file: FileDescriptor?
    private let capacity = 1 << 22
    private let bytes: UnsafeMutablePointer<UInt8>
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)
    private let overflow = Atomic<Int>(0)
    private let written = Atomic<Int>(0)
    private let unwritten = Atomic<Int>(0)
    private let failureState = Mutex<WriteError?>(nil)
    private let running = Atomic<Bool>(true)
    private let writerDone = DispatchSemaphore(value: 0)

    public init(path: String, overwrite: Bool = false) throws(DeviceError) {
        self.path = path
        // O_NOFOLLOW: an overwrite never writes through a symlink to another file.
        do {
            file = try FileDescriptor(opening: path, [.writeOnly, .create, .noFollow, overwrite ? .truncate : .exclusive])
        } catch {
            if error == .exists { throw .invalidConfiguration("\(path) already exists; use --force to overwrite it") }
            throw .serial(errno: error.code, operation: "creating the raw capture", path: path)
        }
        bytes = .allocate(capacity: capacity)
        let thread = Thread { [self] in drain() }
        thread.name = "eeg-raw-capture"
        thread.start()
    }

    deinit {
        close()
        bytes.deallocate()
    }

    /// Bytes that did not fit (the disk was too slow).
    public var overflowBytes: Int { overflow.load(ordering: .relaxed) }

    /// Bytes written to the file so far.
    public var writtenBytes: Int { written.load(ordering: .acquiring) }

    /// The first write failure, if any, with how many bytes it cost in its `outcome`.
    /// After a failure nothing more is written, so the file is a clean prefix of the
    /// stream; every byte after it is counted in ``unwrittenBytes``.
    public var failure: WriteError? {
        failureState.withLock { state in
            state.map { error in
                var reported = error
                let lost = unwritten.load(ordering: .acquiring)
                reported.outcome = "\(lost) bytes not saved; \(path) holds the first \(writtenBytes) bytes"
                return reported
            }
        }
    }

    /// Bytes lost to a write failure (see ``failure``).
    public var unwrittenBytes: Int { unwritten.load(ordering: .acquiring) }

    /// Copies `data` in. Called from the device's receive thread: never blocks.
    public func append(_ data: UnsafeRawBufferPointer) {
        let h = head.load(ordering: .relaxed)
        let free = capacity - (h - tail.load(ordering: .acquiring))
        let n = min(free, data.count)
        for i in 0..<n { bytes[(h + i) & (capacity - 1)] = data[i] }
        head.store(h + n, ordering: .releasing)
        if n < data.count { overflow.add(data.count - n, ordering: .relaxed) }
    }

    private func drain() {
        defer { writerDone.signal() }
        while true {
            let stopping = !running.load(ordering: .acquiring)
            let t = tail.load(ordering: .relaxed)
            let h = head.load(ordering: .acquiring)
            if h > t {
                let start = t & (capacity - 1)
                let n = min(h - t, capacity - start)
                writeOut(bytes + start, count: n)
                tail.store(t + n, ordering: .releasing)
                continue
            }
            if stopping { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Writes `count` bytes, or counts them as unwritten once a write has failed.
    private func writeOut(_ start: UnsafeMutablePointer<UInt8>, count: Int) {
        var done = 0
        if failureState.withLock({ $0 == nil }) {
            do {
                try file?.write(all: UnsafeRawBufferPointer(start: start, count: count), written: &done)
            } catch {
                failureState.withLock { $0 = WriteError(path: path, operation: "writing the raw capture", errno: error.code) }
            }
            written.add(done, ordering: .releasing)
        }
        if done < count { unwritten.add(count - done, ordering: .releasing) }
    }

    /// Writes what is buffered and closes the file. Idempotent.
    public func close() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        writerDone.wait()
        do {
            try file?.synchronize()
        } catch {
            failureState.withLock { if $0 == nil { $0 = WriteError(path: path, operation: "flushing the raw capture to disk", errno: error.code) } }
        }
        file.take()?.close()
    }
}

/// A raw Cyton capture played as a device: the bytes go through the decoder (exactly
/// as they did live) and the frames into the ring at the Cyton's sample rate
/// (`speed` × real time, or as fast as the consumer takes them).
public final class RawCytonReplay: EEGDevice, @unchecked Sendable {
    public let name: String
    public let daisy: Bool
    public let speed: Double
    public var channelCount: Int { daisy ? 16 : 8 }
    public var sampleRate: Double { daisy ? Cyton.daisySampleRate : Cyton.sampleRate }
    public var channelLabels: [String] { (1...channelCount).map { "ch\($0)" } }
    public let fullScale = Cyton.fullScale(gain: Cyton.defaultGain)
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
    }

    public var state: DeviceState { streaming.load(ordering: .acquiring) ? .streaming : .closed }

    public func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        streaming.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            var decoder = CytonDecoder(daisy: daisy)
            let clock = ContinuousClock()
            let start = clock.now
            data.withUnsafeBytes { all in
                var offset = 0
                while offset < all.count && running.load(ordering: .acquiring) {
                    let end = min(offset + 330, all.count)
                    decoder.decode(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { event in
                        switch event {
                        case .frame(let index, let samples, _):
                            if speed.isFinite {
                                let due = start.advanced(by: .seconds(Double(index) / sampleRate / speed))
                                let wait = due - clock.now
                                if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
                            } else {
                                while producer.freeFrameCount < 1 && running.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.0002) }
                            }
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
