import EEGCore

/// What a Cyton streams in its six aux bytes, as chosen with the board mode command
/// (`/N`, firmware v3), and so which aux channels follow the EEG in every frame.
///
/// | mode | board mode | channels (unit) | rate |
/// |---|---|---|---|
/// | `accel` | default (`/0`, what a soft reset sets) | `accel_x`, `accel_y`, `accel_z` (g) | 25 Hz, held between readings |
/// | `analog` | `/2` | `analog_a5`, `analog_a6`, `analog_a7` (counts of the PIC32's 10-bit ADC, 0…1023) | every packet |
/// | `digital` | `/3` | `digital_d11`, `digital_d12`, `digital_d13`, `digital_d17`, `digital_d18` (level, 0 or 1) | every packet |
/// | `markers` | `/4` | `marker` (code: the byte sent with `` `X ``; 0 in packets without one) | every packet |
/// | `none` | default | none | — |
///
/// Analog inputs are given in raw counts, not volts: the ADC's reference is the board's
/// 3.3 V supply, which the board does not measure, so a volt figure would be a guess
/// (nominally volts = counts × 3.3 / 1023). With a WiFi shield the firmware leaves A7,
/// D13 and D18 at 0.
public enum CytonAuxMode: String, CaseIterable, Sendable {
    case accel, analog, digital, markers, none

    /// The board mode command's digit and the word the board names the mode with in its
    /// acknowledgement (`Success: analog$$$`; older v3 firmware: `Board mode set to
    /// analog$$$`); nil for the default mode, which the soft reset (`v`) already set.
    public var boardMode: (digit: UInt8, name: String)? {
        switch self {
        case .accel, .none: return nil
        case .analog: return (UInt8(ascii: "2"), "analog")
        case .digital: return (UInt8(ascii: "3"), "digital")
        case .markers: return (UInt8(ascii: "4"), "marker")
        }
    }

    /// The aux signals frames carry in this mode, after the EEG channels. Allocates: read
    /// it once per session.
    public func signals(daisy: Bool) -> [AuxiliarySignal] {
        switch self {
        case .accel: return Cyton.accelerometerSignals(daisy: daisy)
        case .none: return []
        case .analog:
            return ["a5", "a6", "a7"].map { pin in
                Self.rawWordSignal("analog_\(pin)", unit: "counts", transducer: "Cyton analog input \(pin.uppercased()), 10-bit ADC counts (3.3 V full scale, nominal)",
                                   channelType: "ADC")
            }
        case .digital:
            return CytonAuxChannels.digitalPins.map { pin in
                AuxiliarySignal(label: "digital_d\(pin.number)", unit: "level", minimum: 0, maximum: 1, digitalMinimum: 0, digitalMaximum: 1,
                                framesPerSample: 1, transducer: "Cyton digital input D\(pin.number), 0 low, 1 high")
            }
        case .markers:
            return [Self.rawWordSignal("marker", unit: "code", transducer: "Cyton marker: the code sent with a backtick command, 0 between markers",
                                       channelType: "TRIG")]
        }
    }

    /// A signal holding the aux word as it is (0…65535 over the 16-bit digital range, one
    /// count per unit: recordings hold every value exactly), one sample per frame.
    private static func rawWordSignal(_ label: String, unit: String, transducer: String, channelType: String) -> AuxiliarySignal {
        AuxiliarySignal(label: label, unit: unit, minimum: 0, maximum: 65535, digitalMinimum: -32768, digitalMaximum: 32767,
                        framesPerSample: 1, transducer: transducer, channelType: channelType)
    }
}

/// Writes a frame's aux channel values for a ``CytonAuxMode`` from what its packet
/// carried (``CytonAux``). Holds what a packet did not update: the accelerometer between
/// readings; the second and third analog/digital words across time-stamped packets
/// (0xC5/0xC6 carry only the first). A marker is not held: it shows in its frame only.
///
/// A plain value updated in place: no allocation, no lock (one per connection, touched
/// by its receive thread only).
public struct CytonAuxChannels: Sendable {
    public let mode: CytonAuxMode
    private var words = SIMD3<UInt16>(0, 0, 0)

    /// The digital pins the firmware reads, and where: (aux word, high or low byte).
    /// Word 0 = D11 << 8 | D12, word 1 = D13 << 8 | D17, word 2 = D18.
    static let digitalPins: [(number: Int, word: Int, high: Bool)] = [(11, 0, true), (12, 0, false), (13, 1, true), (17, 1, false), (18, 2, false)]

    public init(mode: CytonAuxMode) { self.mode = mode }

    /// Values per frame (the length of ``CytonAuxMode/signals(daisy:)``).
    public var count: Int {
        switch mode {
        case .accel, .analog: return 3
        case .digital: return 5
        case .markers: return 1
        case .none: return 0
        }
    }

    /// Writes ``count`` values for the frame whose packet carried `aux` into `out`,
    /// starting at `start`.
    @inline(__always)
    public mutating func write(_ aux: CytonAux, into out: UnsafeMutableBufferPointer<Float>, at start: Int) {
        switch mode {
        case .none: return
        case .accel:
            let held = aux.heldAccelerometer
            out[start] = Float(held.x)
            out[start + 1] = Float(held.y)
            out[start + 2] = Float(held.z)
        case .analog:
            update(aux)
            for i in 0..<3 { out[start + i] = Float(words[i]) }
        case .digital:
            update(aux)
            for (i, pin) in Self.digitalPins.enumerated() {
                let word = words[pin.word]
                let level = pin.high ? word >> 8 : word & 0xFF
                out[start + i] = level == 0 ? 0 : 1
            }
        case .markers:
            out[start] = Float(Self.marker(aux))
        }
    }

    /// Takes the words `aux` carries: all three (0xC1/0xC2) or the first (0xC5/0xC6).
    @inline(__always)
    private mutating func update(_ aux: CytonAux) {
        guard let raw = aux.raw else { return }
        if aux.boardTime == nil { words = raw } else { words[0] = raw[0] }
    }

    /// The frame's marker: its packet's first word, or (Daisy) its board half's when the
    /// Daisy half carries none; 0 without one.
    @inline(__always)
    private static func marker(_ aux: CytonAux) -> UInt16 {
        let own = aux.raw?[0] ?? 0
        return own != 0 ? own : aux.boardHalfRaw?[0] ?? 0
    }
}
