import EEGCore

/// What the decoder found in the byte stream, handed to the caller as it is decoded.
/// Buffers inside are valid only during the callback.
public enum CytonEvent {
    /// A complete frame: `samples` holds 8 (or 16 with Daisy) values in µV; `aux` what the
    /// packet's aux bytes held (with Daisy: the Daisy half's, with an accelerometer
    /// reading from either half) and the latest accelerometer reading.
    case frame(sampleIndex: Int64, samples: UnsafeBufferPointer<Float>, aux: CytonAux)
    /// Samples the board sent that never arrived (cause ``SampleLossCause/notReceived``).
    case gap(FrameGap)
    /// Bytes thrown away while looking for the next packet (garbage or a torn packet).
    case skipped(bytes: Int)
}

/// Turns the Cyton's byte stream into frames in µV: pure (bytes in, events out), no I/O,
/// no allocation after `init`.
///
/// - Resynchronises after garbage or a torn packet: a packet must start with 0xA0 and
///   end, 33 bytes later, with a footer 0xC0…0xC6; otherwise the decoder looks for the
///   next 0xA0 after the bad start, so a real packet inside the rejected bytes is not
///   lost.
/// - Unwraps the 8-bit sample number into a sample index that only grows, and reports
///   every jump as a ``CytonEvent/gap(count:beforeSampleIndex:)``.
/// - Decodes each packet's aux bytes by its footer (``CytonAux``) and holds the last
///   accelerometer reading (``CytonAux/heldAccelerometer``), as BrainFlow does.
/// - Daisy: odd sample numbers carry the board's channels 1–8, the following even ones
///   the Daisy's 9–16; each pair becomes one 16-channel frame whose index is the pair
///   number. A pair missing either half is a gap of one frame.
public struct CytonDecoder {
    public let daisy: Bool
    /// Channels per emitted frame (8, or 16 with Daisy).
    public var channelCount: Int { daisy ? 16 : 8 }
    private let scale: [Double]  // µV per count, per channel (up to 16)

    private var packet = [UInt8](repeating: 0, count: Cyton.packetLength)
    private var filled = 0
    private var lastSampleNumber: UInt8?
    private var packetIndex: Int64 = -1     // unwrapped index of the last packet
    private var frame = [Float](repeating: 0, count: 16)
    private var boardHalfIndex: Int64?       // packet index of a pending odd (board) packet
    private var lastFrameIndex: Int64 = -1
    private var skippedBytes = 0
    private var firstNumber: Int64 = 0
    private var held = HeldAccelerometer()
    private var boardHalfReading: Accelerometer?  // a reading in the pending board half
    private var boardHalfRaw: SIMD3<UInt16>?      // the pending board half's raw aux words

    /// - Parameter gains: the programmable gain of each channel (8, or 16 with Daisy);
    ///   default 24 for all.
    public init(daisy: Bool = false, gains: [Double]? = nil) {
        self.daisy = daisy
        let count = daisy ? 16 : 8
        let gains = gains ?? Array(repeating: Cyton.defaultGain, count: count)
        precondition(gains.count == count, "one gain per channel (\(count))")
        scale = gains.map { Cyton.microvoltsPerCount(gain: $0) }
    }

