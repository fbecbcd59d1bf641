import ArgumentParser

@main
struct EEG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eeg",
        abstract: "Stream, record, replay and analyze EEG from brainwave headsets.",
        discussion: """
            Streams from an OpenBCI Cyton or the built-in simulated headset, computes \
            band powers and attention metrics that match scipy, records crash-safe \
            BDF+/EDF+ and replays it through the same pipeline.

            Examples:
              eeg stream --duration 30s                   # the simulated headset, live metrics
              eeg record --device cyton --out s01.bdf     # record a Cyton
              eeg replay s01.bdf --speed max > metrics.jsonl
              eeg bandpower --input s01.bdf --epoch 4s
              eeg devices
            """,
        version: "0.1.0",
        subcommands: [Stream.self, Record.self, Replay.self, Analyze.self, Info.self, Repair.self, Devices.self, Bandpower.self, Bench.self, UdevRules.self]
    )
}
