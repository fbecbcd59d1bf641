// swift-tools-version: 6.1
// EEGKit's libFuzzer targets: a separate package (like Benchmarks/) so the main build
// stays free of sanitizer flags. Build and run them with `make fuzz` (see Fuzz/run);
// every target is an executable whose only entry point is `LLVMFuzzerTestOneInput`.
import PackageDescription

let package = Package(
    name: "EEGKitFuzz",
    dependencies: [.package(name: "EEGKit", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzCyton", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzCytonSD", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzFTDI", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzEDF", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzTAL", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzSampleReaders", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzArguments", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzEscaping", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzXDF", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzLSLRequests", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzShardLine", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
        .executableTarget(name: "FuzzShardFile", dependencies: ["FuzzSupport", .product(name: "EEGKit", package: "EEGKit")]),
    ]
)
