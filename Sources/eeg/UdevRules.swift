import ArgumentParser
import EEGKit

struct UdevRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev-rules",
        abstract: "Print udev rules that let you use supported headsets without root.",
        discussion: """
            The rules come from EEGKit's device table (the same one 'eeg devices' and \
            '--device cyton' use) and grant access to the logged-in user and the plugdev \
            group, never to everyone.

            Examples:
              eeg udev-rules | sudo tee /etc/udev/rules.d/60-eegkit.rules
              sudo udevadm control --reload-rules && sudo udevadm trigger
            """
    )

    func run() {
        print(DeviceTable.udevRules(), terminator: "")
    }
}
