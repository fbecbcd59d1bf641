import ArgumentParser
import EEGKit

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the versions of eeg, the libraries it runs with and the system, for bug reports.",
        discussion: """
            eeg's release, the FFTW and libusb libraries loaded at run time, the Swift \
            compiler that built it, the operating system and the kernel: one per line, or one \
            JSON object with --json. 'eeg --version' prints the first three.

            Examples:
              eeg version
              eeg version --json
            """
    )

    @Flag(help: "One JSON object (keys eeg, fftw, fftw_build, libusb, swift, os, kernel, machine).")
    var json = false

    func run() throws {
        let report = VersionReport.current()
        try TextOutput.standard.line(json ? report.json : TerminalText.safeKeepingLineEnds(report.text))
    }
}
