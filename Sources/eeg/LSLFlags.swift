import ArgumentParser
import EEGKit
import Foundation

/// `--lsl` and its settings, shared by `stream`, `record` and `replay`.
struct LSLFlags: ParsableArguments {
    @Flag(help: "Also publish EEG, metrics and markers as Lab Streaming Layer outlets (liblsl's lsl_api.cfg applies).")
    var lsl = false

    @Option(name: .customLong("lsl-name"), help: ArgumentHelp("The EEG stream's LSL name (metrics and markers add -metrics, -markers).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("lsl-type"), help: ArgumentHelp("The EEG stream's LSL content type.", valueName: "type"))
    var type: String?

    @Option(name: .customLong("lsl-chunk"), help: ArgumentHelp("Samples per hand-over to the network (1–1024; default 1).", valueName: "n"))
    var chunk: Int?

    @Flag(help: "With --emit samples: add each sample's timestamp (LSL's clock in seconds, as --lsl publishes it) and its batch's host arrival time (same clock) after the sample index.")
    var times = false

    func validate() throws {
        if !lsl && (name != nil || type != nil || chunk != nil) { throw ValidationError("--lsl-name, --lsl-type and --lsl-chunk need --lsl") }
        if let chunk { try checked(chunk, flag: "--lsl-chunk", in: 1...1024) }
        for (flag, value) in [("--lsl-name", name), ("--lsl-type", type)] {
            guard let value else { continue }
            if value.isEmpty || value.utf8.count > 200 || value.contains(where: { $0 == "'" || $0.isNewline }) {
                throw ValidationError("\(flag) must be 1–200 characters without quotes (') or line breaks: LSL queries quote it")
            }
        }
    }

    /// `--lsl` stamps samples with the host clock as they are delivered (the de-jittered
    /// counter clock allows the device rate ±2 %): at another speed the stamps would run
    /// ahead of (or behind) every other LSL stream, so the combination is refused.
    func validate(speed: Double, flag: String) throws {
        if times && speed != 1 { throw ValidationError("--times needs real time: drop \(flag) (or --times), its timestamps would not follow the LSL clock") }
        guard lsl, speed != 1 else { return }
        throw ValidationError("--lsl publishes in real time only: drop \(flag) (or --lsl), its timestamps would not follow the LSL clock")
    }

    /// `--times` adds columns to sample lines only.
    func validate(emit: StreamEmit?) throws {
        if times && emit != .samples { throw ValidationError("--times needs --emit samples (it adds columns to sample lines)") }
    }

    /// The outlets' settings, `nil` without `--lsl`.
    func options(sourceID: String) -> LSLOptions? {
        guard lsl else { return nil }
        var options = LSLOptions(sourceID: sourceID)
        if let name { options.name = name }
        if let type { options.type = type }
        if let chunk { options.chunk = chunk }
        return options
    }
}
