import Foundation

/// A helper program run to its end with its output captured: the interop scripts
/// (pyedflib, edfio, pyxdf, LabRecorder) the tests compare EEGKit with.
public struct ChildProcess {
    public let status: Int32
    public let stdout: Data
    public let stderr: String

    /// Runs `executable` with `arguments`; `environment` is added to the test's own.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdout = out.fileHandleForReading.readDataToEndOfFile()
        stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        status = process.terminationStatus
    }
}
