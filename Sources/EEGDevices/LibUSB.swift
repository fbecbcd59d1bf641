import CLibUSB
import Foundation
import Synchronization

// The only file that speaks libusb. Everything here is internal; the rest of EEGKit sees
// Swift types and DeviceError.

/// One USB device as found on the bus.
public struct USBDeviceInfo: Sendable, Equatable {
    public let vendorID: UInt16
    public let productID: UInt16
    public let bus: UInt8
    public let address: UInt8
    /// Read from the device when it can be opened; `nil` otherwise.
    public let serialNumber: String?
    /// Whether this user may open it (the device node is readable and writable).
    public let accessible: Bool

    public var location: String { "bus \(bus) address \(address)" }
    public var devicePath: String {
        func pad(_ n: UInt8) -> String { let s = String(n); return String(repeating: "0", count: 3 - s.count) + s }
        return "/dev/bus/usb/\(pad(bus))/\(pad(address))"
    }
}

/// The serial number Linux read from the device at enumeration (sysfs `serial`), found by
/// its bus number and address.
func sysfsSerial(bus: UInt8, address: UInt8, root: String = "/sys/bus/usb/devices") -> String? {
    let fm = FileManager.default
    func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    for entry in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where !entry.contains(":") {
        let dir = root + "/" + entry
        guard read(dir + "/busnum") == String(bus), read(dir + "/devnum") == String(address) else { continue }
        return read(dir + "/serial")
    }
    return nil
}

/// Maps a libusb status to a DeviceError saying what was being done.
func usbError(_ code: Int32, _ operation: String, device: String) -> DeviceError {
    switch code {
    case LIBUSB_ERROR_ACCESS.rawValue: return .permissionDenied(device)
    case LIBUSB_ERROR_NO_DEVICE.rawValue: return .disconnected(device)
    case LIBUSB_ERROR_NOT_FOUND.rawValue: return .notFound(device)
    case LIBUSB_ERROR_BUSY.rawValue: return .busy(device)
    case LIBUSB_ERROR_TIMEOUT.rawValue: return .timeout(operation)
    default: return .usb(code: code, name: String(cString: libusb_error_name(code)), operation: operation)
    }
}

/// A libusb context: one per transport (or per listing), so lifetimes stay simple.
final class USBContext: @unchecked Sendable {
    // @unchecked Sendable: libusb contexts are thread-safe.
    let raw: OpaquePointer

    init() throws(DeviceError) {
        var context: OpaquePointer?
        let status = libusb_init(&context)
        guard status == 0, let context else { throw usbError(status, "initialising libusb", device: "USB") }
        raw = context
    }

    deinit { libusb_exit(raw) }

    /// Whether libusb can tell us about plugs and unplugs on this platform.
    static var hasHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }

    /// Every device on the bus whose vendor/product `matches`, with its serial number
    /// when it can be read.
    func devices(matching matches: (UInt16, UInt16) -> Bool) throws(DeviceError) -> [USBDeviceInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(raw, &list)
        guard count >= 0, let list else { throw usbError(Int32(count), "listing USB devices", device: "USB") }
        defer { libusb_free_device_list(list, 1) }
        var found: [USBDeviceInfo] = []
        for i in 0..<count {
            guard let device = list[i] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0,
                  matches(descriptor.idVendor, descriptor.idProduct) else { continue }
            let bus = libusb_get_bus_number(device), address = libusb_get_device_address(device)
            let info = USBDeviceInfo(vendorID: descriptor.idVendor, productID: descriptor.idProduct, bus: bus, address: address,
                                     serialNumber: nil, accessible: true)
            // Serial and access come from the system, not from opening the device: that
            // needs no permission and sends the device nothing.
            found.append(USBDeviceInfo(vendorID: info.vendorID, productID: info.productID, bus: bus, address: address,
                                       serialNumber: sysfsSerial(bus: bus, address: address),
                                       accessible: access(info.devicePath, R_OK | W_OK) == 0))
        }
        return found
    }

    /// Opens the device at `bus`/`address` and claims `interface`.
    func open(bus: UInt8, address: UInt8, interface: Int32, name: String) throws(DeviceError) -> USBHandle {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(raw, &list)
        guard count >= 0, let list else { throw usbError(Int32(count), "listing USB devices", device: name) }
        defer { libusb_free_device_list(list, 1) }
        for i in 0..<count {
            guard let device = list[i], libusb_get_bus_number(device) == bus, libusb_get_device_address(device) == address else { continue }
            var handle: OpaquePointer?
            let status = libusb_open(device, &handle)
            guard status == 0, let handle else { throw usbError(status, "opening \(name)", device: name) }
            return try USBHandle(context: self, raw: handle, interface: interface, name: name)
        }
        throw .notFound(name)
    }

    /// Runs libusb's event loop once (completions call their callbacks here).
    func handleEvents(milliseconds: Int) {
        var tv = timeval(tv_sec: 0, tv_usec: milliseconds * 1000)
        _ = libusb_handle_events_timeout_completed(raw, &tv, nil)
    }
}

