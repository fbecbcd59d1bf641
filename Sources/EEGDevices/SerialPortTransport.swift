import Glibc
import EEGCore
import Foundation
import Synchronization

/// The Cyton's dongle through the kernel's ftdi_sio driver: a tty in raw mode, 115200
/// baud, 8N1, no flow control, locked for exclusive use.
public final class SerialPortTransport: ByteTransport, @unchecked Sendable {
    // @unchecked Sendable: `file` is set in init and taken only by close(), after the
    // receive thread is joined (the protocol in ByteTransport: stopReceiving waits for it).
    public let name: String
    private var file: FileDescriptor?
    private let receiving = Atomic<Bool>(false)
    private let receiverStarted = Atomic<Bool>(false)
    private let receiverDone = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)

    /// Opens and configures `path`.
    /// - Throws: ``DeviceError/notFound(_:)``, ``DeviceError/permissionDenied(_:)``,
    ///   ``DeviceError/busy(_:)`` or ``DeviceError/serial(errno:operation:path:)``.
    public init(path: String, baudRate: Int = 115_200) throws(DeviceError) {
        name = path
        let port: FileDescriptor
        do {
            port = try FileDescriptor(opening: path, [.readWrite, .noControllingTerminal, .nonBlocking])
        } catch {
            switch error.code {
            case ENOENT, ENXIO, ENODEV: throw .notFound("serial port \(path)")
            case EACCES, EPERM: throw .permissionDenied(path)
            case EBUSY: throw .busy(path)
            default: throw .serial(errno: error, operation: "open", path: path)
            }
        }
        // One owner at a time: a second EEGKit, or a GUI that locks too, gets "busy".
        do { try port.lockExclusively() } catch { throw .busy(path) }
        try Self.configure(port.rawValue, baudRate: baudRate, path: path)
        file = consume port
    }

    /// Raw mode, `baudRate`, 8N1, no flow control, reads that return at once.
    private static func configure(_ fd: Int32, baudRate: Int, path: String) throws(DeviceError) {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            throw .serial(errno: Errno(errno), operation: "tcgetattr (is it a serial port?)", path: path)
        }
        cfmakeraw(&t)
        let speed: speed_t
        switch baudRate {
        case 115_200: speed = speed_t(B115200)
        case 230_400: speed = speed_t(B230400)
        case 9_600: speed = speed_t(B9600)
        default: throw .invalidConfiguration("unsupported baud rate \(baudRate)")
        }
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
        t.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD) | tcflag_t(CS8)
        t.c_cflag &= ~(tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        t.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            throw .serial(errno: Errno(errno), operation: "tcsetattr (115200 8N1 raw)", path: path)
        }
    }

    deinit { close() }

    public func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        var offset = 0
        let deadline = ContinuousClock.now + timeout
        while offset < bytes.count {
            let taken = bytes.withUnsafeBytes { all in
                Result { () throws(Errno) in try file?.writeSome(UnsafeRawBufferPointer(rebasing: all[offset...])) ?? 0 }
            }
            switch taken {
            case .failure(let failure): throw error(failure, "write")
            case .success(let n) where n > 0: offset += n; continue
            case .success: break
            }
            guard ContinuousClock.now < deadline else { throw .timeout("writing to \(name)") }
            var hangUp = false
            _ = try? file?.wait(for: .writable, milliseconds: 10, hangUp: &hangUp)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        let milliseconds = Int32(timeout.whole(unitsPerSecond: 1000, clampedTo: 0...Int64(Int32.max)))
        var hangUp = false
        do {
            guard try file?.wait(for: .readable, milliseconds: milliseconds, hangUp: &hangUp) == true else { return 0 }
        } catch {
            throw self.error(error, "poll")
        }
        let n: Int
        do {
            n = try file?.readSome(into: buffer) ?? 0
        } catch {
            if hangUp { throw .disconnected(name) }
            if error == .wouldBlock { return 0 }
            throw self.error(error, "read")
        }
        if n == 0 { throw .disconnected(name) }
        return n
    }

    public func purge() throws(DeviceError) {
        guard let fd = file?.rawValue, tcflush(fd, TCIFLUSH) == 0 else { throw error(Errno(errno), "tcflush") }
    }

    public func startReceiving(onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
        guard !receiverStarted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        receiving.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            // One buffer for the life of the stream: no allocation per read.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
            defer {
                buffer.deallocate()
                receiverDone.signal()
            }
            while receiving.load(ordering: .acquiring) {
                do {
                    let n = try read(into: buffer, timeout: .milliseconds(50))
                    if n > 0 { onBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                } catch let error as DeviceError {
                    if receiving.exchange(false, ordering: .acquiringAndReleasing) { onEnd(error) }
                    return
                } catch {
                    return
                }
            }
        }
        thread.name = "eeg-serial-rx"
        thread.start()
    }

    public func stopReceiving() {
        // The thread signals once when it exits, whichever way: join it exactly once.
        receiving.store(false, ordering: .releasing)
        if receiverStarted.exchange(false, ordering: .acquiringAndReleasing) {
            receiverDone.wait()
        }
    }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopReceiving()
        file.take()?.close()  // releases the lock
    }

    private func error(_ failure: Errno, _ operation: String) -> DeviceError {
        switch failure.code {
        case EIO, ENXIO, ENODEV: return .disconnected(name)
        default: return .serial(errno: failure, operation: operation, path: name)
        }
    }
}
