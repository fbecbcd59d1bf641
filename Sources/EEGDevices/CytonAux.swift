/// Acceleration in g (the Cyton's LIS3DH, ±4 g).
public struct Accelerometer: Equatable, Sendable {
    public var x: Double, y: Double, z: Double

    public init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// Before the first reading.
    public static let zero = Accelerometer(x: 0, y: 0, z: 0)
}

/// What a Cyton packet's six aux bytes (26…31) hold, by its footer, as the firmware
/// (OpenBCI_32bit_Library, v2/v3) writes them:
///
/// | footer | aux bytes |
/// |---|---|
/// | 0xC0 | accelerometer X, Y, Z: 3 × int16 big-endian, 0.002/16 g per count; all zero in the packets between the board's 25 Hz readings |
/// | 0xC1 | raw aux: 3 × 16-bit big-endian words (analog mode `/2`: the 10-bit reads of A5, A6, A7; digital mode `/3`: pin levels D11·D12, D13·D17, D18 as bytes) |
/// | 0xC2 | user-defined: the same 3 words, meaning whatever the firmware's author chose |
/// | 0xC3, 0xC4 | one accelerometer axis (int16 BE; X on board sample counter % 10 = 7, Y on 8, Z on 9, else 0), then the board's time in ms (uint32 BE); 0xC3 is the first packet after a time-sync request (`<`) |
/// | 0xC5, 0xC6 | one raw aux word (BE), then the board's time in ms (uint32 BE); 0xC5 after a time-sync request |
///
/// A plain value: decoding it allocates nothing.
public struct CytonAux: Equatable, Sendable {
    /// The packet's footer (0xC0…0xC6).
    public var footer: UInt8
    /// A new reading of all three axes carried by this packet (0xC0 with any axis
    /// non-zero); nil otherwise.
    public var accelerometer: Accelerometer?
    /// One axis (0 = X, 1 = Y, 2 = Z) and its value in g, in a time-stamped packet
    /// (0xC3/0xC4) whose board counter selects an axis; nil otherwise.
    public var accelerometerAxis: (axis: Int, g: Double)?
    /// Raw aux words (0xC1, 0xC2: three; 0xC5, 0xC6: one, in `x`, the others 0); nil for
    /// the accelerometer footers.
    public var raw: SIMD3<UInt16>?
    /// The board's clock in ms (0xC3…0xC6); nil otherwise.
    public var boardTime: UInt32?
    /// The latest accelerometer reading up to this packet, held between the board's
    /// 25 Hz readings (zero before the first): the value a stream channel shows. Filled
    /// by ``CytonDecoder`` (``HeldAccelerometer``); zero from ``decode(_:boardCounter:)``.
    public var heldAccelerometer = Accelerometer.zero
    /// With Daisy: the raw words of the frame's board half (the earlier packet of the
    /// pair), so a marker the board put there is not lost; nil otherwise. Filled by
    /// ``CytonDecoder``.
    public var boardHalfRaw: SIMD3<UInt16>?

    public static func == (a: CytonAux, b: CytonAux) -> Bool {
        a.footer == b.footer && a.accelerometer == b.accelerometer && a.raw == b.raw && a.boardTime == b.boardTime
            && a.heldAccelerometer == b.heldAccelerometer && a.boardHalfRaw == b.boardHalfRaw
            && a.accelerometerAxis?.axis == b.accelerometerAxis?.axis && a.accelerometerAxis?.g == b.accelerometerAxis?.g
    }

    /// Reads the aux bytes of `packet` (33 bytes, footer last). `boardCounter` is the
    /// board's full sample counter (only its value mod 10 is used, to pick the axis of a
    /// time-stamped accelerometer packet).
    @inline(__always)
    public static func decode(_ packet: UnsafeBufferPointer<UInt8>, boardCounter: Int64) -> CytonAux {
        let footer = packet[32]
        var aux = CytonAux(footer: footer)
        switch footer {
        case 0xC0:
            let x = int16(packet, 26), y = int16(packet, 28), z = int16(packet, 30)
            if x != 0 || y != 0 || z != 0 {
                aux.accelerometer = Accelerometer(x: g(x), y: g(y), z: g(z))
            }
        case 0xC1, 0xC2:
            aux.raw = SIMD3(word(packet, 26), word(packet, 28), word(packet, 30))
        case 0xC3, 0xC4:
            let axis = Int(boardCounter % 10) - 7
            if (0...2).contains(axis) { aux.accelerometerAxis = (axis, g(int16(packet, 26))) }
            aux.boardTime = time(packet)
        default:  // 0xC5, 0xC6 (the decoder accepts no other footer)
            aux.raw = SIMD3(word(packet, 26), 0, 0)
            aux.boardTime = time(packet)
        }
        return aux
    }

    public init(footer: UInt8) { self.footer = footer }

    @inline(__always)
    private static func g(_ counts: Int16) -> Double { Double(counts) * Cyton.accelerometerScale }

    @inline(__always)
    private static func word(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt16 { UInt16(p[i]) << 8 | UInt16(p[i + 1]) }

    @inline(__always)
    private static func int16(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int16 { Int16(bitPattern: word(p, i)) }

    @inline(__always)
    private static func time(_ p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        UInt32(word(p, 28)) << 16 | UInt32(word(p, 30))
    }
}

/// The accelerometer as a stream channel: the last reading held until the next one, as
/// BrainFlow reports it (the board reads it at 25 Hz and sends zeros in between). Zero
/// until the first reading. Time-stamped packets update one axis at a time.
public struct HeldAccelerometer: Equatable, Sendable {
    public private(set) var value = Accelerometer.zero

    public init() {}

    /// Takes what `aux` carries, if anything.
    @inline(__always)
    public mutating func update(_ aux: CytonAux) {
        if let reading = aux.accelerometer { value = reading }
        if let (axis, g) = aux.accelerometerAxis {
            switch axis {
            case 0: value.x = g
            case 1: value.y = g
            default: value.z = g
            }
        }
    }
}