/// An open device with one claimed interface. Closing releases the interface, gives the
/// device back to a kernel driver we detached, and closes the handle.
final class USBHandle: @unchecked Sendable {
    // @unchecked Sendable: libusb device handles may be used from several threads.
    let context: USBContext
    let raw: OpaquePointer
    let name: String
    private let interface: Int32
    private let reattachKernelDriver: Bool
    /// Whether a kernel driver was bound and detached to claim the interface (it is given
    /// back on close).
    var detachedKernelDriver: Bool { reattachKernelDriver }
    private let closed = Atomic<Bool>(false)

    fileprivate init(context: USBContext, raw: OpaquePointer, interface: Int32, name: String) throws(DeviceError) {
        self.context = context
        self.raw = raw
        self.name = name
        self.interface = interface
        // Detach only when a driver is really bound: the query can fail harmlessly (it
        // does under umockdev, and on platforms without kernel drivers), and detaching
        // on a guess makes the claim fail.
        let active = libusb_kernel_driver_active(raw, interface)
        var detached = false
        if active == 1 {
            let status = libusb_detach_kernel_driver(raw, interface)
            guard status == 0 else {
                libusb_close(raw)
                throw usbError(status, "detaching the kernel driver (ftdi_sio) from \(name)", device: name)
            }
            detached = true
        }
        reattachKernelDriver = detached
        let claimed = libusb_claim_interface(raw, interface)
        guard claimed == 0 else {
            if detached { libusb_attach_kernel_driver(raw, interface) }
            libusb_close(raw)
            // Every property is set, so deinit runs after this throw: it must not
            // release and close the handle a second time.
            closed.store(true, ordering: .releasing)
            throw usbError(claimed, "claiming interface \(interface) of \(name)", device: name)
        }
    }

    deinit { close() }

    /// A vendor OUT control request with no data stage.
    func control(request: UInt8, value: UInt16, index: UInt16, timeout: Duration, what: String) throws(DeviceError) {
        guard !isClosed else { throw .disconnected(name) }
        let status = libusb_control_transfer(raw, 0x40, request, value, index, nil, 0, milliseconds(timeout))
        guard status >= 0 else { throw usbError(status, what, device: name) }
    }

    func bulkWrite(endpoint: UInt8, _ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        guard !isClosed else { throw .disconnected(name) }
        var data = bytes
        var sent: Int32 = 0
        let status = libusb_bulk_transfer(raw, endpoint, &data, Int32(data.count), &sent, milliseconds(timeout))
        guard status == 0 else { throw usbError(status, "writing \(bytes.count) bytes to \(name)", device: name) }
        guard Int(sent) == bytes.count else { throw .timeout("writing to \(name) (\(sent) of \(bytes.count) bytes sent)") }
    }

