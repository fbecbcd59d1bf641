import Benchmark
import EEGCore

/// Ring push+pop of 8-channel frames, one at a time and in batches of 64: throughput and
/// allocations. Thresholds/ commits zero mallocs per run after warm-up.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    for batch in [1, 64] {
        // Names use no spaces or slashes: benchmark 1.38.1 writes threshold files under a
        // cleaned-up name but looks them up under the raw one.
        Benchmark("ring-push-pop-8ch-batch-\(batch)") { benchmark in
            let channels = 8
            let (producer, consumer) = try! FrameRing.create(channels: channels, capacity: 4096)
            let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
            input.initialize(repeating: 1)
            let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: batch * channels)
            let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: batch)
            defer { input.deallocate(); output.deallocate(); indices.deallocate() }
            var index: Int64 = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                producer.push(UnsafeBufferPointer(input), firstSampleIndex: index)
                blackHole(consumer.pop(into: output, sampleIndices: indices))
                index += Int64(batch)
            }
            benchmark.stopMeasurement()
        }
    }
}
