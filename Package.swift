// swift-tools-version: 6.1
// EEGKit — a Swift toolkit and command-line tool for EEG headsets.
// Module boundaries follow DESIGN.md: C stays in the system-library shims, EEGCore
// knows no I/O, and the `eeg` executable only parses and calls the library.
//
// Linux only (no `platforms:` claim): the crash-safe writer needs O_TMPFILE, linkat via
// /proc and fdatasync, devices need udev and the ftdi_sio tty, and nothing is built or
// tested on another system. EEGCore's system-call layer (FileDescriptor, SystemCall)
// is where a port would start; it stops a non-Glibc build with one clear #error.
import PackageDescription

let package = Package(
    name: "EEGKit",
    products: [
        .library(name: "EEGKit", targets: ["EEGKit"]),
        .executable(name: "eeg", targets: ["eeg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CFFTW",
            pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"])]
        ),
        .systemLibrary(
            name: "CLibUSB",
            pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]
        ),
        .target(name: "EEGCore"),
        .target(name: "EEGDSP", dependencies: ["EEGCore", "CFFTW"]),
        .target(name: "EEGDevices", dependencies: ["EEGCore", "CLibUSB"]),
        .target(name: "EEGFormats", dependencies: ["EEGCore"]),
        // The Lab Streaming Layer protocol (1.10) spoken natively: outlets, discovery, time service.
        .target(name: "EEGLSL", dependencies: ["EEGCore", "EEGFormats"]),
        .target(name: "EEGKit", dependencies: ["EEGCore", "EEGDSP", "EEGDevices", "EEGFormats", "EEGLSL"]),
        .executableTarget(
            name: "eeg",
            dependencies: [
                "EEGKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The README's library example, built so it stays true.
        .executableTarget(name: "stream-attention-example", dependencies: ["EEGKit"], path: "Examples/StreamAttention"),
        // Fixture lookup and comparisons shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "EEGCoreTests", dependencies: ["EEGCore"]),
        .testTarget(name: "EEGDSPTests", dependencies: ["EEGDSP", "TestSupport"]),
        .testTarget(name: "EEGDevicesTests", dependencies: ["EEGDevices", "EEGDSP", "TestSupport"]),
        .testTarget(name: "EEGFormatsTests", dependencies: ["EEGFormats", "TestSupport"]),
        .testTarget(name: "EEGKitTests", dependencies: ["EEGKit", "TestSupport"]),
        .testTarget(name: "EEGLSLTests", dependencies: ["EEGLSL", "EEGFormats", "TestSupport"]),
    ]
)
