import EEGCore
import EEGDevices

/// What to stream from: the value `--device`, `--port`, `--daisy`, `--seed`,
/// `--sim-channels`, `--sim-rate` and `--speed` parse into. ``makeDevice(rawCapture:)``
/// builds the device, so callers (the `eeg` commands) never construct a driver,
/// transport or simulator themselves.
public enum DeviceDescription: Sendable, Equatable {
    /// The built-in simulated headset.
    case simulated(SimulatedHeadsetSettings)
    /// An OpenBCI Cyton (or Cyton + Daisy), over libusb or a serial tty.
    case cyton(CytonSettings)
    /// A raw byte capture (`eeg record --raw-capture`) played through the Cyton decoder.
    case rawCytonCapture(path: String, daisy: Bool, speed: Double)

    /// The simulated headset's settings (`--sim-channels`, `--sim-rate`, `--seed`, `--speed`).
    public struct SimulatedHeadsetSettings: Sendable, Equatable {
        public var channelCount = 8
        public var sampleRate = 250.0
        /// The same seed gives the same signal.
        public var seed: UInt64 = 1
        /// Multiple of real time; `.infinity` for as fast as the consumer takes frames.
        public var speed = 1.0
        public init(channelCount: Int = 8, sampleRate: Double = 250, seed: UInt64 = 1, speed: Double = 1) {
            self.channelCount = channelCount
            self.sampleRate = sampleRate
            self.seed = seed
            self.speed = speed
        }
    }

    /// Which Cyton and how it is connected.
    public struct CytonSettings: Sendable, Equatable {
        /// The dongle's USB serial number (`--device cyton:SERIAL`); nil for the only one.
        public var serial: String?
        /// A serial tty owned by the kernel's ftdi_sio driver (`--port`), instead of libusb.
        public var port: String?
        /// A Daisy board is attached: 16 channels at 125 Hz.
        public var daisy = false
        /// Settings sent to each channel and confirmed by the board (`--gain`, `--input`,
        /// `--channels-off`, read by ``CytonChannelRequest``); nil: the board's defaults.
        public var channels: [CytonCommand.ChannelSettings]?
        /// What the aux bytes carry, streamed and recorded after the EEG channels
        /// (`--aux`; default the accelerometer, `accel_x…z` in g at 25 Hz; `--no-aux`: none).
        public var aux: CytonAuxMode = .accel
        /// Stream and record the board's millisecond clock as `board_time` (ms) after the
        /// aux channels (`--board-time`; ``CytonBoardTime``): the board is asked for time
        /// stamps (`<`) and must confirm.
        public var boardTime = false
        /// Stream and record the accelerometer: ``aux`` is `.accel` (false: none).
        public var accelerometer: Bool {
            get { aux == .accel }
            set { aux = newValue ? .accel : .none }
        }
        public init(serial: String? = nil, port: String? = nil, daisy: Bool = false, channels: [CytonCommand.ChannelSettings]? = nil) {
            self.serial = serial
            self.port = port
            self.daisy = daisy
            self.channels = channels
        }
    }

    /// `sim` (or `simulated`), `cyton` or `cyton:SERIAL`, case-insensitive (the serial
    /// number keeps its case), with default settings; nil for anything else, an empty
    /// serial number included.
    public init?(name: String) {
        let lower = name.lowercased()
        if lower == "sim" || lower == "simulated" {
            self = .simulated(SimulatedHeadsetSettings())
        } else if lower == "cyton" {
            self = .cyton(CytonSettings())
        } else if lower.hasPrefix("cyton:"), name.count > "cyton:".count {
            self = .cyton(CytonSettings(serial: String(name.dropFirst("cyton:".count))))
        } else {
            return nil
        }
    }

    /// The names ``init(name:)`` takes, for help texts.
    public static let names = ["sim", "cyton", "cyton:SERIAL"]

    /// Whether the device sends bytes that `--raw-capture` can save (a Cyton).
    public var sendsRawBytes: Bool {
        if case .cyton = self { return true }
        return false
    }

