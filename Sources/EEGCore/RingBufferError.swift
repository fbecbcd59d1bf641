/// Why a ``FrameRing`` could not be created.
///
/// Creation is the only fallible step: once a ring exists, pushing into a full ring is
/// not an error but a counted drop (see ``FrameRing/Producer``).
public enum RingBufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The channel count was zero, negative or above ``FrameRing/maximumChannelCount``.
    case invalidChannelCount(Int)
    /// The capacity was zero, negative or above ``FrameRing/maximumCapacity`` frames.
    case invalidCapacity(Int)

    public var description: String {
        switch self {
        case .invalidChannelCount(let count):
            return "ring buffer channel count must be between 1 and \(FrameRing.maximumChannelCount), got \(count)"
        case .invalidCapacity(let count):
            return "ring buffer capacity must be between 1 and \(FrameRing.maximumCapacity) frames, got \(count)"
        }
    }
}