    /// Returns the bytes read (0 on timeout).
    func bulkRead(endpoint: UInt8, into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        guard !isClosed else { throw .disconnected(name) }
        var received: Int32 = 0
        let status = libusb_bulk_transfer(raw, endpoint, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count), &received, milliseconds(timeout))
        if status == LIBUSB_ERROR_TIMEOUT.rawValue { return Int(received) }
        guard status == 0 else { throw usbError(status, "reading from \(name)", device: name) }
        return Int(received)
    }

    /// Whether `close` has run: the raw handle must not be used any more.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        libusb_release_interface(raw, interface)
        if reattachKernelDriver { libusb_attach_kernel_driver(raw, interface) }
        libusb_close(raw)
    }
}

private func milliseconds(_ d: Duration) -> UInt32 {
    UInt32(d.whole(unitsPerSecond: 1000, clampedTo: 1...Int64(UInt32.max)))
}

/// Continuous bulk IN with several transfers in flight, completed on a dedicated event
/// thread; the transfers and their buffers are allocated once.
///
/// Buffer ownership: once a transfer is submitted, its buffer belongs to libusb and the
/// operating system until the transfer completes again — a host controller writing
/// into it directly (zero-copy buffers, other platforms) or a device that answers at
/// once may refill it before the completion callback has returned. So a completed
/// transfer's data is handed on first, and the transfer resubmitted after: nothing
/// reads a buffer that has been handed back.
///
/// Lifetime: a transfer is freed only when libusb no longer holds it — after it has
/// come back, or after the device handle was closed (libusb then forgets it, and
/// closing the file descriptor makes the kernel kill it).
final class USBBulkInStream: @unchecked Sendable {
    // @unchecked Sendable: `transfers` and `buffers` are written only in init; the
    // completion callbacks run on the event thread, one at a time; start and stop run
    // on the owner's thread, and everything shared with the event thread is atomic.
    private let handle: USBHandle
    private let endpoint: UInt8
    private let onData: @Sendable (UnsafeRawBufferPointer) -> Void
    private let onEnd: @Sendable (DeviceError) -> Void
    private var transfers: [UnsafeMutablePointer<libusb_transfer>] = []
    private let buffers: UnsafeMutableRawBufferPointer
    private let transferSize: Int
    /// How long stop waits for cancelled transfers to come back before closing the
    /// device handle under them.
    private let patience: Duration
    private let inFlight = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)
    private let eventLoopRunning = Atomic<Bool>(false)
    private let eventLoopExited = Atomic<Bool>(false)
    private let eventLoopDone = DispatchSemaphore(value: 0)
    private let endReported = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    init(handle: USBHandle, endpoint: UInt8, transferSize: Int, transferCount: Int, patience: Duration = .seconds(2),
         onData: @escaping @Sendable (UnsafeRawBufferPointer) -> Void, onEnd: @escaping @Sendable (DeviceError) -> Void) {
        self.handle = handle
        self.endpoint = endpoint
        self.transferSize = transferSize
        self.patience = patience
        self.onData = onData
        self.onEnd = onEnd
        buffers = .allocate(byteCount: transferSize * transferCount, alignment: 64)
        for _ in 0..<transferCount { transfers.append(libusb_alloc_transfer(0)) }
    }

    deinit {
        // Normally stopped already; if not, stop now — freeing a transfer libusb still
        // holds would let it write into freed memory.
        stop()
        for transfer in transfers { libusb_free_transfer(transfer) }
        buffers.deallocate()
    }

    /// Submits every transfer and starts the event thread. On failure nothing is left in
    /// flight (or the handle is closed under what is) and nothing will be delivered.
    func start() throws(DeviceError) {
        running.store(true, ordering: .releasing)
        let context = Unmanaged.passUnretained(self).toOpaque()
        for (i, transfer) in transfers.enumerated() {
            let buffer = (buffers.baseAddress! + i * transferSize).assumingMemoryBound(to: UInt8.self)
            libusb_fill_bulk_transfer(transfer, handle.raw, endpoint, buffer, Int32(transferSize), usbBulkInCompleted, context, 1000)
            inFlight.add(1, ordering: .acquiringAndReleasing)
            let status = libusb_submit_transfer(transfer)
            guard status == 0 else {
                inFlight.subtract(1, ordering: .acquiringAndReleasing)
                running.store(false, ordering: .releasing)
                stopped.store(true, ordering: .releasing)
                endReported.store(true, ordering: .releasing)  // the caller gets the error instead
                for submitted in transfers.prefix(i) { libusb_cancel_transfer(submitted) }
                collectCancelled { handle.context.handleEvents(milliseconds: 10) }
                throw usbError(status, "starting the USB stream from \(handle.name)", device: handle.name)
            }
        }
        eventLoopRunning.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while eventLoopRunning.load(ordering: .acquiring) { handle.context.handleEvents(milliseconds: 100) }
            eventLoopExited.store(true, ordering: .releasing)
            eventLoopDone.signal()
        }
        thread.name = "eeg-usb-events"
        thread.start()
    }

    /// Cancels every transfer, waits (at most `patience`) for them to come back while the
    /// event thread runs, then joins the thread. Transfers that never came back are
    /// released from libusb by closing the device handle. Idempotent; after it returns
    /// no callback runs and `onData`/`onEnd` are never called again.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        running.store(false, ordering: .releasing)
        // A closed handle has no transfers in libusb any more (and cancelling one then
        // would touch the freed handle).
        if !handle.isClosed {
            for transfer in transfers { libusb_cancel_transfer(transfer) }
        }
        let eventThread = eventLoopRunning.load(ordering: .acquiring)
        collectCancelled { if !eventThread { handle.context.handleEvents(milliseconds: 10) } else { Thread.sleep(forTimeInterval: 0.001) } }
        if eventLoopRunning.exchange(false, ordering: .acquiringAndReleasing) {
            eventLoopDone.wait()
            _ = eventLoopExited.load(ordering: .acquiring)  // pairs with the thread's release: its work happened before
        }
    }

    /// Waits until every cancelled transfer has come back (`turn` lets events be
    /// handled), at most `patience`; if some never do, closes the handle so libusb lets
    /// go of them before their memory can be freed.
    private func collectCancelled(_ turn: () -> Void) {
        let deadline = ContinuousClock.now + patience
        while inFlight.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline { turn() }
        guard inFlight.load(ordering: .acquiring) > 0 else { return }
        // The event thread (if any) must not be inside libusb when the handle closes.
        if eventLoopRunning.exchange(false, ordering: .acquiringAndReleasing) { eventLoopDone.wait() }
        handle.close()
        inFlight.store(0, ordering: .releasing)
    }

    /// On the event thread.
    fileprivate func completed(_ transfer: UnsafeMutablePointer<libusb_transfer>) {
        let status = transfer.pointee.status
        switch status {
        case LIBUSB_TRANSFER_COMPLETED, LIBUSB_TRANSFER_TIMED_OUT:
            // Consume first, resubmit after: see "Buffer ownership" above.
            deliver(transfer)
            guard running.load(ordering: .acquiring) else { return returned() }
            let resubmitted = libusb_submit_transfer(transfer)
            if resubmitted != 0 {
                returned()
                end(usbError(resubmitted, "resubmitting a USB transfer", device: handle.name))
            }
        case LIBUSB_TRANSFER_CANCELLED:
            // One that completed while being cancelled still carries its data (libusb
            // reports it as cancelled, with its length): those bytes arrived, keep them.
            deliver(transfer)
            returned()
        case LIBUSB_TRANSFER_NO_DEVICE:
            returned()
            end(.disconnected(handle.name))
        default:
            // ERROR, STALL (xHCI reports these while a device is being unplugged),
            // OVERFLOW: the link failed. Reported with the code libusb's synchronous
            // API gives for the same status.
            returned()
            end(transferError(status))
        }
    }

    private func deliver(_ transfer: UnsafeMutablePointer<libusb_transfer>) {
        let length = Int(transfer.pointee.actual_length)
        if length > 0 { onData(UnsafeRawBufferPointer(start: transfer.pointee.buffer, count: length)) }
    }

    private func returned() { inFlight.subtract(1, ordering: .acquiringAndReleasing) }

    private func transferError(_ status: libusb_transfer_status) -> DeviceError {
        let (code, name): (libusb_error, String) = switch status {
        case LIBUSB_TRANSFER_STALL: (LIBUSB_ERROR_PIPE, "LIBUSB_TRANSFER_STALL")
        case LIBUSB_TRANSFER_OVERFLOW: (LIBUSB_ERROR_OVERFLOW, "LIBUSB_TRANSFER_OVERFLOW")
        case LIBUSB_TRANSFER_ERROR: (LIBUSB_ERROR_IO, "LIBUSB_TRANSFER_ERROR")
        default: (LIBUSB_ERROR_OTHER, "transfer status \(status.rawValue)")
        }
        return .usb(code: code.rawValue, name: name, operation: "streaming from \(handle.name)")
    }

    private func end(_ error: DeviceError) {
        if running.exchange(false, ordering: .acquiringAndReleasing) {
            for transfer in transfers { libusb_cancel_transfer(transfer) }
        }
        if !endReported.exchange(true, ordering: .acquiringAndReleasing) { onEnd(error) }
    }
}

