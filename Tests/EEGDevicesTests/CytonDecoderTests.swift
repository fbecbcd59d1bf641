import Testing
@testable import EEGDevices

/// A Cyton packet built by hand from the protocol description, independent of the decoder.
func cytonPacket(_ number: UInt8, counts: [Int32], aux: [UInt8] = [0, 0, 0, 0, 0, 0], footer: UInt8 = 0xC0) -> [UInt8] {
    var bytes: [UInt8] = [0xA0, number]
    for c in counts {
        let u = UInt32(bitPattern: c)
        bytes += [UInt8((u >> 16) & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u & 0xFF)]
    }
    return bytes + aux + [footer]
}

struct Decoded: Equatable {
    var frames: [(Int64, [Float])] = []
    var gaps: [(Int, Int64)] = []
    var skipped = 0
    var accelerometer: [Accelerometer?] = []
    var aux: [CytonAux] = []
    /// The decoder's held reading at each frame.
    var held: [Accelerometer] = []

    static func == (a: Decoded, b: Decoded) -> Bool {
        a.frames.map(\.0) == b.frames.map(\.0) && a.frames.map(\.1) == b.frames.map(\.1)
            && a.gaps.map(\.0) == b.gaps.map(\.0) && a.gaps.map(\.1) == b.gaps.map(\.1) && a.skipped == b.skipped
    }
}

func decode(_ chunks: [[UInt8]], daisy: Bool = false) -> Decoded {
    var decoder = CytonDecoder(daisy: daisy)
    var out = Decoded()
    for chunk in chunks {
        decoder.decode(chunk) { event in
            switch event {
            case .frame(let index, let samples, let aux):
                out.frames.append((index, Array(samples)))
                out.accelerometer.append(aux.accelerometer)
                out.aux.append(aux)
                out.held.append(aux.heldAccelerometer)
            case .gap(let gap): out.gaps.append((gap.frames, gap.beforeSampleIndex))
            case .skipped(let bytes): out.skipped += bytes
            }
        }
    }
    return out
}

@Suite("Cyton decoder")
struct CytonDecoderTests {
    static let counts: [Int32] = [0, 1, -1, 8_388_607, -8_388_608, 1000, -123_456, 42]

    @Test("µV = counts × 4.5 / 24 / (2²³ − 1) × 10⁶, 24-bit big-endian signed")
    func scaling() {
        let out = decode([cytonPacket(7, counts: Self.counts)])
        #expect(out.frames.count == 1)
        let uv = out.frames[0].1
        // Hand-computed: one count is 0.022351744455307063 µV; full scale is 187500 µV.
        let expected: [Double] = [0, 0.022351744455307063, -0.022351744455307063, 187_500, -187_500.02235174446,
                                  22.351744455307063, -2759.4569211766274, 0.9387732671228966]
        for (got, want) in zip(uv, expected) {
            #expect(abs(Double(got) - want) <= abs(want) * 1e-7 + 1e-9, "\(got) vs \(want)")
        }
        #expect(out.frames[0].0 == 0)
    }

    @Test("the accelerometer is read from footer 0xC0 packets only")
    func accelerometer() {
        // x = 16 counts, y = -32, z = 8192 → 0.002 g, −0.004 g, 1.024 g
        let aux: [UInt8] = [0x00, 0x10, 0xFF, 0xE0, 0x20, 0x00]
        let out = decode([cytonPacket(1, counts: Self.counts, aux: aux, footer: 0xC0),
                          cytonPacket(2, counts: Self.counts, aux: aux, footer: 0xC1)])
        #expect(out.accelerometer[0] == Accelerometer(x: 0.002, y: -0.004, z: 1.024))
        #expect(out.accelerometer[1] == nil)
        #expect(out.frames.count == 2)
    }

