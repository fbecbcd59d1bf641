import ArgumentParser

@main
struct EEG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eeg",
        abstract: "Stream, record, replay and analyze EEG from brainwave headsets.",
        version: "0.1.0"
    )
}