private func usbBulkInCompleted(_ transfer: UnsafeMutablePointer<libusb_transfer>?) {
    guard let transfer, let context = transfer.pointee.user_data else { return }
    Unmanaged<USBBulkInStream>.fromOpaque(context).takeUnretainedValue().completed(transfer)
}

/// Calls `onArrival` when a device with the given vendor/product is plugged in, using
/// libusb's hotplug support (Linux has it); `start` returns nil where libusb does not,
/// and callers fall back to polling. Events are handled on a dedicated thread.
final class USBHotplugWatcher: @unchecked Sendable {
    // @unchecked Sendable: the handle and context are fixed after start; the thread is
    // joined in stop.
    private let context: USBContext
    private var handle: libusb_hotplug_callback_handle = 0
    private let onArrival: @Sendable () -> Void
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    private init(context: USBContext, onArrival: @escaping @Sendable () -> Void) {
        self.context = context
        self.onArrival = onArrival
    }

    static func start(vendorID: UInt16, productID: UInt16, onArrival: @escaping @Sendable () -> Void) -> USBHotplugWatcher? {
        guard USBContext.hasHotplug, let context = try? USBContext() else { return nil }
        let watcher = USBHotplugWatcher(context: context, onArrival: onArrival)
        let status = libusb_hotplug_register_callback(
            context.raw, Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue), 0, Int32(vendorID), Int32(productID),
            LIBUSB_HOTPLUG_MATCH_ANY, usbDeviceArrived, Unmanaged.passUnretained(watcher).toOpaque(), &watcher.handle)
        guard status == 0 else { return nil }
        let thread = Thread { [watcher] in
            while watcher.running.load(ordering: .acquiring) {
                let before = ContinuousClock.now
                watcher.context.handleEvents(milliseconds: 200)
                // Where poll never blocks (umockdev's fake device nodes), do not spin.
                if ContinuousClock.now - before < .milliseconds(5) { Thread.sleep(forTimeInterval: 0.05) }
            }
            watcher.done.signal()
        }
        thread.name = "eeg-usb-hotplug"
        thread.start()
        return watcher
    }

    fileprivate func arrived() { onArrival() }

    /// Deregisters and joins the event thread. The owner must call it (the thread keeps
    /// the watcher alive until then). Idempotent.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        libusb_hotplug_deregister_callback(context.raw, handle)
        done.wait()
    }
}

private func usbDeviceArrived(_ context: OpaquePointer?, _ device: OpaquePointer?, _ event: libusb_hotplug_event, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let userData else { return 0 }
    Unmanaged<USBHotplugWatcher>.fromOpaque(userData).takeUnretainedValue().arrived()
    return 0  // stay registered
}

/// The libusb this process runs with (for `eeg --version` and bug reports).
public enum LibUSBLibrary {
    /// The loaded library's version as major.minor.micro.nano plus any release-candidate
    /// suffix, e.g. `1.0.26.11724` (`libusb_get_version()`, read at run time).
    public static var version: String {
        let v = libusb_get_version().pointee
        let candidate = v.rc.map { String(cString: $0) } ?? ""
        return "\(v.major).\(v.minor).\(v.micro).\(v.nano)\(candidate)"
    }
}
