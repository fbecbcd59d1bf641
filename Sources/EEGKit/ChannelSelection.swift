import Foundation

/// Choosing channels by label, the one meaning of `--channels` in every command: a label
/// matches case-insensitively, or as the part after a `:` of a longer label (`EEG:Fp1`
/// matches `Fp1`).
public enum ChannelSelection {
    public static func matches(_ label: String, _ wanted: String) -> Bool {
        label.caseInsensitiveCompare(wanted) == .orderedSame || label.hasSuffix(":" + wanted)
    }

    /// The index in `labels` of each of `wanted`, in the order asked; `.failure` names the
    /// first label that matches no channel.
    public static func indices(of wanted: [String], in labels: [String]) -> Result<[Int], MissingChannel> {
        var indices: [Int] = []
        for label in wanted {
            guard let i = labels.firstIndex(where: { matches($0, label) }) else { return .failure(MissingChannel(label: label, available: labels)) }
            indices.append(i)
        }
        return .success(indices)
    }

    /// A `--channels` label the input does not have.
    public struct MissingChannel: Error, Equatable {
        public let label: String
        public let available: [String]
        /// "no channel 'X' (the file has a, b, c)", with `source` naming the input.
        public func message(source: String) -> String {
            "no channel '\(label)' (\(source) has \(available.joined(separator: ", ")))"
        }
    }
}
