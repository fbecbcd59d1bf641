import Foundation

/// Facts of the OpenBCI Cyton serial protocol (firmware v3), as bytes and numbers.
public enum Cyton {
    /// Every data packet is 33 bytes: header, sample number, 8 × 24-bit samples, 6 aux
    /// bytes, footer.
    public static let packetLength = 33
    public static let header: UInt8 = 0xA0
    /// Footers 0xC0…0xC6 say what the aux bytes hold (0xC0: accelerometer).
    public static let footers: ClosedRange<UInt8> = 0xC0...0xC6
    public static let channelsPerBoard = 8
    /// Samples per second per packet stream (Cyton alone: 250 Hz; with Daisy each board's
    /// channels arrive at 125 Hz).
    public static let sampleRate = 250.0
    public static let daisySampleRate = 125.0
    /// ADS1299 reference voltage.
    public static let referenceVolts = 4.5
    public static let defaultGain = 24.0
    /// LIS3DH accelerometer scale at ±4 g, g per count of the 16-bit value.
    public static let accelerometerScale = 0.002 / 16
    /// Readings per second the firmware takes from the accelerometer while streaming.
    public static let accelerometerRate = 25.0

    /// µV per ADC count at `gain`: 4.5 V / gain / (2²³ − 1) × 10⁶.
    public static func microvoltsPerCount(gain: Double) -> Double {
        referenceVolts / gain / Double((1 << 23) - 1) * 1_000_000
    }

    /// `counts` (a sign-extended 24-bit ADC value) in µV at `perCount` µV per count
    /// (``microvoltsPerCount(gain:)``): computed in double and rounded once, so the µV
    /// values are the nearest floats. Every Cyton decoder (stream, SD card) scales here.
    @inline(__always)
    public static func microvolts(counts: Int32, perCount: Double) -> Float {
        Float(Double(counts) * perCount)
    }

    /// Full scale in µV at `gain` (±187,500 µV at gain 24).
    public static func fullScale(gain: Double) -> Double { referenceVolts / gain * 1_000_000 }
}

/// Commands the Cyton accepts, encoded as the bytes to send.
public enum CytonCommand: Equatable, Sendable {
    /// Start streaming (`b`).
    case startStreaming
    /// Stop streaming (`s`).
    case stopStreaming
    /// Soft reset (`v`); the board answers with its banner ending in `$$$`.
    case softReset
    /// Restore default channel settings (`d`).
    case defaultChannelSettings
    /// Attach (`C`) or detach (`c`) the Daisy board: 16 or 8 channels.
    case useDaisy(Bool)
    /// Per-channel settings: `x CHANNEL POWER_DOWN GAIN INPUT BIAS SRB2 SRB1 X`. When not
    /// streaming, firmware v2+ answers `Success: Channel set for N$$$`.
    case channelSettings(ChannelSettings)
    /// Lead-off impedance drive (6 nA at 31.2 Hz, the ADS1299's LOFF setting the firmware
    /// uses) on a channel's P and/or N input: `z CHANNEL P N Z`. When not streaming the
    /// board answers `Success: Lead off set for N$$$`.
    case leadOff(channel: Int, positive: Bool, negative: Bool)
    /// What the aux bytes carry (firmware v3): `/` and the mode's digit (``CytonAuxMode/boardMode``).
    /// The board answers `Success: MODE$$$` (earlier v3 releases: `Board mode set to MODE$$$`).
    case boardMode(CytonAuxMode)
    /// Time stamps on (`<`) or off (`>`): every packet then carries the board's clock in
    /// ms (footers 0xC3–0xC6, ``CytonAux/boardTime``). When not streaming the board
    /// answers `Time stamp ON$$$` (`Time stamp OFF$$$`). A soft reset (`v`) does not
    /// turn them off (firmware v3.1.2's reset leaves the time-sync mode as it was).
    case timeStamps(Bool)

    /// The ADS1299 programmable gain, with the firmware's code for each.
    public enum Gain: Double, Sendable, CaseIterable {
        case x1 = 1, x2 = 2, x4 = 4, x6 = 6, x8 = 8, x12 = 12, x24 = 24
        var code: UInt8 {
            switch self {
            case .x1: return 0x30
            case .x2: return 0x31
            case .x4: return 0x32
            case .x6: return 0x33
            case .x8: return 0x34
            case .x12: return 0x35
            case .x24: return 0x36
            }
        }
    }

    /// What a channel's ADC input is connected to (the SDK's INPUT_TYPE_SET codes 0…7).
    public enum Input: UInt8, Sendable, CaseIterable {
        /// The electrode (default).
        case normal = 0
        /// Inputs shorted together: the amplifier's own noise.
        case shorted = 1
        case biasMeasure = 2
        case supply = 3
        case temperature = 4
        /// The ADS1299's internal test signal (a square wave): checks the chain end to end.
        case testSignal = 5
        case biasDrivePositive = 6
        case biasDriveNegative = 7
    }

