/// Why a DSP computation could not run: each case names the bad value and what was
/// expected, so a command-line tool can print it as one line.
public enum DSPError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSampleRate(Double)
    case invalidSegmentLength(Int)
    case invalidOverlap(overlap: Int, segmentLength: Int)
    case invalidBand(name: String, low: Double, high: Double, reason: String)
    case malformedBandList(String)
    case tooFewSamples(have: Int, need: Int)
    case bufferSize(what: String, expected: Int, actual: Int)
    case invalidFilter(String)
    /// A setting that does not fit the stream, e.g. a channel the stream does not have.
    case invalidConfiguration(String)
    case nonFiniteSample(frame: Int, channel: Int)
    case wisdomRejected

    public var description: String {
        switch self {
        case .invalidSampleRate(let rate):
            return "sample rate must be a positive number of Hz, got \(rate)"
        case .invalidSegmentLength(let length):
            return "segment length (nperseg) must be at least 2 samples, got \(length)"
        case .invalidOverlap(let overlap, let length):
            return "overlap must be between 0 and nperseg-1 = \(length - 1) samples, got \(overlap)"
        case .invalidBand(let name, let low, let high, let reason):
            return "band \(name) [\(low), \(high)) Hz: \(reason)"
        case .malformedBandList(let text):
            return "cannot read band list '\(text)': expected name:low-high[,name:low-high...] in Hz, e.g. alpha:8-13"
        case .tooFewSamples(let have, let need):
            return "need at least \(need) samples per channel for one window, got \(have)"
        case .bufferSize(let what, let expected, let actual):
            return "\(what) has \(actual) elements, expected \(expected)"
        case .invalidFilter(let reason):
            return "invalid filter: \(reason)"
        case .invalidConfiguration(let reason):
            return reason
        case .nonFiniteSample(let frame, let channel):
            return "sample at frame \(frame), channel \(channel + 1) is not a finite number (NaN or infinity)"
        case .wisdomRejected:
            return "FFTW rejected the wisdom (not FFTW single-precision wisdom, or corrupted)"
        }
    }
}
