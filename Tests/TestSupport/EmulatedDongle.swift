import Foundation

/// The emulated Cyton dongle (Tests/umockdev/cyton_dongle.py, a dynamic umockdev device):
/// where its script and umockdev-wrapper are, and whether it can run here.
public enum EmulatedDongle {
    public static let wrapper = ["/usr/bin/umockdev-wrapper", "/usr/local/bin/umockdev-wrapper"].first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let script = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Tests/umockdev/cyton_dongle.py").path

    /// Whether umockdev and its Python bindings are here; says so (once) when not.
    public static let available: Bool = {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", "import gi; gi.require_version('UMockdev', '1.0')"]
        python.standardError = FileHandle.nullDevice
        let importable = (try? python.run()) != nil && { python.waitUntilExit(); return python.terminationStatus == 0 }()
        guard wrapper != nil, importable else {
            print("◇ skipped: the emulated-dongle tests need umockdev-wrapper, /usr/bin/python3, python3-gi and gir1.2-umockdev-1.0")
            return false
        }
        return true
    }()
}
