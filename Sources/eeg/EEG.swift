import ArgumentParser

@main
struct EEG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eeg",
        abstract: "Stream, record, replay and analyze EEG from brainwave headsets.",
        discussion: """
            EEGKit computes band powers and attention metrics that match scipy, from \
            raw samples today and from headsets as the device layer lands.

            Examples:
              eeg bandpower --input session.f32 --rate 250 --channels 8
              eeg bandpower --input-format csv --rate 250 < samples.csv
              eeg bench
            """,
        version: "0.1.0",
        subcommands: [Stream.self, Devices.self, Bandpower.self, Bench.self, UdevRules.self]
    )
}
