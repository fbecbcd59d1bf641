import ArgumentParser
import EEGKit
import Foundation

/// `--channels LABELS`, read alike in every command (`analyze`, `bandpower`, `stream`,
/// `record`, `replay`): labels, comma-separated, spaces around each trimmed, matched
/// against the input's labels by ``ChannelSelection``.
enum ChannelLabels {
    /// The labels `text` names; a usage error naming `flag` when it names none.
    static func selection(_ text: String, flag: String = "--channels") throws -> [String] {
        let labels = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !labels.allSatisfy(\.isEmpty) else {
            throw ValidationError("\(flag) names no channel (got '\(TerminalText.safe(text))'); give labels such as Fp1,Fp2")
        }
        return labels
    }
}
