/// How one signal's digital samples become physical values: (d − dmin)·gain + pmin in
/// double precision, rounded once to `Float` — the EDF specification's formula, computed
/// as MNE, pyedflib and edfio compute it, and as ``EDFSignal/physical(_:)`` does. Every
/// read path decodes through ``SampleDecoding`` with this, so all give identical floats.
struct SampleScale {
    let digitalMinimum: Double
    let gain: Double
    let physicalMinimum: Double

    init(_ signal: EDFSignal) {
        digitalMinimum = Double(signal.digitalMinimum)
        gain = signal.gain
        physicalMinimum = signal.physicalMinimum
    }

    /// One sample, in the order the specification writes it: the subtraction is exact
    /// (integers below 2^53), then one rounding for the product, one for the sum and one
    /// to `Float`.
    @inline(__always)
    func physical(_ digital: Int32) -> Float {
        Float((Double(digital) - digitalMinimum) * gain + physicalMinimum)
    }

    /// Two samples given as d − dmin (already exact): the same product, sum and rounding
    /// to `Float` as ``physical(_:)``, lane by lane, so the floats are identical.
    @inline(__always)
    func physical(offset: SIMD2<Double>) -> SIMD2<Float> {
        SIMD2<Float>(offset * gain + physicalMinimum)
    }
}

/// Decoding a signal's run of little-endian samples (16-bit EDF, 24-bit BDF) from a data
/// record into floats: a streaming pass over contiguous bytes, four samples at a time in
/// vector registers, every operation exact or rounding as the one-sample formula does.
///
/// Allocation: none. Threading: pure functions of their arguments.
enum SampleDecoding {
    /// Decodes `count` samples starting at `bytes` into `destination[0]`,
    /// `destination[stride]`, `destination[2·stride]`, …
    ///
    /// `bytes` must hold `count × flavor.bytesPerSample` bytes (no more are read).
    @inline(__always)
    static func decode(_ flavor: EDFFlavor, _ bytes: UnsafeRawPointer, count: Int, scale: SampleScale,
                       into destination: UnsafeMutablePointer<Float>, stride: Int) {
        switch (flavor, stride) {
        case (.edf, 1): decode16(bytes, count: count, scale: scale, into: destination, stride: 1)
        case (.edf, _): decode16(bytes, count: count, scale: scale, into: destination, stride: stride)
        case (.bdf, 1): decode24(bytes, count: count, scale: scale, into: destination, stride: 1)
        case (.bdf, _): decode24(bytes, count: count, scale: scale, into: destination, stride: stride)
        }
    }

    /// 2^52 as a double's bits: the double whose bits are `exponent | u`, for an integer
    /// u below 2^52, is exactly 2^52 + u. A sample in offset binary (two's complement
    /// with its sign bit flipped: u = d + 2^(bits−1)) becomes the double 2^52 + d +
    /// 2^(bits−1) with integer operations alone, and subtracting 2^52 + 2^(bits−1) + dmin
    /// leaves d − dmin — exactly, as every value involved is an integer below 2^53. That is
    /// the value `Double(d) − dmin` gives, without a scalar integer-to-double conversion
    /// (x86-64's baseline vector set has none for 24-bit lanes).
    private static let exponent: UInt64 = 0x4330_0000_0000_0000

    /// 16-bit two's complement, little-endian.
    @inline(__always)
    private static func decode16(_ bytes: UnsafeRawPointer, count: Int, scale: SampleScale,
                                 into destination: UnsafeMutablePointer<Float>, stride: Int) {
        let bias = 0x1p52 + 0x1p15 + scale.digitalMinimum
        let high = UInt32(truncatingIfNeeded: exponent >> 32)
        var i = 0
        while i &+ 4 <= count {
            let u = SIMD4<UInt32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: i &* 2, as: SIMD4<UInt16>.self)) ^ 0x8000
            let low = unsafeBitCast(SIMD4<UInt32>(u[0], high, u[1], high), to: SIMD2<Double>.self) - bias
            let upper = unsafeBitCast(SIMD4<UInt32>(u[2], high, u[3], high), to: SIMD2<Double>.self) - bias
            store(scale.physical(offset: low), scale.physical(offset: upper), at: destination + i &* stride, stride: stride)
            i &+= 4
        }
        while i < count {
            destination[i &* stride] = scale.physical(Int32(bytes.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self)))
            i &+= 1
        }
    }

    /// 24-bit two's complement, little-endian. Each sample is loaded as 8 bytes from its
    /// first, of which the low 3 are kept; the loads reach 5 bytes past a sample, so the
    /// vector loop stops while two more samples follow the four it converts.
    @inline(__always)
    private static func decode24(_ bytes: UnsafeRawPointer, count: Int, scale: SampleScale,
                                 into destination: UnsafeMutablePointer<Float>, stride: Int) {
        let bias = 0x1p52 + 0x1p23 + scale.digitalMinimum
        let sample = SIMD2<UInt64>(repeating: 0xFF_FFFF), offsetBinary = SIMD2<UInt64>(repeating: exponent | 0x80_0000)
        var i = 0
        while i &+ 6 <= count {
            let p = bytes + i &* 3
            let first = SIMD2<UInt64>(p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 3, as: UInt64.self))
            let second = SIMD2<UInt64>(p.loadUnaligned(fromByteOffset: 6, as: UInt64.self), p.loadUnaligned(fromByteOffset: 9, as: UInt64.self))
            let low = unsafeBitCast((first & sample) ^ offsetBinary, to: SIMD2<Double>.self) - bias
            let upper = unsafeBitCast((second & sample) ^ offsetBinary, to: SIMD2<Double>.self) - bias
            store(scale.physical(offset: low), scale.physical(offset: upper), at: destination + i &* stride, stride: stride)
            i &+= 4
        }
        while i < count {
            let p = bytes + i &* 3
            let top = UInt32(p.load(as: UInt8.self)) << 8 | UInt32(p.load(fromByteOffset: 1, as: UInt8.self)) << 16
                | UInt32(p.load(fromByteOffset: 2, as: UInt8.self)) << 24
            destination[i &* stride] = scale.physical(Int32(bitPattern: top) >> 8)
            i &+= 1
        }
    }

    /// Four consecutive samples: one vector store when they are contiguous.
    @inline(__always)
    private static func store(_ low: SIMD2<Float>, _ high: SIMD2<Float>, at destination: UnsafeMutablePointer<Float>, stride: Int) {
        if stride == 1 {
            UnsafeMutableRawPointer(destination).storeBytes(of: SIMD4<Float>(lowHalf: low, highHalf: high), as: SIMD4<Float>.self)
        } else {
            destination[0] = low[0]
            destination[stride] = low[1]
            destination[stride &* 2] = high[0]
            destination[stride &* 3] = high[1]
        }
    }
}
