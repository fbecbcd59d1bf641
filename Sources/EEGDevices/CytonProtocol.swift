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
    /// Per-channel settings: `x CHANNEL POWER_DOWN GAIN INPUT BIAS SRB2 SRB1 X`.
    case channelSettings(ChannelSettings)

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

    public struct ChannelSettings: Equatable, Sendable {
        /// 1…16 (9…16 are on the Daisy).
        public var channel: Int
        public var poweredDown = false
        public var gain: Gain = .x24
        /// ADS1299 input type 0…7 (0: normal electrode input).
        public var inputType: UInt8 = 0
        public var includeInBias = true
        public var connectToSRB2 = true
        public var connectToSRB1 = false

        public init(channel: Int) { self.channel = channel }
    }

    /// The bytes to write.
    public var bytes: [UInt8] {
        switch self {
        case .startStreaming: return Array("b".utf8)
        case .stopStreaming: return Array("s".utf8)
        case .softReset: return Array("v".utf8)
        case .defaultChannelSettings: return Array("d".utf8)
        case .useDaisy(let on): return Array((on ? "C" : "c").utf8)
        case .channelSettings(let s):
            precondition((1...16).contains(s.channel), "Cyton channels are 1...16")
            precondition(s.inputType <= 7, "input type is 0...7")
            let channelCodes = Array("12345678QWERTYUI".utf8)
            func flag(_ on: Bool) -> UInt8 { on ? 0x31 : 0x30 }
            return [UInt8(ascii: "x"), channelCodes[s.channel - 1], flag(s.poweredDown), s.gain.code,
                    0x30 + s.inputType, flag(s.includeInBias), flag(s.connectToSRB2), flag(s.connectToSRB1), UInt8(ascii: "X")]
        }
    }
}
