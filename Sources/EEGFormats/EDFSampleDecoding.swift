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
    /// (integers below 2^25), then one rounding for the product, one for the sum and one
    /// to `Float`. The vector kernels below do the same operations in the same order, lane
    /// by lane, so they round identically.
    @inline(__always)
    func physical(_ digital: Int32) -> Float {
        Float((Double(digital) - digitalMinimum) * gain + physicalMinimum)
    }

    /// Two samples at once: the same three operations per lane as ``physical(_:)``.
    @inline(__always)
    func physical(_ digital: SIMD2<Int32>) -> SIMD2<Float> {
        SIMD2<Float>((SIMD2<Double>(digital) - digitalMinimum) * gain + physicalMinimum)
    }
}

/// Decoding a signal's run of little-endian samples (16-bit EDF, 24-bit BDF) from a data
/// record into floats: a streaming pass over contiguous bytes, four samples at a time.
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

    /// 16-bit two's complement, little-endian.
    @inline(__always)
    private static func decode16(_ bytes: UnsafeRawPointer, count: Int, scale: SampleScale,
                                 into destination: UnsafeMutablePointer<Float>, stride: Int) {
        var i = 0
        while i &+ 4 <= count {
            let digital = SIMD4<Int32>(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: i &* 2, as: SIMD4<Int16>.self))
            store(scale.physical(digital.lowHalf), scale.physical(digital.highHalf), at: destination + i &* stride, stride: stride)
            i &+= 4
        }
        while i < count {
            destination[i &* stride] = scale.physical(Int32(bytes.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self)))
            i &+= 1
        }
    }

    /// 24-bit two's complement, little-endian. Four samples are 12 bytes: two 8-byte loads
    /// (bytes 0–7 and 6–13) each hold two samples, moved to the top of 32-bit lanes and
    /// shifted back down arithmetically, which sign-extends them. The loads reach two bytes
    /// past the four samples, so the vector loop stops while a fifth sample follows.
    @inline(__always)
    private static func decode24(_ bytes: UnsafeRawPointer, count: Int, scale: SampleScale,
                                 into destination: UnsafeMutablePointer<Float>, stride: Int) {
        var i = 0
        while i &+ 5 <= count {
            let p = bytes + i &* 3
            let pairs = SIMD2<UInt64>(p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
            let even = unsafeBitCast(pairs &<< 8, to: SIMD4<Int32>.self)   // lanes 0, 2: samples 0, 2 at the top
            let odd = unsafeBitCast(pairs &>> 16, to: SIMD4<Int32>.self)   // lanes 0, 2: samples 1, 3 at the top
            let low = SIMD2<Int32>(even[0], odd[0]) &>> 8, high = SIMD2<Int32>(even[2], odd[2]) &>> 8
            store(scale.physical(low), scale.physical(high), at: destination + i &* stride, stride: stride)
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
