import Foundation
import Testing

/// The LSL interop tests' peers: liblsl through pylsl and mne-lsl in `make interop-deps`'s
/// virtual environment, the inlet script, and the machine-scope lsl_api.cfg every test
/// process gets through LSLAPICFG (discovery and data stay on loopback).
public enum LSLInterop {
    public static let repository = Fixtures.root.deletingLastPathComponent()
    public static let python = repository.appendingPathComponent(".build-interop/venv/bin/python").path
    public static let inletScript = repository.appendingPathComponent("Tests/interop/lsl_inlet.py").path
    public static let configuration = repository.appendingPathComponent("Tests/interop/lsl_api_machine.cfg").path

    /// Whether the virtual environment exists; otherwise prints a visible skip (and
    /// records an issue under CI=true, where it must exist).
    public static func available(_ what: String) -> Bool {
        if FileManager.default.isExecutableFile(atPath: python) { return true }
        let message = "SKIPPED \(what): no \(python) (run `make interop-deps`)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("\(message)") } else { print(message) }
        return false
    }
}
