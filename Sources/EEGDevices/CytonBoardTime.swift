import EEGCore

/// The Cyton's own millisecond clock as a stream channel, `board_time` (ms), from the
/// time-stamped packets the board sends after the time-stamp command (`<`): footers
/// 0xC3–0xC6 carry the board's `millis()` (uint32) in every packet
/// (``CytonAux/boardTime``).
///
/// The value is the milliseconds since the connection's first time-stamped packet,
/// modulo 2²⁴ (it wraps to 0 every 16 777 216 ms = 4 h 39 min 37.216 s): frames are
/// Float32, exact for whole numbers below 2²⁴, and a BDF sample (24-bit) holds the same
/// range one count per millisecond, so every value is exact in the stream and in the
/// file. The board's own 32-bit wrap (49.7 days of uptime) is absorbed by the wrapping
/// difference. A packet without a stamp (before the first one, or a board that stopped
/// stamping) holds the last value (0 before any).
///
/// A plain value updated in place: no allocation, no lock (one per connection, touched
/// by its receive thread only). A reconnection starts a new connection, so the channel
/// restarts at 0 there (the gap is annotated).
public struct CytonBoardTime: Sendable {
    /// 2²⁴: the channel's period in ms, the first whole number Float32 cannot tell from its neighbour.
    public static let modulus: UInt32 = 1 << 24

    private var origin: UInt32?
    private var held: Float = 0

    public init() {}

    /// The signal frames carry after the aux channels: ms (0…2²⁴ − 1) stored over the
    /// full 24-bit digital range, one count per millisecond, one sample per frame.
    public static let signal = AuxiliarySignal(
        label: "board_time", unit: "ms", minimum: 0, maximum: Double(modulus - 1),
        digitalMinimum: -(1 << 23), digitalMaximum: (1 << 23) - 1, framesPerSample: 1,
        transducer: "Cyton board clock: ms since the first time stamp, modulo 2^24", channelType: "SYSCLOCK")

    /// The channel's value for the frame whose packet carried `aux`.
    @inline(__always)
    public mutating func value(_ aux: CytonAux) -> Float {
        guard let time = aux.boardTime else { return held }
        let first = origin ?? time
        origin = first
        held = Float((time &- first) % Self.modulus)
        return held
    }
}
