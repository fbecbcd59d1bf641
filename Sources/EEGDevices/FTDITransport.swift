import Foundation

/// The FT231X in the Cyton's dongle, driven directly over libusb (no ftdi_sio): vendor
/// control requests set it up as a 115200 8N1 serial link with no flow control, DTR and
/// RTS high and a 1 ms latency timer; bulk IN data comes in 64-byte USB packets that each
/// start with 2 modem-status bytes, which are stripped here.
final class FTDITransport: ByteTransport, @unchecked Sendable {
    // @unchecked Sendable: the handle is thread-safe; `stream` and `pending` are used by
    // the driver's thread only (the stream's callbacks touch neither).
    static let interface: Int32 = 0
    static let inEndpoint: UInt8 = 0x81
    static let outEndpoint: UInt8 = 0x02
    static let packetSize = 64

    /// The control requests sent when the transport opens, in order (request, value,
    /// index, what). Fixtures/usb/generate.py writes the same sequence into its
    /// captures.
    static let setup: [(request: UInt8, value: UInt16, index: UInt16, what: String)] = [
        (0x00, 0x0000, 1, "resetting the FTDI chip"),
        (0x09, 0x0001, 1, "setting the FTDI latency timer to 1 ms"),
        (0x03, 0x001A, 0, "setting 115200 baud (divisor 26 of 3 MHz)"),
        (0x04, 0x0008, 1, "setting 8 data bits, no parity, 1 stop bit"),
        (0x02, 0x0000, 1, "turning flow control off"),
        (0x01, 0x0101, 1, "raising DTR"),
        (0x01, 0x0202, 1, "raising RTS"),
        (0x00, 0x0001, 1, "purging the FTDI receive buffer"),
        (0x00, 0x0002, 1, "purging the FTDI transmit buffer"),
    ]

    let name: String
    private let context: USBContext
    private let handle: USBHandle
    private var stream: USBBulkInStream?
    private var pending: [UInt8] = []

    convenience init(device: USBDeviceInfo, name: String) throws(DeviceError) {
        let context = try USBContext()
        let handle = try context.open(bus: device.bus, address: device.address, interface: Self.interface, name: name)
        try self.init(context: context, handle: handle, name: name)
    }

    /// Sets up the FTDI chip on an opened, claimed `handle`, which the transport then
    /// owns (closed here if the setup fails).
    init(context: USBContext, handle: USBHandle, name: String) throws(DeviceError) {
        self.name = name
        self.context = context
        self.handle = handle
        do {
            for step in Self.setup {
                try handle.control(request: step.request, value: step.value, index: step.index, timeout: .seconds(1), what: step.what)
            }
        } catch {
            handle.close()
            throw error
        }
    }

    deinit { close() }

    func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        try handle.bulkWrite(endpoint: Self.outEndpoint, bytes, timeout: timeout)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        if pending.isEmpty {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 16)
            defer { raw.deallocate() }
            let n = try handle.bulkRead(endpoint: Self.inEndpoint, into: raw, timeout: timeout)
            forEachFTDIPayload(UnsafeRawBufferPointer(rebasing: raw[0..<n])) { pending += $0 }
        }
        let count = min(buffer.count, pending.count)
        for i in 0..<count { buffer[i] = pending[i] }
        pending.removeFirst(count)
        return count
    }

    func purge() throws(DeviceError) {
        pending.removeAll()
        try handle.control(request: 0x00, value: 0x0001, index: 1, timeout: .seconds(1), what: "purging the FTDI receive buffer")
    }

    func startReceiving(onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
        guard stream == nil else { return }
        // 8 transfers of 512 bytes (8 USB packets each) in flight: ~35 ms of Cyton data
        // per transfer, so the dongle never waits for a buffer.
        let stream = USBBulkInStream(handle: handle, endpoint: Self.inEndpoint, transferSize: 512, transferCount: 8,
                                     onData: { data in forEachFTDIPayload(data, onBytes) }, onEnd: onEnd)
        try stream.start()
        self.stream = stream
    }

    func stopReceiving() {
        stream?.stop()
        stream = nil
    }

    func close() {
        stopReceiving()
        handle.close()
    }
}

/// Calls `body` with the payload of each 64-byte FTDI USB packet in `data` — the packet
/// minus its 2 modem-status bytes — whatever the transfer size. No allocation.
@inline(__always)
func forEachFTDIPayload(_ data: UnsafeRawBufferPointer, packetSize: Int = FTDITransport.packetSize, _ body: (UnsafeRawBufferPointer) -> Void) {
    var offset = 0
    while offset < data.count {
        let end = min(offset + packetSize, data.count)
        if end - offset > 2 { body(UnsafeRawBufferPointer(rebasing: data[(offset + 2)..<end])) }
        offset = end
    }
}