    public struct ChannelSettings: Equatable, Sendable {
        /// 1…16 (9…16 are on the Daisy).
        public var channel: Int
        public var poweredDown = false
        public var gain: Gain = .x24
        public var input: Input = .normal
        public var includeInBias = true
        public var connectToSRB2 = true
        public var connectToSRB1 = false

        /// The board's settings after a soft reset, for `channel`.
        public init(channel: Int) { self.channel = channel }
    }

    /// The bytes to write. Channels outside 1…16 are a programming error (settings are
    /// built from a checked ``CytonDriver/Configuration``).
    public var bytes: [UInt8] {
        func flag(_ on: Bool) -> UInt8 { on ? 0x31 : 0x30 }
        switch self {
        case .startStreaming: return Array("b".utf8)
        case .stopStreaming: return Array("s".utf8)
        case .softReset: return Array("v".utf8)
        case .defaultChannelSettings: return Array("d".utf8)
        case .useDaisy(let on): return Array((on ? "C" : "c").utf8)
        case .channelSettings(let s):
            return [UInt8(ascii: "x"), Cyton.channelCode(s.channel), flag(s.poweredDown), s.gain.code,
                    0x30 + s.input.rawValue, flag(s.includeInBias), flag(s.connectToSRB2), flag(s.connectToSRB1), UInt8(ascii: "X")]
        case .leadOff(let channel, let positive, let negative):
            return [UInt8(ascii: "z"), Cyton.channelCode(channel), flag(positive), flag(negative), UInt8(ascii: "Z")]
        case .boardMode(let mode):
            return [UInt8(ascii: "/"), mode.boardMode?.digit ?? UInt8(ascii: "0")]
        case .timeStamps(let on): return Array((on ? "<" : ">").utf8)
        }
    }

    /// The text the board starts its reply with when it accepted the command (firmware
    /// v2+, not streaming), or nil for a command it does not acknowledge that way.
    public var acknowledgement: String? {
        switch self {
        case .channelSettings(let s): return "Success: Channel set for \(s.channel)"
        case .leadOff(let channel, _, _): return "Success: Lead off set for \(channel)"
        // Both wordings end with the mode's name.
        case .boardMode(let mode): return mode.boardMode?.name ?? "default"
        case .timeStamps(let on): return on ? "Time stamp ON" : "Time stamp OFF"
        default: return nil
        }
    }
}

extension Cyton {
    /// The character that names channel `channel` (1…16) in `x…X` and `z…Z` commands:
    /// `1`…`8` on the board, `Q W E R T Y U I` on the Daisy.
    static func channelCode(_ channel: Int) -> UInt8 {
        precondition((1...16).contains(channel), "Cyton channels are 1...16")
        return Array("12345678QWERTYUI".utf8)[channel - 1]
    }

    /// Checks the board's reply (the text before `$$$`) to `command`: it must hold the
    /// command's acknowledgement (after any stream bytes still in flight when it was
    /// sent).
    ///
    /// - Throws: ``DeviceError/protocolError(_:)`` naming the command's bytes and quoting
    ///   the reply (a `Failure: …` the board sent, or anything else).
    public static func checkAcknowledgement(_ reply: String, to command: CytonCommand) throws(DeviceError) {
        guard let expected = command.acknowledgement else { return }
        // The board may print the channel with no separator after it: "…for 3" must not
        // accept "…for 31".
        if let found = reply.range(of: expected, options: .backwards), !(reply[found.upperBound...].first?.isNumber ?? false) { return }
        let sent = String(decoding: command.bytes, as: UTF8.self)
        let text = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = text.count > 80 ? "…" + String(text.suffix(80)) : text
        throw .protocolError("the board answered \(sent) with '\(shown)', not '\(expected)'")
    }
}

/// What the board says about itself in its reply to a soft reset (`v`), e.g.
/// `OpenBCI V3 8-16 channel / On Board ADS1299 Device ID: 0x3E / On Daisy ADS1299 Device
/// ID: 0x3E / LIS3DH Device ID: 0x33 / Firmware: v3.1.2`.
public struct CytonBanner: Equatable, Sendable {
    /// The firmware version as the board states it (`v3.1.2`); nil before firmware v2,
    /// which does not say.
    public var firmware: String?
    /// A Daisy board answered the reset (the banner has a Daisy device-ID line).
    public var daisy: Bool

    public init(firmware: String?, daisy: Bool) {
        self.firmware = firmware
        self.daisy = daisy
    }

    /// Reads the banner text (without the `$$$`).
    public init(_ text: String) {
        daisy = text.range(of: "Daisy", options: .caseInsensitive) != nil
        firmware = text.split(whereSeparator: \.isNewline).lazy.compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("Firmware:") else { return nil }
            let version = trimmed.dropFirst("Firmware:".count).trimmingCharacters(in: .whitespaces)
            return version.isEmpty ? nil : version
        }.first
    }
}
