import Foundation

/// What is removed from each segment before windowing (scipy's `detrend`).
public enum Detrend: String, Sendable, Hashable {
    /// Nothing.
    case none
    /// The segment's mean (scipy's default, `'constant'`).
    case constant
    /// The least-squares straight line through the segment (`'linear'`).
    case linear
}

/// The parameters of a Welch power spectral density estimate, with scipy's names and
/// defaults (`scipy.signal.welch`): periodic window, `noverlap = nperseg / 2`, constant
/// detrend, density scaling (µV²/Hz for µV input), one-sided, mean average.
public struct WelchParameters: Sendable, Hashable {
    /// Samples per second, Hz.
    public let sampleRate: Double
    /// Samples per segment (`nperseg`).
    public let segmentLength: Int
    /// Samples shared by consecutive segments (`noverlap`).
    public let overlap: Int
    public let window: WindowFunction
    public let detrend: Detrend

    /// - Parameters:
    ///   - segmentLength: defaults to 2 s of samples (DESIGN.md), rounded.
    ///   - overlap: defaults to `segmentLength / 2`.
    /// - Throws: ``DSPError`` for a non-positive rate, a segment shorter than 2 samples,
    ///   or an overlap outside `0..<segmentLength`.
    public init(
        sampleRate: Double, segmentLength: Int? = nil, overlap: Int? = nil,
        window: WindowFunction = .hann, detrend: Detrend = .constant
    ) throws(DSPError) {
        guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidSampleRate(sampleRate) }
        let length = segmentLength ?? Int((2 * sampleRate).rounded())
        guard length >= 2 else { throw .invalidSegmentLength(length) }
        let overlap = overlap ?? length / 2
        guard overlap >= 0, overlap < length else { throw .invalidOverlap(overlap: overlap, segmentLength: length) }
        self.sampleRate = sampleRate
        self.segmentLength = length
        self.overlap = overlap
        self.window = window
        self.detrend = detrend
    }

    /// Samples between the starts of consecutive segments.
    public var step: Int { segmentLength - overlap }
    /// Frequency bins of the one-sided spectrum: `segmentLength / 2 + 1`.
    public var binCount: Int { segmentLength / 2 + 1 }
    /// Bin spacing Δf, Hz.
    public var frequencyResolution: Double { sampleRate / Double(segmentLength) }

    /// The frequency of bin `k`, Hz, computed as numpy's `rfftfreq` does (so band edges
    /// select exactly the bins scipy selects).
    public func frequency(ofBin k: Int) -> Double {
        Double(k) * (1.0 / (Double(segmentLength) * (1.0 / sampleRate)))
    }

    /// Segments Welch averages over `samples` samples: scipy's `(n - noverlap) // step`,
    /// or 0 when `samples < segmentLength`.
    public func segmentCount(forSamples samples: Int) -> Int {
        samples < segmentLength ? 0 : (samples - overlap) / step
    }
}

/// Computes Welch PSDs with one cached FFTW plan and preallocated scratch.
///
/// Create one per thread (it owns scratch buffers) and reuse it: after `init`, no call
/// allocates, locks or does I/O. The FFT runs in single precision (FFTW); detrending
/// arithmetic and the averaging of periodograms run in double precision, so long inputs
/// with large DC offsets (raw OpenBCI signals sit at thousands of µV) keep their
/// precision.
public final class WelchEstimator {
    public let parameters: WelchParameters

    private let fft: RealFFT
    private let windowValues: UnsafeMutablePointer<Float>
    private let segment: AlignedBuffer
    private let spectrum: AlignedBuffer
    // The buffers' pointers, so the per-segment path touches no class references.
    private let segmentPointer: UnsafeMutablePointer<Float>
    private let spectrumPointer: UnsafeMutablePointer<Float>
    private let accumulator: UnsafeMutablePointer<Double>
    /// Density scaling 1 / (fs · Σw²).
    private let scale: Double

    public init(_ parameters: WelchParameters, rigor: FFTPlanningRigor = .estimate, planner: FFTPlanner = .shared) {
        self.parameters = parameters
        let n = parameters.segmentLength
        fft = planner.realForward(length: n, rigor: rigor)
        let coefficients = parameters.window.coefficients(length: n)
        windowValues = .allocate(capacity: n)
        for i in 0..<n { windowValues[i] = Float(coefficients[i]) }
        // scipy scales with the window as computed (float64); Σw² in double here too.
        scale = 1 / (parameters.sampleRate * coefficients.reduce(0) { $0 + $1 * $1 })
        segment = AlignedBuffer(count: n)
        spectrum = AlignedBuffer(count: 2 * parameters.binCount)
        accumulator = .allocate(capacity: parameters.binCount)
        accumulator.initialize(repeating: 0, count: parameters.binCount)
        segmentPointer = segment.pointer
        spectrumPointer = spectrum.pointer
    }

    deinit {
        windowValues.deallocate()
        accumulator.deallocate()
    }

