// swift-tools-version: 6.1
// EEGKit's benchmarks: a separate package so the main build stays light.
// `make bench` (in the repository root) runs everything here; CI only builds it.
import PackageDescription

let package = Package(
    name: "EEGKitBenchmarks",
    dependencies: [
        .package(name: "EEGKit", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        // Latency percentiles for the live rows (compare only; never the product).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
    ],
    targets: [
        // Hand-written C the Swift code is measured against, in the same process.
        .target(
            name: "CReference",
            cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v2"])],
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("fftw3f"), .linkedLibrary("m")]
        ),
        // The C reference as a whole process (reads the file, plans, computes, writes CSV),
        // timed beside `eeg bandpower` and `eeg analyze` by compare.
        .executableTarget(
            name: "cref-eeg",
            dependencies: ["CReference"],
            cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v2"])]
        ),
        // The Swift side of each comparison, shared by the two runners below.
        .target(
            name: "Workloads",
            dependencies: [.product(name: "EEGKit", package: "EEGKit")]
        ),
        // Side-by-side Swift/C ratios (`make bench` prints its table).
        .executableTarget(
            name: "compare",
            dependencies: [
                "Workloads", "CReference", .product(name: "EEGKit", package: "EEGKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // package-benchmark suites: throughput and allocation counts, with committed
        // thresholds in Thresholds/ (zero mallocs on the hot paths).
        .executableTarget(
            name: "RingBenchmarks",
            dependencies: [
                "Workloads",
                .product(name: "EEGKit", package: "EEGKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DSPBenchmarks",
            dependencies: [
                .product(name: "EEGKit", package: "EEGKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DSPBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
