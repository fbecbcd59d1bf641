import Benchmark
import EEGKit

/// The DSP hot paths: one 4 s epoch of Welch + band powers, and one live-analyzer hop
/// fed from a ring. Thresholds/ commits zero mallocs for both after warm-up.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    Benchmark("welch-epoch-8ch-250hz", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let workload = try! EpochBandpowerWorkload(channels: 8, sampleRate: 250, seconds: 60)
        let estimator = WelchEstimator(workload.welch)
        let integrator = try! BandIntegrator(bands: .standard, parameters: workload.welch)
        let psd = UnsafeMutableBufferPointer<Double>.allocate(capacity: workload.welch.binCount)
        let powers = UnsafeMutableBufferPointer<Double>.allocate(capacity: 5)
        defer { psd.deallocate(); powers.deallocate() }
        workload.withSamples { samples in
            var e = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let epoch = UnsafeBufferPointer(rebasing: samples[(e * workload.epochFrames)..<((e + 1) * workload.epochFrames)])
                _ = try? estimator.psd(samples: epoch, into: psd)
                integrator.absolutePowers(psd: UnsafeBufferPointer(psd), into: powers)
                blackHole(powers[0])
                e = (e + 1) % workload.epochCount
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("live-analyzer-hop-8ch-250hz") { benchmark in
        var configuration = LiveAnalyzerConfiguration(sampleRate: 250, channelCount: 8)
        configuration.notchFrequency = 50
        let analyzer = try! LiveAnalyzer(configuration)
        let (producer, consumer) = try! FrameRing.create(channels: 8, capacity: 1024)
        let hop = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8 * 125)  // two hops' worth
        defer { hop.deallocate() }
        for i in 0..<hop.count { hop[i] = Float(i % 97) - 48 }
        var index: Int64 = 0
        var updates = 0
        // Fill the first window before measuring.
        while updates == 0 {
            producer.push(UnsafeBufferPointer(hop), firstSampleIndex: index)
            index += 125
            analyzer.drain(consumer) { _ in updates += 1 }
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            producer.push(UnsafeBufferPointer(hop), firstSampleIndex: index)
            index += 125
            analyzer.drain(consumer) { update in blackHole(update.bandPowers[0]) }
        }
        benchmark.stopMeasurement()
    }
}
