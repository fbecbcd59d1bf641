import EEGCore
import Synchronization

/// Where a device is in its life. Real drivers move through all of these; the simulated
/// headset only streams and stops.
public enum DeviceState: String, Sendable, Equatable, CaseIterable {
    case opening, configuring, streaming, stopping, closed, disconnected, reconnecting
}

/// Something that happened on the device side that the session must know about. Events
/// are rare (never per sample), so they travel through a locked queue, not the ring.
public enum DeviceEvent: Sendable, Equatable {
    case state(DeviceState)
    /// Samples the device produced that never arrived (decoder-detected).
    case gap(FrameGap)
    /// Bytes thrown away while resynchronising.
    case skippedBytes(Int)
    /// A device-side failure: it ended the stream, or (the message ends "; reconnecting")
    /// interrupted it while the driver reconnects.
    case failed(String)
}

/// A thread-safe queue of ``DeviceEvent``s from the device thread to the session.
public final class DeviceEvents: Sendable {
    private let queue = Mutex<[DeviceEvent]>([])
    /// Set after every post, so a session's turns take the lock only when there is news.
    private let pending = Atomic<Bool>(false)

    public init() {}

    public func post(_ event: DeviceEvent) {
        queue.withLock { $0.append(event) }
        // After the append: a drain that misses this flag sees it on its next call.
        pending.store(true, ordering: .releasing)
    }

    /// Everything posted since the last call, oldest first. Takes no lock (and does not
    /// allocate) when nothing was posted since the last call.
    public func drain() -> [DeviceEvent] {
        guard pending.exchange(false, ordering: .acquiringAndReleasing) else { return [] }
        return queue.withLock { queue in
            let events = queue
            queue.removeAll()
            return events
        }
    }
}

/// A source of EEG frames: the simulated headset, a Cyton over libusb or a serial port.
///
/// `start` hands the device the ring's producer; the device pushes frames from its own
/// thread (never blocking, never allocating per sample) until `stop`, which is safe to
/// call from any thread, more than once, and always leaves the hardware stopped and
/// released. Frames carry the device's sample counter as their index, never the host
/// clock.
public protocol EEGDevice: AnyObject, Sendable {
    /// What to call the device in messages, e.g. "simulated headset (seed 1)".
    var name: String { get }
    /// The stream the device delivers: labels (their count is the frame width), unit,
    /// sample rate, the ADC's full scale in µV (for railed-signal detection) and the
    /// device as its source. `channelCount`, `sampleRate`, `channelLabels` and
    /// `fullScale` are read from it (Device+Layout.swift).
    var layout: StreamLayout { get }
    var state: DeviceState { get }
    /// The error that ended the stream from the device's side when it was the input's
    /// fault, not the hardware's (a recording that could not be read further): a session
    /// finishes its output and then rethrows it, so the command exits with that error's
    /// kind. `nil` while the stream is fine, and always for live hardware, whose failures
    /// are events. Read after `stop`.
    var failure: (any Error)? { get }
    func start(into producer: FrameRing.Producer, events: DeviceEvents) throws(DeviceError)
    func stop()
}

/// Why a device could not be used. Each case says what was being done and, for libusb,
/// carries its error code; ``description`` ends with what to do about it.
public enum DeviceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case permissionDenied(String)
    case busy(String)
    case disconnected(String)
    case timeout(String)
    case usb(code: Int32, name: String, operation: String)
    case serial(errno: Errno, operation: String, path: String)
    case protocolError(String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .notFound(let what):
            return "\(what) not found; check the cable and dongle, then run 'eeg devices' to see what is connected"
        case .permissionDenied(let what):
            return "permission denied opening \(what); install the udev rules ('eeg udev-rules', see README) or run 'eeg devices' for the fix"
        case .busy(let what):
            return "\(what) is busy: another program (OpenBCI GUI, BrainFlow, a serial terminal) has it open; close it and retry"
        case .disconnected(let what):
            return "\(what) was unplugged"
        case .timeout(let what):
            return "timed out \(what); is the board switched on (PC mode) and the dongle's switch on GPIO6?"
        case .usb(let code, let name, let operation):
            return "USB error while \(operation): \(name) (libusb \(code))"
        case .serial(let code, let operation, let path):
            return "\(path): \(operation) failed: \(code) (errno \(code.code))"
        case .protocolError(let what):
            return "unexpected reply from the board: \(what)"
        case .invalidConfiguration(let what):
            return what
        }
    }
}

import Glibc