    /// Builds the device. A Cyton over USB is looked up now (so a missing or inaccessible
    /// dongle is reported before anything else starts) and on every reconnection; a
    /// `rawCapture` saves every byte the board sends while streaming.
    ///
    /// - Throws: ``DeviceError``: `invalidConfiguration` for settings that do not fit
    ///   together (a raw capture of the simulated headset, both a serial number and a
    ///   port) or out of range, `notFound`/`permissionDenied`/`busy` for a dongle;
    ///   ``InputError`` (`cannotOpen`/`isDirectory`) for a raw capture file that cannot
    ///   be opened.
    public func makeDevice(rawCapture: RawCaptureRequest? = nil) throws -> BuiltDevice {
        if rawCapture != nil && !sendsRawBytes {
            throw DeviceError.invalidConfiguration("a raw capture is for a Cyton (the simulated headset and replays send no bytes)")
        }
        switch self {
        case .simulated(let s):
            let headset = try SimulatedHeadset(channelCount: s.channelCount, sampleRate: s.sampleRate, seed: s.seed, speed: s.speed)
            return BuiltDevice(device: headset, rawCapture: nil)
        case .rawCytonCapture(let path, let daisy, let speed):
            let capture = try InputFile.openFile(path)  // a file problem is "no input" (66), not a device's
            return BuiltDevice(device: RawCytonReplay(file: capture, path: path, daisy: daisy, speed: speed), rawCapture: nil)
        case .cyton(let settings):
            let driver = try Self.cytonDriver(settings)
            // Opened after the dongle was found, so a missing dongle leaves no empty file.
            let capture = try rawCapture.map { request throws(DeviceError) in try RawCapture(path: request.path, overwrite: request.overwrite) }
            driver.rawCapture = capture
            return BuiltDevice(device: driver, rawCapture: capture)
        }
    }

    private static func cytonDriver(_ settings: CytonSettings) throws(DeviceError) -> CytonDriver {
        let configuration = try settings.driverConfiguration()
        guard settings.port != nil else { return try CytonUSB.driver(serial: settings.serial, configuration: configuration) }
        let link = try settings.link()
        return CytonDriver(name: "OpenBCI Cyton\(settings.daisy ? " + Daisy" : "") \(link.name)", configuration: configuration, opener: link.open)
    }
}

extension DeviceDescription.CytonSettings {
    /// The driver's configuration for these settings, checked.
    ///
    /// - Throws: ``DeviceError/invalidConfiguration(_:)`` for channel settings that do not
    ///   fit the board (a count other than 8, or 16 with Daisy).
    public func driverConfiguration() throws(DeviceError) -> CytonDriver.Configuration {
        var configuration = CytonDriver.Configuration()
        configuration.daisy = daisy
        configuration.channels = channels
        configuration.aux = aux
        configuration.boardTime = boardTime
        try configuration.validate()
        return configuration
    }

    /// How to open the board: its serial port, or the dongle (looked up now, so a missing
    /// one is reported at once). `name` says which ("on /dev/ttyUSB0", "dongle SERIAL (USB 1-2)").
    public func link() throws(DeviceError) -> (name: String, open: CytonDriver.Opener) {
        guard let port else {
            let dongle = try CytonUSB.opener(serial: serial)
            return ("dongle \(dongle.name)", dongle.open)
        }
        if serial != nil { throw .invalidConfiguration("give --device cyton:SERIAL or --port, not both") }
        return ("on \(port)", { () throws(DeviceError) in try SerialPortTransport(path: port) })
    }
}

/// Where to save a Cyton's raw bytes (`--raw-capture FILE`, `--force`).
public struct RawCaptureRequest: Sendable, Equatable {
    public var path: String
    /// Replace an existing file (never through a symlink); otherwise an existing file is
    /// refused.
    public var overwrite: Bool
    public init(path: String, overwrite: Bool = false) {
        self.path = path
        self.overwrite = overwrite
    }
}

/// A device built from a ``DeviceDescription``, with the raw capture attached to it (if
/// one was asked for), whose counts and failure the caller reports when the stream ends.
public struct BuiltDevice: Sendable {
    public let device: any EEGDevice
    public let rawCapture: RawCapture?
}
