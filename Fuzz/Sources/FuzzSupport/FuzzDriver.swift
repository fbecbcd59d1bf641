import Foundation

// libFuzzer's entry point when its own `main` is not linked (libclang_rt.fuzzer_no_main):
// SwiftPM gives every executable a `main` of its own, so each target calls this from its
// top-level code instead of exporting `LLVMFuzzerTestOneInput`.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer with this process's arguments, calling `body` with each input.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}

/// A property every accepted input must have; a violation is a finding (libFuzzer saves
/// the input that caused it).
public func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// A file on tmpfs that each input is written to, for readers that take a path or a
/// file handle. Reused for every input (truncated and rewritten).
public final class ScratchFile: @unchecked Sendable {
    public let path: String

    public init(suffix: String) {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        path = "\(directory)/eegkit-fuzz-\(getpid())\(suffix)"
    }

    deinit { unlink(path) }

    /// Replaces the file's contents with `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create \(path): errno \(errno)")
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            precondition(n > 0, "cannot write \(path): errno \(errno)")
            offset += n
        }
        close(fd)
    }
}
