import Foundation

/// The scripted mental states of the simulated headset. Each lasts `phaseSeconds`; the
/// session starts with a neutral baseline of `baselineSeconds` (the calibration period),
/// then alternates focused and relaxed.
public enum SimulatedState: String, Sendable {
    case baseline, focused, relaxed
}

/// A deterministic EEG-like signal: a 1/f background, an alpha rhythm near 10 Hz
/// strongest at the back of the head, theta and beta activity, 50 Hz line noise and
/// occasional blinks on the frontal channels. Scripted phases move the band powers the
/// way focus and relaxation do (focused: beta up, alpha and theta down; relaxed: alpha
/// up, beta down), so the engagement index and attention score visibly follow.
///
/// The same seed gives the same samples, whatever the block sizes asked for. No
/// allocation after `init`.
public struct SimulatedSignal: Sendable {
    public let channelCount: Int
    public let sampleRate: Double
    public let seed: UInt64
    public var baselineSeconds = 60.0
    public var phaseSeconds = 30.0
    public var lineFrequency = 50.0

    /// The default 8-channel montage (OpenBCI's default cap positions).
    public static let defaultLabels = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"]

    private var index: Int64 = 0
    private var random: UInt64
    private var pink: [PinkNoise]
    private let alphaFrequency: [Double]
    private let alphaWeight: [Double]   // posterior channels carry more alpha
    private let blinkWeight: [Double]   // frontal channels carry blinks
    private var blinkStart: Int64 = -1
    private var nextBlink: Int64

    public init(channelCount: Int = 8, sampleRate: Double = 250, seed: UInt64 = 1) {
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.seed = seed
        random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        pink = Array(repeating: PinkNoise(), count: channelCount)
        alphaFrequency = (0..<channelCount).map { 9.5 + Double($0 % 4) * 0.3 }
        alphaWeight = (0..<channelCount).map { c in
            let position = Double(c) / Double(max(channelCount - 1, 1))  // front → back
            return 0.5 + position
        }
        blinkWeight = (0..<channelCount).map { c in c < 2 ? 1 : (c < 4 ? 0.25 : 0.05) }
        nextBlink = Int64(3 * sampleRate)
    }

    /// Labels for the channels: the default montage, then ch9, ch10, ...
    public var labels: [String] {
        (0..<channelCount).map { $0 < Self.defaultLabels.count ? Self.defaultLabels[$0] : "ch\($0 + 1)" }
    }

    /// The scripted state at `time` seconds.
    public func state(at time: Double) -> SimulatedState {
        guard time >= baselineSeconds else { return .baseline }
        return Int((time - baselineSeconds) / phaseSeconds) % 2 == 0 ? .focused : .relaxed
    }

    /// Gains of theta, alpha, beta at `time`, ramping over 2 s between phases.
    func gains(at time: Double) -> (theta: Double, alpha: Double, beta: Double) {
        func target(_ s: SimulatedState) -> (Double, Double, Double) {
            switch s {
            case .baseline: return (1, 1, 1)
            case .focused: return (0.6, 0.45, 2.4)
            case .relaxed: return (1.1, 2.0, 0.6)
            }
        }
        let now = target(state(at: time))
        let ramp = 2.0
        let previous = target(state(at: time - ramp))
        let boundary: Double
        if time < baselineSeconds { boundary = 0 } else {
            boundary = baselineSeconds + ((time - baselineSeconds) / phaseSeconds).rounded(.down) * phaseSeconds
        }
        let w = min(max((time - boundary) / ramp, 0), 1)
        return (previous.0 + (now.0 - previous.0) * w, previous.1 + (now.1 - previous.1) * w, previous.2 + (now.2 - previous.2) * w)
    }

    /// Sample index of the next frame ``generate(into:)`` writes.
    public var nextSampleIndex: Int64 { index }

    /// Writes `samples.count / channelCount` frames of interleaved µV.
    public mutating func generate(into samples: UnsafeMutableBufferPointer<Float>) {
        let frames = samples.count / channelCount
        let twoPi = 2 * Double.pi
        for f in 0..<frames {
            let t = Double(index) / sampleRate
            let g = gains(at: t)
            if index == nextBlink {
                blinkStart = index
                nextBlink = index + Int64((8 + 6 * uniform()) * sampleRate)
            }
            var blink = 0.0
            let blinkLength = 0.3 * sampleRate
            if blinkStart >= 0, Double(index - blinkStart) < blinkLength {
                let x = Double(index - blinkStart) / blinkLength
                blink = 150 * 0.5 * (1 - cos(twoPi * x))
            }
            let line = 1.5 * sin(twoPi * lineFrequency * t)
            for c in 0..<channelCount {
                let background = 6 * pink[c].next(white: gaussian())
                // Phases come from the sample index, not from accumulation, so the signal
                // does not depend on how it is cut into blocks.
                let offset = Double(c)
                let theta = 4 * g.theta * sin(twoPi * (6 + 0.2 * Double(c % 3)) * t + offset) * (1 + 0.2 * gaussian())
                let alpha = 7 * g.alpha * alphaWeight[c] * sin(twoPi * alphaFrequency[c] * t + 2 * offset) * (1 + 0.2 * gaussian())
                let beta = 2.5 * g.beta * sin(twoPi * (20 + Double(c % 5)) * t + 3 * offset) * (1 + 0.3 * gaussian())
                samples[f * channelCount + c] = Float(background + theta + alpha + beta + line + blink * blinkWeight[c])
            }
            index += 1
        }
    }

    private mutating func next() -> UInt64 {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return random &* 2_685_821_657_736_338_717
    }

    private mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    private mutating func gaussian() -> Double {
        // Box–Muller; one value per call keeps the stream simple and deterministic.
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Paul Kellet's economy pink-noise filter (−3 dB/octave within ±0.05 dB above ~10 Hz at
/// audio rates; here simply a 1/f-like background).
struct PinkNoise: Sendable {
    private var b0 = 0.0, b1 = 0.0, b2 = 0.0
    mutating func next(white: Double) -> Double {
        b0 = 0.99765 * b0 + white * 0.0990460
        b1 = 0.96300 * b1 + white * 0.2965164
        b2 = 0.57000 * b2 + white * 1.0526913
        return (b0 + b1 + b2 + white * 0.1848) * 0.3
    }
}
