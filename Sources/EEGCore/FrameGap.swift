/// Frames missing from a stream: `frames` consecutive frames that belonged just before the
/// frame with sample index `beforeSampleIndex`, and why they are missing.
///
/// Sample indices count frames at the stream's rate (a device's sample counter, or a
/// file's timeline from its first sample). Drivers, the session and the file readers all
/// report gaps with this one value; how a gap is written down (an EDF+ annotation, a JSON
/// line) is the writer's business.
public struct FrameGap: Sendable, Equatable, Hashable {
    /// How many frames are missing (> 0).
    public var frames: Int
    /// The sample index of the first frame after the gap.
    public var beforeSampleIndex: Int64
    /// Why they are missing.
    public var cause: SampleLossCause

    public init(frames: Int, beforeSampleIndex: Int64, cause: SampleLossCause = .notReceived) {
        self.frames = frames
        self.beforeSampleIndex = beforeSampleIndex
        self.cause = cause
    }

    /// The sample index of the first missing frame.
    public var firstMissingSampleIndex: Int64 { beforeSampleIndex - Int64(frames) }
}
