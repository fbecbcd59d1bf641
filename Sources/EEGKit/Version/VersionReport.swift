import EEGDevices
import Glibc

/// What this `eeg` is and what it runs on, for `eeg --version`, `eeg version` and bug
/// reports: EEGKit's release, the FFTW and libusb libraries loaded at run time, the Swift
/// compiler that built it, and the operating system.
///
/// Every field is read when the report is made (``current()``); nothing is cached.
/// Strings from the system (`/etc/os-release`, `uname`) are kept as found: escape them for
/// where they go (``json`` does).
public struct VersionReport: Sendable, Equatable {
    /// EEGKit's release (``EEGKitVersion/number``).
    public var eegkit: String
    /// FFTW's release, e.g. `3.3.10` (``FFTWLibrary/version``).
    public var fftw: String
    /// FFTW's full name for itself, e.g. `fftw-3.3.10-sse2-avx`.
    public var fftwBuild: String
    /// libusb's version, e.g. `1.0.26.11724` (``LibUSBLibrary/version``).
    public var libusb: String
    /// The Swift compiler that built this binary, e.g. `6.3.1`.
    public var swift: String
    /// The distribution's name from os-release `PRETTY_NAME`, e.g. `Debian GNU/Linux 12
    /// (bookworm)`, or `unknown`.
    public var os: String
    /// The kernel: `uname` system name and release, e.g. `Linux 6.1.0-25-amd64`.
    public var kernel: String
    /// The machine's architecture from `uname`, e.g. `x86_64`.
    public var machine: String

    /// The report for this process and machine.
    public static func current() -> VersionReport {
        let system = SystemName.current()
        return VersionReport(
            eegkit: EEGKitVersion.number, fftw: FFTWLibrary.version, fftwBuild: FFTWLibrary.identification,
            libusb: LibUSBLibrary.version, swift: compilerVersion, os: OSRelease.prettyName() ?? "unknown",
            kernel: "\(system.sysname) \(system.release)", machine: system.machine)
    }

    /// The lines `eeg --version` prints: EEGKit's release and the two C libraries.
    public static var summary: String {
        "eeg \(EEGKitVersion.number)\nFFTW \(FFTWLibrary.version) (\(FFTWLibrary.identification))\nlibusb \(LibUSBLibrary.version)"
    }

    /// ``summary`` plus the compiler and the system, one fact per line.
    public var text: String {
        """
        eeg \(eegkit)
        FFTW \(fftw) (\(fftwBuild))
        libusb \(libusb)
        Swift \(swift)
        OS \(os)
        kernel \(kernel) \(machine)
        """
    }

    /// One JSON object on one line (keys `eeg`, `fftw`, `fftw_build`, `libusb`, `swift`,
    /// `os`, `kernel`, `machine`), every value a string.
    public var json: String {
        let fields = [("eeg", eegkit), ("fftw", fftw), ("fftw_build", fftwBuild), ("libusb", libusb),
                      ("swift", swift), ("os", os), ("kernel", kernel), ("machine", machine)]
        return "{" + fields.map { "\(JSONText.string($0.0)): \(JSONText.string($0.1))" }.joined(separator: ", ") + "}"
    }
}

/// `uname(2)`'s system name, release and machine.
struct SystemName {
    var sysname = "unknown", release = "unknown", machine = "unknown"

    static func current() -> SystemName {
        var names = utsname()
        guard uname(&names) == 0 else { return SystemName() }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return SystemName(sysname: text(names.sysname), release: text(names.release), machine: text(names.machine))
    }
}
