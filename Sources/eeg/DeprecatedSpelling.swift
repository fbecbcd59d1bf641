import EEGKit

/// An old spelling of a flag or value, still accepted for one release: the command says
/// so in one line on standard error and does what the new spelling does.
struct DeprecatedSpelling: Equatable {
    /// The command, e.g. `bandpower`.
    let command: String
    /// What was typed, e.g. `--channels 3 as a channel count`.
    let old: String
    /// What to type instead, e.g. `--channel-count 3`.
    let new: String
    /// Why the spelling changed, if it needs saying.
    var reason: String?

    /// `eeg bandpower: warning: --channels 3 as a channel count is deprecated; use --channel-count 3 (…)`.
    var note: String {
        "eeg \(command): warning: \(old) is deprecated; use \(new)" + (reason.map { " (\($0))" } ?? "")
    }

    /// Writes each note on standard error, a line each.
    static func warn(_ spellings: [DeprecatedSpelling]) {
        for spelling in spellings { writeStandardError(spelling.note + "\n") }
    }
}