    @Test("0xC0 readings are held between the 25 Hz updates (zeros are no reading), as BrainFlow reports them")
    func accelerometerHeld() {
        let reading: [UInt8] = [0x00, 0x10, 0xFF, 0xE0, 0x20, 0x00]  // 16, −32, 8192 counts
        let zeros: [UInt8] = [0, 0, 0, 0, 0, 0]
        let out = decode([cytonPacket(1, counts: Self.counts, aux: zeros), cytonPacket(2, counts: Self.counts, aux: reading),
                          cytonPacket(3, counts: Self.counts, aux: zeros)])
        #expect(out.accelerometer == [nil, Accelerometer(x: 0.002, y: -0.004, z: 1.024), nil])
        #expect(out.held == [.zero, Accelerometer(x: 0.002, y: -0.004, z: 1.024), Accelerometer(x: 0.002, y: -0.004, z: 1.024)])
    }

    @Test("0xC1/0xC2 raw aux: three big-endian 16-bit words; 0xC5/0xC6: one word and the board's uint32 ms clock")
    func rawAux() {
        let words: [UInt8] = [0x03, 0xFF, 0x00, 0x01, 0x80, 0x00]  // 1023, 1, 32768
        let timed: [UInt8] = [0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF]  // 0x1234, then 3,735,928,559 ms
        let out = decode([cytonPacket(1, counts: Self.counts, aux: words, footer: 0xC1), cytonPacket(2, counts: Self.counts, aux: words, footer: 0xC2),
                          cytonPacket(3, counts: Self.counts, aux: timed, footer: 0xC5), cytonPacket(4, counts: Self.counts, aux: timed, footer: 0xC6)])
        #expect(out.aux.map(\.raw) == [SIMD3(1023, 1, 32768), SIMD3(1023, 1, 32768), SIMD3(0x1234, 0, 0), SIMD3(0x1234, 0, 0)])
        #expect(out.aux.map(\.boardTime) == [nil, nil, 3_735_928_559, 3_735_928_559])
        #expect(out.aux.map(\.footer) == [0xC1, 0xC2, 0xC5, 0xC6])
        #expect(out.accelerometer == [nil, nil, nil, nil] && out.held.allSatisfy { $0 == .zero })
    }

    /// The firmware sends X on board counter % 10 = 7, Y on 8, Z on 9 (zeros otherwise),
    /// then its clock. Counters 250…255, 0…9 unwrap to 250…265: counter 257 (byte 1) is X.
    @Test("0xC3/0xC4: one axis per packet chosen by the unwrapped board counter, and the board's clock")
    func timeStampedAccelerometer() {
        func packet(_ number: Int, _ counts: Int16, footer: UInt8 = 0xC4) -> [UInt8] {
            let u = UInt16(bitPattern: counts), time = UInt32(100_000 + number)
            return cytonPacket(UInt8(number % 256), counts: Self.counts,
                               aux: [UInt8(u >> 8), UInt8(u & 0xFF), UInt8(time >> 24), UInt8((time >> 16) & 0xFF), UInt8((time >> 8) & 0xFF), UInt8(time & 0xFF)],
                               footer: footer)
        }
        var stream = packet(250, 0, footer: 0xC3)
        for n in 251..<257 { stream += packet(n, 0) }
        stream += packet(257, -16) + packet(258, 32) + packet(259, 8192) + packet(260, 0)
        let out = decode([stream])
        #expect(out.frames.count == 11 && out.aux[0].footer == 0xC3)
        #expect(out.aux.map(\.boardTime) == (250...260).map { UInt32(100_000 + $0) })
        #expect(out.aux[7].accelerometerAxis?.axis == 0 && out.aux[7].accelerometerAxis?.g == -0.002)
        #expect(out.aux[8].accelerometerAxis?.axis == 1 && out.aux[8].accelerometerAxis?.g == 0.004)
        #expect(out.aux[9].accelerometerAxis?.axis == 2 && out.aux[9].accelerometerAxis?.g == 1.024)
        #expect(out.aux[10].accelerometerAxis == nil && out.aux[6].accelerometerAxis == nil)
        #expect(out.held[6] == .zero && out.held[7] == Accelerometer(x: -0.002, y: 0, z: 0))
        #expect(out.held[10] == Accelerometer(x: -0.002, y: 0.004, z: 1.024))
    }