    /// Decodes `bytes`, calling `handle` for every event, in stream order.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, _ handle: (CytonEvent) -> Void) {
        for byte in bytes { consume(byte, handle) }
        flushSkipped(handle)
    }

    /// Convenience for tests and small inputs.
    public mutating func decode(_ bytes: [UInt8], _ handle: (CytonEvent) -> Void) {
        bytes.withUnsafeBytes { decode($0, handle) }
    }

    @inline(__always)
    private mutating func consume(_ byte: UInt8, _ handle: (CytonEvent) -> Void) {
        if filled == 0 {
            guard byte == Cyton.header else {
                skippedBytes += 1
                return
            }
        }
        packet[filled] = byte
        filled += 1
        guard filled == Cyton.packetLength else { return }
        if Cyton.footers.contains(packet[32]) {
            flushSkipped(handle)
            emitPacket(handle)
            filled = 0
        } else {
            resynchronise()
        }
    }

    /// The 33 bytes are not a packet: drop the first byte and restart from the next
    /// 0xA0 inside them.
    private mutating func resynchronise() {
        var next = 1
        while next < Cyton.packetLength && packet[next] != Cyton.header { next += 1 }
        skippedBytes += next
        let keep = Cyton.packetLength - next
        for i in 0..<keep { packet[i] = packet[next + i] }
        filled = keep
    }

    private mutating func flushSkipped(_ handle: (CytonEvent) -> Void) {
        if skippedBytes > 0 {
            handle(.skipped(bytes: skippedBytes))
            skippedBytes = 0
        }
    }

    private mutating func emitPacket(_ handle: (CytonEvent) -> Void) {
        let number = packet[1]
        var missingPackets: Int64 = 0
        if let last = lastSampleNumber {
            var delta = Int64(number &- last)
            if delta == 0 { delta = 256 }  // a whole counter cycle is the only consistent reading
            missingPackets = delta - 1
            packetIndex += delta
        } else {
            packetIndex = 0
            firstNumber = Int64(number)
        }
        lastSampleNumber = number
        var aux = packet.withUnsafeBufferPointer { CytonAux.decode($0, boardCounter: firstNumber + packetIndex) }
        held.update(aux)
        aux.heldAccelerometer = held.value

        if !daisy {
            if missingPackets > 0 { handle(.gap(FrameGap(frames: Int(missingPackets), beforeSampleIndex: packetIndex))) }
            readChannels(into: 0)
            lastFrameIndex = packetIndex
            frame.withUnsafeBufferPointer { f in
                handle(.frame(sampleIndex: packetIndex, samples: UnsafeBufferPointer(rebasing: f[0..<8]), aux: aux))
            }
            return
        }

        // Daisy: the frame index is the pair number; board packets carry odd numbers.
        let isBoard = number % 2 == 1
        if isBoard {
            if boardHalfIndex != nil { reportDaisyGap(upTo: packetIndex, handle) }
            readChannels(into: 0)
            boardHalfIndex = packetIndex
            boardHalfReading = aux.accelerometer
            boardHalfRaw = aux.raw
        } else if let board = boardHalfIndex, board == packetIndex - 1 {
            readChannels(into: 8)
            let frameIndex = (packetIndex - 1) / 2
            if frameIndex > lastFrameIndex + 1 {
                handle(.gap(FrameGap(frames: Int(frameIndex - lastFrameIndex - 1), beforeSampleIndex: frameIndex)))
            }
            lastFrameIndex = frameIndex
            boardHalfIndex = nil
            if aux.accelerometer == nil { aux.accelerometer = boardHalfReading }
            aux.boardHalfRaw = boardHalfRaw
            frame.withUnsafeBufferPointer { f in
                handle(.frame(sampleIndex: frameIndex, samples: f, aux: aux))
            }
        } else {
            // A Daisy half without its board half: that pair is lost.
            boardHalfIndex = nil
            reportDaisyGap(upTo: packetIndex, handle)
        }
    }

    /// Reports the frames lost before pair `(index - 1) / 2 + 1` when a pair could not be
    /// completed, keeping the frame index monotonic.
    private mutating func reportDaisyGap(upTo index: Int64, _ handle: (CytonEvent) -> Void) {
        // The pair a Daisy half at `index` closes; a Daisy half that is the stream's very
        // first packet (the firmware's packet 0 after `b`) closes pair −1, before the
        // stream: nothing was lost. (Integer division truncates −1 / 2 to 0.)
        let frameIndex = index >= 1 ? (index - 1) / 2 : -1
        let next = index % 2 == 1 ? (index - 1) / 2 : frameIndex + 1
        if next > lastFrameIndex + 1 {
            handle(.gap(FrameGap(frames: Int(next - lastFrameIndex - 1), beforeSampleIndex: next)))
            lastFrameIndex = next - 1
        }
    }

    @inline(__always)
    private mutating func readChannels(into offset: Int) {
        for c in 0..<8 {
            let i = 2 + 3 * c
            // 24-bit big-endian two's complement, sign-extended through Int32.
            let raw = Int32(bitPattern: UInt32(packet[i]) << 24 | UInt32(packet[i + 1]) << 16 | UInt32(packet[i + 2]) << 8) >> 8
            frame[offset + c] = Cyton.microvolts(counts: raw, perCount: scale[offset + c])
        }
    }
}
