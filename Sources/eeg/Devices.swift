import ArgumentParser
import EEGKit
import Foundation

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
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
        for row in DeviceInventory.scan(check: check) {
            if json {
                var line = "{\"select\": \(quoted(row.select)), \"device\": \(quoted(row.device)), \"status\": \(quoted(row.status))"
                if let fix = row.fix { line += ", \"fix\": \(quoted(fix))" }
                try TextOutput.standard.line(line + "}")
            } else {
                // Serial numbers and paths come from the device: escaped for the terminal.
                let t = TerminalText.safe
                try TextOutput.standard.line("\(row.isUsable ? "✓" : "✗") \(t(row.select))\n    \(t(row.device))\(row.isUsable ? "" : " — \(row.status)")")
                if let fix = row.fix { try TextOutput.standard.line("    fix: \(t(fix))") }
            }
        }
    }

    private func quoted(_ text: String) -> String { JSONText.string(text) }
}
