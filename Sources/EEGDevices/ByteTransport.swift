/// A byte pipe to a board: the serial tty, or FTDI over libusb. The Cyton driver speaks
/// its protocol through this and knows nothing of either.
///
/// Threading: `write`, `read`, `purge` and `close` are called from the driver's thread;
/// after `startReceiving`, the transport calls `onBytes` from its own thread until
/// `stopReceiving` returns (after which it never calls again).
public protocol ByteTransport: AnyObject {
    /// A name for messages, e.g. "/dev/ttyUSB0" or "Cyton dongle DM00ABCD on bus 1 address 4".
    var name: String { get }
    func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError)
    /// Reads what is available, waiting up to `timeout` for the first byte; returns 0 on
    /// timeout.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int
    /// Throws away received bytes not yet read (never unsent output: a command just
    /// written must still reach the board).
    func purge() throws(DeviceError)
    /// Delivers incoming bytes as they arrive. `onEnd` is called once if the stream ends
    /// by itself (unplugged: `.disconnected`; another failure).
    func startReceiving(onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError)
    func stopReceiving()
    /// Releases the device. Safe to call more than once.
    func close()
}
