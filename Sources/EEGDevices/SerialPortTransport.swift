#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The Cyton's dongle through the kernel's ftdi_sio driver: a tty in raw mode, 115200
/// baud, 8N1, no flow control, locked for exclusive use.
public final class SerialPortTransport: ByteTransport, @unchecked Sendable {
    // @unchecked Sendable: `fd` is fixed after init; the receive thread is started and
    // joined under the protocol in ByteTransport (stopReceiving waits for it).
    public let name: String
    private let fd: Int32
    private let receiving = Atomic<Bool>(false)
    private let receiverStarted = Atomic<Bool>(false)
    private let receiverDone = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)

    /// Opens and configures `path`.
    /// - Throws: ``DeviceError/notFound(_:)``, ``DeviceError/permissionDenied(_:)``,
    ///   ``DeviceError/busy(_:)`` or ``DeviceError/serial(errno:operation:path:)``.
    public init(path: String, baudRate: Int = 115_200) throws(DeviceError) {
        name = path
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENXIO, ENODEV: throw .notFound("serial port \(path)")
            case EACCES, EPERM: throw .permissionDenied(path)
            case EBUSY: throw .busy(path)
            default: throw .serial(errno: code, operation: "open", path: path)
            }
        }
        // One owner at a time: a second EEGKit, or a GUI that locks too, gets "busy".
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            Glibc.close(fd)
            throw .busy(path)
        }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .serial(errno: code, operation: "tcgetattr (is it a serial port?)", path: path)
        }
        cfmakeraw(&t)
        let speed: speed_t
        switch baudRate {
        case 115_200: speed = speed_t(B115200)
        case 230_400: speed = speed_t(B230400)
        case 9_600: speed = speed_t(B9600)
        default:
            Glibc.close(fd)
            throw .invalidConfiguration("unsupported baud rate \(baudRate)")
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
            let code = errno
            Glibc.close(fd)
            throw .serial(errno: code, operation: "tcsetattr (115200 8N1 raw)", path: path)
        }
        self.fd = fd
    }

    deinit { close() }

    public func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        var offset = 0
        let deadline = ContinuousClock.now + timeout
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n > 0 { offset += n; continue }
            let code = errno
            if n < 0 && code != EAGAIN && code != EINTR { throw error(code, "write") }
            guard ContinuousClock.now < deadline else { throw .timeout("writing to \(name)") }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, 10)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let ready = poll(&p, 1, ms)
        if ready < 0 && errno != EINTR { throw error(errno, "poll") }
        if ready <= 0 { return 0 }
        let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if n > 0 { return n }
        if n == 0 || p.revents & Int16(POLLHUP) != 0 { throw .disconnected(name) }
        let code = errno
        if code == EAGAIN || code == EINTR { return 0 }
        throw error(code, "read")
    }

    public func purge() throws(DeviceError) {
        guard tcflush(fd, TCIFLUSH) == 0 else { throw error(errno, "tcflush") }
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
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }

    private func error(_ code: Int32, _ operation: String) -> DeviceError {
        switch code {
        case EIO, ENXIO, ENODEV: return .disconnected(name)
        default: return .serial(errno: code, operation: operation, path: name)
        }
    }
}
