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
            throw .serial(errno: error, operation: "creating the raw capture", path: path)
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
                failureState.withLock { $0 = WriteError(path: path, operation: "writing the raw capture", errno: error) }
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
            failureState.withLock { if $0 == nil { $0 = WriteError(path: path, operation: "flushing the raw capture to disk", errno: error) } }
        }
        file.take()?.close()
    }
}