/// Finding Cyton dongles on the USB bus and driving one.
public enum CytonUSB {
    static var table: SupportedUSBDevice { DeviceTable.usb.first { $0.driver == "cyton" }! }

    /// Every Cyton dongle on the bus.
    public static func dongles() throws(DeviceError) -> [USBDeviceInfo] {
        let entry = table
        return try USBContext().devices { $0 == entry.vendorID && $1 == entry.productID }
    }

    /// A driver for the dongle with serial number `serial`, or the only dongle present.
    /// Each (re)connection looks the dongle up again, since replugging changes its bus
    /// address.
    public static func driver(serial: String?, configuration: CytonDriver.Configuration) throws(DeviceError) -> CytonDriver {
        let link = try opener(serial: serial)
        let label = "OpenBCI Cyton\(configuration.daisy ? " + Daisy" : "") dongle \(link.name)"
        let driver = CytonDriver(name: label, configuration: configuration, opener: link.open)
        // A replugged dongle wakes the reconnecting driver at once (polling remains the
        // fallback where libusb has no hotplug support).
        driver.hotplugWatcher = USBHotplugWatcher.start(vendorID: table.vendorID, productID: table.productID) { [weak driver] in
            driver?.deviceMayHaveArrived()
        }
        return driver
    }

    /// Opens the dongle with serial number `serial`, or the only dongle present, looked
    /// up now (so a missing or inaccessible one is reported at once) and again at each
    /// opening, since replugging changes its bus address. `name`: "SERIAL (USB 1-2)".
    public static func opener(serial: String?) throws(DeviceError) -> (name: String, open: CytonDriver.Opener) {
        let chosen = try find(serial: serial)
        let wanted = serial ?? chosen.serialNumber
        let open: CytonDriver.Opener = { () throws(DeviceError) in
            let device = try find(serial: wanted)
            return try FTDITransport(device: device, name: "Cyton dongle \(wanted ?? "") on USB \(device.location)")
        }
        return ("\(wanted.map { "\($0) " } ?? "")(USB \(chosen.location))", open)
    }

    /// What ``check(_:askBoard:)`` found.
    public struct DongleCheck: Sendable {
        /// A kernel driver (ftdi_sio) had to be detached to claim the dongle; it was given back.
        public var detachedKernelDriver: Bool
        /// The board's reply to a soft reset, when asked and it answered.
        public var board: CytonBanner?
        /// Why the board could not be asked (switched off, not paired), when asked.
        public var boardError: DeviceError?
    }

    /// Opens `dongle` and claims its interface, then lets it go: proves it can be used
    /// now (permission, not busy). With `askBoard`, the board behind it is also
    /// soft-reset (`v`) for its banner — firmware and Daisy — waiting up to `timeout`;
    /// a board that does not answer leaves the dongle usable and says why.
    public static func check(_ dongle: USBDeviceInfo, askBoard: Bool = false, timeout: Duration = .milliseconds(1500)) throws(DeviceError) -> DongleCheck {
        let context = try USBContext()
        let name = "Cyton dongle on USB \(dongle.location)"
        let handle = try context.open(bus: dongle.bus, address: dongle.address, interface: FTDITransport.interface, name: name)
        defer { handle.close() }
        var result = DongleCheck(detachedKernelDriver: handle.detachedKernelDriver)
        guard askBoard else { return result }
        do {
            let transport = try FTDITransport(context: context, handle: handle, name: name)
            result.board = try CytonDriver.identifyBoard(on: transport, timeout: timeout)
        } catch {
            result.boardError = error
        }
        return result
    }

    static func find(serial: String?) throws(DeviceError) -> USBDeviceInfo {
        let all = try dongles()
        let what = "OpenBCI Cyton dongle (USB 0403:6015)\(serial.map { " with serial \($0)" } ?? "")"
        let candidates = serial == nil ? all : all.filter { $0.serialNumber == serial }
        guard let first = candidates.first else { throw .notFound(what) }
        if candidates.count > 1 {
            let serials = candidates.map { $0.serialNumber ?? "(unreadable)" }.joined(separator: ", ")
            throw .invalidConfiguration("\(candidates.count) Cyton dongles are connected (serials \(serials)); choose one with --device cyton:SERIAL")
        }
        guard first.accessible else { throw .permissionDenied("\(what) at \(first.devicePath)") }
        return first
    }
}
