import EEGCore

/// The signals an ``EDFWriter`` records at a fraction of the frame rate (a Cyton's
/// accelerometer at 25 Hz beside EEG at 250 Hz), one record's worth at a time: signal
/// `a` keeps one sample per `framesPerSample[a]` frames, the value at the last frame of
/// each block (the device holds its value between updates, so that is the newest).
///
/// Owns one buffer, allocated at `init`; storing allocates nothing.
struct EDFAuxiliaryTracks {
    let signals: [EDFSignal]
    private let framesPerSample: [Int]
    private let offsets: [Int]
    private let digital: UnsafeMutablePointer<Int32>
    private let total: Int
    private(set) var clippedSamples = 0

    var count: Int { signals.count }

    /// - Throws: ``EDFError/invalidSpec(_:)`` when a signal's blocks do not divide a record.
    init(_ signals: [EDFSignal], framesPerSample: [Int], framesPerRecord: Int) throws(EDFError) {
        for (signal, frames) in zip(signals, framesPerSample) where frames < 1 || framesPerRecord % frames != 0 {
            throw .invalidSpec("aux signal \(signal.label): \(frames) frames per sample does not divide the \(framesPerRecord) frames of a record")
        }
        var offsets: [Int] = [], offset = 0
        for frames in framesPerSample {
            offsets.append(offset)
            offset += framesPerRecord / frames
        }
        self.signals = signals.enumerated().map { i, s in
            var s = s
            s.samplesPerRecord = framesPerRecord / framesPerSample[i]
            return s
        }
        self.framesPerSample = framesPerSample
        self.offsets = offsets
        total = offset
        digital = .allocate(capacity: max(1, offset))
        digital.initialize(repeating: 0, count: max(1, offset))
    }

    func deallocate() { digital.deallocate() }

    /// Bytes of one record's aux samples.
    func recordBytes(bytesPerSample: Int) -> Int { total * bytesPerSample }

    /// Takes frame `frame`'s values (`values[frame * count + a]`) at record position
    /// `position` (0 ..< frames per record): kept where it ends a block.
    @inline(__always)
    mutating func store(_ values: UnsafeBufferPointer<Float>, frame: Int, at position: Int) {
        for a in 0..<signals.count where (position + 1) % framesPerSample[a] == 0 {
            let value = values[frame * signals.count + a]
            let (d, clipped) = value.isFinite ? signals[a].digital(value) : (signals[a].digital(0).0, true)
            digital[offsets[a] + position / framesPerSample[a]] = d
            if clipped { clippedSamples += 1 }
        }
    }

    /// Zero (filler) for record positions `from ..< from + count`.
    func fillZero(from: Int, count: Int) {
        for a in 0..<signals.count {
            let k = framesPerSample[a]
            let first = from / k, last = (from + count + k - 1) / k
            guard last > first else { continue }
            (digital + offsets[a] + first).update(repeating: signals[a].digital(0).0, count: last - first)
        }
    }

    /// Writes one record's aux samples at `offset`, as `flavor` stores samples.
    func encode(into out: UnsafeMutableRawPointer, offset: inout Int, flavor: EDFFlavor) {
        flavor.store(digital, count: total, into: out, at: &offset)
    }
}

extension EDFFlavor {
    /// Writes `count` digital samples at `offset` in `out` as the format stores them
    /// (little-endian two's complement, 2 or 3 bytes each), advancing `offset`.
    @inline(__always)
    func store(_ values: UnsafePointer<Int32>, count: Int, into out: UnsafeMutableRawPointer, at offset: inout Int) {
        for i in 0..<count {
            let v = UInt32(bitPattern: values[i])
            out.storeBytes(of: UInt8(v & 0xFF), toByteOffset: offset, as: UInt8.self)
            out.storeBytes(of: UInt8((v >> 8) & 0xFF), toByteOffset: offset + 1, as: UInt8.self)
            if bytesPerSample == 3 { out.storeBytes(of: UInt8((v >> 16) & 0xFF), toByteOffset: offset + 2, as: UInt8.self) }
            offset += bytesPerSample
        }
    }
}
