import ArgumentParser
import EEGKit

/// `--markers-from-lsl NAME`, shared by `stream` and `record`.
struct LSLMarkerFlags: ParsableArguments {
    @Option(name: .customLong("markers-from-lsl"),
            help: ArgumentHelp("Take markers from the LSL stream of this name (PsychoPy, a trigger box…) as annotations at their samples (liblsl's lsl_api.cfg applies).", valueName: "name"))
    var name: String?

    func validate() throws {
        guard let name else { return }
        if name.isEmpty || name.utf8.count > 200 || name.contains(where: { $0 == "'" || $0.isNewline }) {
            throw ValidationError("--markers-from-lsl must be 1–200 characters without quotes (') or line breaks: LSL queries quote it")
        }
    }

    /// Markers are placed by the LSL clock, which runs in real time: at another speed
    /// they would land at the wrong samples, so the combination is refused.
    func validate(speed: Double, flag: String) throws {
        guard name != nil, speed != 1 else { return }
        throw ValidationError("--markers-from-lsl places markers by the LSL clock, in real time only: drop \(flag) (or --markers-from-lsl)")
    }

    /// The inlet's settings, `nil` without the flag.
    func options() -> LSLMarkerOptions? { name.map { LSLMarkerOptions(name: $0) } }
}
