import ArgumentParser
import EEGKit
import Foundation

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List what can be streamed: the simulated headset, Cyton dongles on USB, serial ports.",
        discussion: """
            For each device: how to select it with --device/--port, and whether you may \
            open it — with the fix when you may not.

            Examples:
              eeg devices
              eeg devices --json
              eeg devices --check             # open and claim each dongle
            """
    )

    @Flag(help: "One JSON object per line instead of a table.")
    var json = false

    @Flag(help: "Also open and claim each Cyton dongle, then let it go: proves it can be used right now.")
    var check = false

    func run() throws {
        var rows: [(select: String, what: String, status: String, fix: String?)] = []
        rows.append(("--device sim", "simulated headset (8 ch, 250 Hz; --sim-channels, --sim-rate, --seed)", "ok", nil))
        do {
            for dongle in try CytonUSB.dongles() {
                let select = "--device cyton" + (dongle.serialNumber.map { ":\($0)" } ?? "")
                var what = "OpenBCI Cyton dongle (FTDI FT231X), USB \(dongle.location) (\(dongle.devicePath))"
                var status = dongle.accessible ? "ok" : "permission denied"
                var fix: String? = dongle.accessible ? nil : "eeg udev-rules | sudo tee /etc/udev/rules.d/60-eegkit.rules && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug"
                if check && dongle.accessible {
                    do {
                        let result = try CytonUSB.check(dongle)
                        what += result.detachedKernelDriver ? "; claimed (its kernel driver ftdi_sio was detached and given back)" : "; claimed"
                    } catch {
                        status = "unusable"
                        fix = error.description
                    }
                }
                rows.append((select, what, status, fix))
            }
        } catch {
            rows.append(("--device cyton", "USB: cannot list devices", "error", "\(error)"))
        }
        for port in SerialPorts.candidates() {
            rows.append(("--device cyton --port \(port.stableName ?? port.path)", "serial port \(port.path) (kernel ftdi_sio driver)",
                         port.accessible ? "ok" : "permission denied",
                         port.accessible ? nil : "sudo usermod -aG dialout $USER (then log in again), or install the udev rules (eeg udev-rules)"))
        }
        for row in rows {
            if json {
                var line = "{\"select\": \(quoted(row.select)), \"device\": \(quoted(row.what)), \"status\": \(quoted(row.status))"
                if let fix = row.fix { line += ", \"fix\": \(quoted(fix))" }
                try TextOutput.standard.line(line + "}")
            } else {
                // Serial numbers and paths come from the device: escaped for the terminal.
                let t = TerminalText.safe
                try TextOutput.standard.line("\(row.status == "ok" ? "✓" : "✗") \(t(row.select))\n    \(t(row.what))\(row.status == "ok" ? "" : " — \(row.status)")")
                if let fix = row.fix { try TextOutput.standard.line("    fix: \(t(fix))") }
            }
        }
    }

    private func quoted(_ text: String) -> String { JSONText.string(text) }
}
