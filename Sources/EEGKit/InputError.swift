/// Why input samples could not be read. Each case says what is wrong and where, so the
/// CLI can print it as one line.
public enum InputError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case isDirectory(path: String)
    case notWholeFrames(source: String, bytes: Int, channels: Int)
    case nonFinite(source: String, frame: Int, channel: Int)
    case csvColumnCount(source: String, line: Int, expected: Int, found: Int)
    case csvNumber(source: String, line: Int, column: Int, text: String)
    case noData(source: String)
    case channelCountMismatch(source: String, declared: Int, found: Int)
    case labelCount(labels: Int, channels: Int)
    case readFailed(source: String, reason: String)
    /// A CSV value that is NaN or infinite, or beyond Float's range (`1e400`).
    case csvNotFinite(source: String, line: Int, column: Int, text: String)
    /// A line longer than the reader's bound (no line end within `limit` bytes).
    case lineTooLong(source: String, line: Int, limit: Int)
    /// More fields (channels) on a line than a frame may have.
    case tooManyFields(source: String, line: Int, found: Int, limit: Int)
    /// A raw reader asked for a channel count outside 1…`limit`.
    case badChannelCount(source: String, count: Int, limit: Int)
    /// A `--calibration` file that is not a valid saved calibration.
    case badCalibration(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .isDirectory(let path):
            return "\(path) is a directory, not a file"
        case .notWholeFrames(let source, let bytes, let channels):
            let frameBytes = max(channels, 1) * 4, left = bytes % frameBytes
            return "\(source): \(bytes) bytes is not a whole number of \(channels)-channel float32 frames (\(frameBytes) bytes each); \(left) bytes left over, frame \(bytes / frameBytes) stops in channel \(left / 4 + 1) — check --channel-count"
        case .nonFinite(let source, let frame, let channel):
            return "\(source): frame \(frame), channel \(channel + 1) is NaN or infinite"
        case .csvColumnCount(let source, let line, let expected, let found):
            return "\(source) line \(line): expected \(expected) values, found \(found)"
        case .csvNumber(let source, let line, let column, let text):
            return "\(source) line \(line), column \(column): '\(text)' is not a number"
        case .noData(let source):
            return "\(source) holds no samples"
        case .channelCountMismatch(let source, let declared, let found):
            return "\(source) has \(found) channels but --channels says \(declared)"
        case .labelCount(let labels, let channels):
            return "\(labels) labels given for \(channels) channels"
        case .readFailed(let source, let reason):
            return "reading \(source) failed: \(reason)"
        case .csvNotFinite(let source, let line, let column, let text):
            return "\(source) line \(line), column \(column): '\(text)' is NaN, infinite or beyond float32 range"
        case .lineTooLong(let source, let line, let limit):
            return "\(source) line \(line): longer than \(limit) bytes with no line end (is this a CSV file?)"
        case .tooManyFields(let source, let line, let found, let limit):
            return "\(source) line \(line): \(found) fields; at most \(limit) channels are supported"
        case .badChannelCount(let source, let count, let limit):
            return "\(source): \(count) channels per frame; must be 1…\(limit)"
        case .badCalibration(let path, let reason):
            return "calibration \(path): \(reason)"
        }
    }
}