    @Test("Daisy: a reading in the board half is kept for the pair's frame")
    func daisyAccelerometer() {
        let reading: [UInt8] = [0x00, 0x10, 0xFF, 0xE0, 0x20, 0x00]
        let out = decode([cytonPacket(1, counts: Self.counts, aux: reading) + cytonPacket(2, counts: Self.counts)], daisy: true)
        #expect(out.frames.count == 1)
        #expect(out.accelerometer == [Accelerometer(x: 0.002, y: -0.004, z: 1.024)])
        #expect(out.held == [Accelerometer(x: 0.002, y: -0.004, z: 1.024)])
    }

    @Test("every footer 0xC0…0xC6 is accepted; 0xC7 and others are not")
    func footers() {
        var stream: [UInt8] = []
        for (i, footer) in (0xC0...0xC7).enumerated() { stream += cytonPacket(UInt8(i), counts: Self.counts, footer: UInt8(footer)) }
        let out = decode([stream])
        #expect(out.frames.map(\.0) == [0, 1, 2, 3, 4, 5, 6])
        #expect(out.skipped == 33)
    }

    static let stream: [UInt8] = (0..<6).flatMap { i in cytonPacket(UInt8(100 + i), counts: counts.map { $0 &+ Int32(i) }) }

    @Test("a stream split at every byte offset decodes to the same frames")
    func everySplit() {
        let whole = decode([Self.stream])
        #expect(whole.frames.count == 6)
        for cut in 1..<Self.stream.count {
            #expect(decode([Array(Self.stream[..<cut]), Array(Self.stream[cut...])]) == whole, "split at \(cut)")
        }
        #expect(decode(Self.stream.map { [$0] }) == whole)
    }

    @Test("garbage before and between packets is skipped and counted")
    func garbage() {
        let noise: [UInt8] = [0x01, 0xFF, 0xC0, 0x13]
        let bytes = noise + cytonPacket(1, counts: Self.counts) + noise + noise + cytonPacket(2, counts: Self.counts)
        let out = decode([bytes])
        #expect(out.frames.map(\.0) == [0, 1])
        #expect(out.skipped == 12)
        #expect(out.gaps.isEmpty)
    }

    @Test("a torn packet is dropped, the next one is found, and the lost sample is a gap")
    func tornPacket() {
        let torn = Array(cytonPacket(2, counts: Self.counts).prefix(20))
        let bytes = cytonPacket(1, counts: Self.counts) + torn + cytonPacket(3, counts: Self.counts) + cytonPacket(4, counts: Self.counts)
        let out = decode([bytes])
        #expect(out.frames.map(\.0) == [0, 2, 3])
        #expect(out.gaps.count == 1 && out.gaps[0] == (1, 2))
        #expect(out.skipped == 20)
        #expect(out.frames[1].1 == out.frames[0].1)  // the values survived the resync
    }

    @Test("a 0xA0 byte inside the data does not derail decoding")
    func headerByteInData() {
        let tricky: [Int32] = [0xA0A0A0, 0x00A0C0, 0x0000A0, 0, 0, 0, 0, 0]
        let bytes = [0xA0] + cytonPacket(1, counts: tricky) + cytonPacket(2, counts: tricky)
        let out = decode([bytes])
        #expect(out.frames.map(\.0) == [0, 1])
        #expect(out.skipped == 1)
    }

    @Test("the 8-bit sample number unwraps into an index that keeps growing")
    func wrap() {
        let numbers: [UInt8] = [253, 254, 255, 0, 1, 2]
        let out = decode([numbers.flatMap { cytonPacket($0, counts: Self.counts) }])
        #expect(out.frames.map(\.0) == [0, 1, 2, 3, 4, 5])
        #expect(out.gaps.isEmpty)
    }

    @Test("jumps in the sample number are gaps: how many, and where")
    func gaps() {
        let numbers: [UInt8] = [10, 11, 14, 15, 250, 3]
        let out = decode([numbers.flatMap { cytonPacket($0, counts: Self.counts) }])
        #expect(out.frames.map(\.0) == [0, 1, 4, 5, 240, 249])
        #expect(out.gaps.map(\.0) == [2, 234, 8])
        #expect(out.gaps.map(\.1) == [4, 240, 249])
    }

