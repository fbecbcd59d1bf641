import ArgumentParser
import Foundation

/// The one-shot batch commands (`eeg analyze`, `eeg bandpower`) parsed on their own,
/// without the whole command tree.
///
/// Why: a W1-sized `eeg analyze` takes ~75 ms, and parsing through the root costs a few
/// of them — building the tree of 15 commands and the root's completion-script check
/// make the Swift runtime scan all ~6,000 protocol-conformance records of the static
/// binary for every new (type, protocol) pair it meets (callgrind: ~11 M of the ~42 M
/// instructions `eeg analyze` ran before this). Parsing the subcommand as the root skips that.
///
/// It only ever decides the success path: whenever the direct parse throws, asks for
/// help, or sees anything the root handles (completion scripts, help dumps), the caller
/// parses again through the whole tree, so every help, usage and error text is the
/// tree's own, byte for byte. A clean direct parse yields the same value the tree would
/// — the same `ArgumentSet`, the same `validate()` — because the root `EEG` has no
/// arguments of its own to contribute.
enum DirectParse {
    /// Set (to anything) to always parse through the whole tree: how the tests check that
    /// both ways give the same result.
    static let wholeTreeVariable = "EEG_PARSE_WHOLE_TREE"

    /// The parsed command when `arguments` (without the program name) start with a
    /// directly parsed command and the rest parses cleanly as that command; nil when the
    /// whole tree must parse them.
    static func command(_ arguments: [String]) -> ParsableCommand? {
        guard let name = arguments.first, getenv(wholeTreeVariable) == nil else { return nil }
        let rest = Array(arguments.dropFirst())
        guard !rest.contains(where: handledByTheRoot) else { return nil }
        switch name {
        case "analyze": return parsed(Analyze.self, rest)
        case "bandpower": return parsed(Bandpower.self, rest)
        default: return nil
        }
    }

    /// Arguments the root command's parser answers before any subcommand sees them: the
    /// completion-script request (which a directly parsed command, marked as a
    /// subcommand of `eeg`, does not check for), custom completions and the help dump.
    static func handledByTheRoot(_ argument: String) -> Bool {
        argument.hasPrefix("--generate-completion-script") || argument.hasPrefix("---")
            || argument.hasPrefix("--experimental-dump-help")
    }

    /// `C` parsed as the root, or nil for an error or anything but a `C` (a help request
    /// parses as ArgumentParser's help command).
    static func parsed<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) -> ParsableCommand? {
        (try? C.parseAsRoot(arguments)) as? C
    }
}
