import Dispatch
import Foundation

/// The DSP benchmark task: for each channel, consecutive 4 s epochs, Welch PSD with 2 s
/// Hann segments and 50 % overlap, five band powers per epoch — on deterministic
/// EEG-like data (1/f-ish background, alpha, line noise, DC offset).
///
/// Samples are stored channel-major (each channel contiguous), the layout a C program
/// would use, and ``withSamples(_:)`` exposes them so a reference implementation can run
/// on the very same buffer.
public final class EpochBandpowerWorkload: @unchecked Sendable {
    // @unchecked Sendable: the samples are written once in init and only read after.
    public let channels: Int
    public let sampleRate: Double
    /// Samples per channel.
    public let frames: Int
    public let epochFrames: Int
    public let welch: WelchParameters
    private let samples: UnsafeMutablePointer<Float>

    public init(channels: Int, sampleRate: Double, seconds: Double, seed: UInt64 = 42) throws(DSPError) {
        self.channels = channels
        self.sampleRate = sampleRate
        frames = Int(seconds * sampleRate)
        epochFrames = Int((4 * sampleRate).rounded())
        welch = try WelchParameters(sampleRate: sampleRate)
        _ = try BandIntegrator(bands: .standard, parameters: welch)
        samples = .allocate(capacity: channels * frames)
        var state = seed | 1
        for c in 0..<channels {
            var pink = 0.0
            let alpha = 9 + Double(c % 5) * 0.5
            for i in 0..<frames {
                // xorshift64* → uniform in [-1, 1)
                state ^= state >> 12; state ^= state << 25; state ^= state >> 27
                let u = Double((state &* 2_685_821_657_736_338_717) >> 11) / Double(1 << 53) * 2 - 1
                pink = 0.98 * pink + u
                let t = Double(i) / sampleRate
                samples[c * frames + i] = Float(800 + 5 * pink + 8 * sin(2 * .pi * alpha * t) + 2 * sin(2 * .pi * 50 * t))
            }
        }
    }

    deinit { samples.deallocate() }

    /// Epochs per channel.
    public var epochCount: Int { frames / epochFrames }

    /// The channel-major samples (`channels × frames`).
    public func withSamples<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: samples, count: channels * frames))
    }

    /// Runs the task on `threads` threads (channels split between them) and returns the
    /// sum of all band powers, µV², as a checksum.
    public func run(threads: Int = 1) -> Double {
        let workers = max(1, min(threads, channels))
        // Each worker writes only its own slot, and concurrentPerform returns after all of
        // them finish, so the unchecked sharing is safe.
        nonisolated(unsafe) let partial = UnsafeMutablePointer<Double>.allocate(capacity: workers)
        partial.initialize(repeating: 0, count: workers)
        defer { partial.deallocate() }
        let body: @Sendable (Int) -> Void = { worker in
            var sum = 0.0
            let estimator = WelchEstimator(self.welch)
            let integrator = try! BandIntegrator(bands: .standard, parameters: self.welch)
            let psd = UnsafeMutableBufferPointer<Double>.allocate(capacity: self.welch.binCount)
            let powers = UnsafeMutableBufferPointer<Double>.allocate(capacity: 5)
            defer { psd.deallocate(); powers.deallocate() }
            var c = worker
            while c < self.channels {
                let channel = self.samples + c * self.frames
                for e in 0..<self.epochCount {
                    let epoch = UnsafeBufferPointer(start: channel + e * self.epochFrames, count: self.epochFrames)
                    _ = try? estimator.psd(samples: epoch, into: psd)
                    integrator.absolutePowers(psd: UnsafeBufferPointer(psd), into: powers)
                    for p in powers { sum += p }
                }
                c += workers
            }
            partial[worker] = sum
        }
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
        var total = 0.0
        for w in 0..<workers { total += partial[w] }
        return total
    }
}