    @Test("Daisy: odd (board) and following even (Daisy) packets make one 16-channel frame")
    func daisyPairs() {
        let board: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8], daisyHalf: [Int32] = [9, 10, 11, 12, 13, 14, 15, 16]
        var bytes: [UInt8] = []
        for pair in 0..<3 {
            bytes += cytonPacket(UInt8(2 * pair + 1), counts: board.map { $0 * Int32(pair + 1) })
            bytes += cytonPacket(UInt8(2 * pair + 2), counts: daisyHalf.map { $0 * Int32(pair + 1) })
        }
        let out = decode([bytes], daisy: true)
        #expect(out.frames.map(\.0) == [0, 1, 2])
        let unit = 4.5 / 24 / Double((1 << 23) - 1) * 1_000_000
        #expect(out.frames[2].1 == (1...16).map { Float(Double($0 * 3) * unit) })
        #expect(out.gaps.isEmpty)
    }

    @Test("Daisy: a pair missing a half is a gap of one frame")
    func daisyGap() {
        let c: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8]
        // pairs (1,2) ok, (3,·) Daisy half lost, (5,6) ok, (·,8) board half lost, (9,10) ok
        let numbers: [UInt8] = [1, 2, 3, 5, 6, 8, 9, 10]
        let out = decode([numbers.flatMap { cytonPacket($0, counts: c) }], daisy: true)
        #expect(out.frames.map(\.0) == [0, 2, 4])
        #expect(out.gaps.map(\.0) == [1, 1])
        #expect(out.gaps.map(\.1) == [2, 4])
    }

    @Test("Daisy: a stream that starts with a Daisy half (the firmware's packet 0 after `b`) starts at frame 0, with no gap")
    func daisyStartsWithDaisyHalf() {
        // Found by the BrainFlow comparison: the lone first half was reported as "1 frame
        // lost before sample 1", and then frame 0 followed.
        let c: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8]
        for first: UInt8 in [0, 2, 254] {
            let numbers = (0..<5).map { first &+ UInt8($0) }   // Daisy, (board, Daisy), (board, Daisy)
            let out = decode([numbers.flatMap { cytonPacket($0, counts: c) }], daisy: true)
            #expect(out.frames.map(\.0) == [0, 1], "first packet \(first)")
            #expect(out.gaps.isEmpty, "first packet \(first): \(out.gaps)")
        }
    }
}

@Suite("Cyton commands")
struct CytonCommandTests {
    @Test("single-letter commands")
    func letters() {
        #expect(CytonCommand.startStreaming.bytes == [0x62])
        #expect(CytonCommand.stopStreaming.bytes == [0x73])
        #expect(CytonCommand.softReset.bytes == [0x76])
        #expect(CytonCommand.defaultChannelSettings.bytes == [0x64])
        #expect(CytonCommand.useDaisy(true).bytes == [0x43])
    }

    @Test("channel settings follow the x…X layout of the OpenBCI SDK")
    func channelSettings() {
        var s = CytonCommand.ChannelSettings(channel: 3)
        s.gain = .x4  // gain codes: 0 → ×1, 1 → ×2, 2 → ×4, 3 → ×6, 4 → ×8, 5 → ×12, 6 → ×24
        s.includeInBias = false
        s.connectToSRB2 = false
        // Channel 3, powered on, gain 4, normal input, no bias, no SRB2, no SRB1.
        #expect(String(decoding: CytonCommand.channelSettings(s).bytes, as: UTF8.self) == "x3020000X")
        s.gain = .x2
        #expect(String(decoding: CytonCommand.channelSettings(s).bytes, as: UTF8.self) == "x3010000X")
        #expect(String(decoding: CytonCommand.channelSettings(.init(channel: 1)).bytes, as: UTF8.self) == "x1060110X")
        var daisy = CytonCommand.ChannelSettings(channel: 9)
        daisy.poweredDown = true
        #expect(String(decoding: CytonCommand.channelSettings(daisy).bytes, as: UTF8.self) == "xQ160110X")
    }
}
