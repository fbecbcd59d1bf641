import Benchmark
import EEGCore
import EEGDevices
import Workloads

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

    // The device thread's work per USB packet: decode Cyton bytes, push frames.
    Benchmark("cyton-decode-push-62-bytes", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let workload = CytonDecodeWorkload(packets: 10_000)
        let (producer, consumer) = try! FrameRing.create(channels: 8, capacity: 4096)
        var decoder = CytonDecoder()
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8 * 4096)
        let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 4096)
        defer { out.deallocate(); indices.deallocate() }
        workload.bytes.withUnsafeBytes { all in
            var offset = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                if offset + 62 > all.count { offset = 0 }
                decoder.decode(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + 62)])) { event in
                    if case .frame(let index, let samples, _) = event { producer.push(frame: samples, sampleIndex: index) }
                }
                offset += 62
                if producer.freeFrameCount < 64 { blackHole(consumer.pop(into: out, sampleIndices: indices)) }
            }
            benchmark.stopMeasurement()
        }
    }
}