    /// The PSD of one channel of interleaved frames, µV²/Hz for µV input.
    ///
    /// - Parameters:
    ///   - samples: `frames × channelCount` interleaved samples (frame-major).
    ///   - channelCount: samples per frame; `channel` selects which one.
    ///   - psd: receives ``WelchParameters/binCount`` values.
    /// - Returns: the number of segments averaged.
    /// - Throws: ``DSPError/tooFewSamples(have:need:)`` when there are fewer frames than
    ///   one segment; ``DSPError/bufferSize(what:expected:actual:)`` for a wrong `psd` size.
    @discardableResult
    public func psd(
        samples: UnsafeBufferPointer<Float>, channelCount: Int = 1, channel: Int = 0,
        into psd: UnsafeMutableBufferPointer<Double>
    ) throws(DSPError) -> Int {
        precondition(channel >= 0 && channel < channelCount, "channel \(channel) out of 0..<\(channelCount)")
        let p = parameters
        guard psd.count == p.binCount else { throw .bufferSize(what: "PSD buffer", expected: p.binCount, actual: psd.count) }
        let frames = samples.count / channelCount
        guard frames >= p.segmentLength else { throw .tooFewSamples(have: frames, need: p.segmentLength) }
        return self.psd(samples.baseAddress! + channel, stride: channelCount, frames: frames, into: psd.baseAddress!)
    }

    /// The PSD of `frames` samples spaced `stride` floats apart (one channel of any
    /// layout), into ``WelchParameters/binCount`` values at `psd`; returns the number of
    /// segments averaged (0, and `psd` untouched, when `frames` is shorter than a
    /// segment). Does not allocate.
    @discardableResult
    public func psd(_ start: UnsafePointer<Float>, stride: Int, frames: Int, into psd: UnsafeMutablePointer<Double>) -> Int {
        let p = parameters
        let segments = p.segmentCount(forSamples: frames)
        guard segments > 0 else { return 0 }
        accumulator.update(repeating: 0, count: p.binCount)
        for s in 0..<segments {
            accumulateSegment(start + s * p.step * stride, stride: stride, into: accumulator)
        }
        finish(sum: accumulator, segments: segments, into: psd)
        return segments
    }

    /// Adds one segment's periodogram (unscaled |X|²) to `sum` (``WelchParameters/binCount``
    /// values), for callers that stream long signals through a fixed window of memory.
    ///
    /// `start` points at the segment's first sample; consecutive samples are `stride`
    /// floats apart. Does not allocate.
    @inline(__always)
    public func accumulateSegment(_ start: UnsafePointer<Float>, stride: Int, into sum: UnsafeMutablePointer<Double>) {
        let n = parameters.segmentLength
        let x = segmentPointer
        let w = windowValues
        // Four running sums instead of one: a single chain of dependent additions is
        // latency-bound; four independent chains keep the FPU busy.
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i &+ 4 <= n {
            s0 += Double(start[i &* stride])
            s1 += Double(start[(i &+ 1) &* stride])
            s2 += Double(start[(i &+ 2) &* stride])
            s3 += Double(start[(i &+ 3) &* stride])
            i &+= 4
        }
        while i < n {
            s0 += Double(start[i &* stride])
            i &+= 1
        }
        let total = (s0 + s1) + (s2 + s3)
        // The mean is removed in double precision before rounding to float: with the
        // thousands of µV of DC a raw board carries, float32 (x − mean) would lose digits.
        switch parameters.detrend {
        case .none:
            for i in 0..<n { x[i] = start[i &* stride] * w[i] }
        case .constant:
            let mean = total / Double(n)
            if stride == 1 {
                for i in 0..<n { x[i] = Float(Double(start[i]) - mean) * w[i] }
            } else {
                for i in 0..<n { x[i] = Float(Double(start[i &* stride]) - mean) * w[i] }
            }
        case .linear:
            // Least squares y = a + b·t with t centred on the segment.
            let centre = Double(n - 1) / 2
            var sxy = 0.0, sxx = 0.0
            for i in 0..<n {
                let t = Double(i) - centre
                sxy += t * Double(start[i &* stride])
                sxx += t * t
            }
            let mean = total / Double(n)
            let slope = sxx > 0 ? sxy / sxx : 0
            for i in 0..<n {
                x[i] = Float(Double(start[i &* stride]) - (mean + slope * (Double(i) - centre))) * w[i]
            }
        }
        fft.transform(aligned: x, into: spectrumPointer)
        let bins = parameters.binCount
        let c = spectrumPointer
        for k in 0..<bins {
            let re = Double(c[2 &* k]), im = Double(c[2 &* k &+ 1])
            sum[k] += re * re + im * im
        }
    }

    /// Turns a sum of `segments` periodograms (from ``accumulateSegment(_:stride:into:)``)
    /// into the one-sided density scipy reports. `sum` and `psd` may be the same buffer.
    @inline(__always)
    public func finish(sum: UnsafePointer<Double>, segments: Int, into psd: UnsafeMutablePointer<Double>) {
        let bins = parameters.binCount
        let factor = scale / Double(segments)
        // One-sided: every bin but DC (and Nyquist, when the length is even) carries the
        // power of its negative-frequency twin.
        let lastDoubled = parameters.segmentLength % 2 == 0 ? bins - 1 : bins
        psd[0] = sum[0] * factor
        let doubled = 2 * factor
        for k in 1..<lastDoubled { psd[k] = sum[k] * doubled }
        for k in lastDoubled..<bins { psd[k] = sum[k] * factor }
    }
}
