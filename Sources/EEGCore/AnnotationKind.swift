/// What an annotation in a recording means, as data. Writers say what happened with a
/// kind; readers decide what to do (skip a span, reject an epoch, draw a marker) from the
/// kind — never from the words. EEGFormats' `AnnotationCodec` is the one place that turns
/// kinds into EDF+ annotation text and back.
public enum AnnotationKind: Sendable, Equatable, Hashable {
    /// A user's marker (a typed line, a key), with its text.
    case marker(String)
    /// `count` samples per channel that never reached the recording; the span holds
    /// filler (zeros), not data.
    case samplesLost(count: Int, cause: SampleLossCause)
    /// The end of the last data record, filled so the record is whole: not data.
    case padding
    /// The device stopped delivering (unplugged, timed out) and the driver is reconnecting.
    case disconnected
    /// The device delivers again after ``disconnected``.
    case reconnected
    /// The device failed, with its one-line message.
    case deviceFailed(String)
    /// The recording starts; `source` names what was recorded (nil when the text did not
    /// say).
    case recordingStarted(source: String?)
    /// The recording ends.
    case recordingEnded
    /// `count` annotations were not stored: they came faster than the file could hold.
    case annotationsNotStored(count: Int)
    /// `count` user markers were dropped before reaching the file (the session's queue was
    /// full).
    case markersDropped(count: Int)
    /// Any other text: an annotation another tool wrote, or one EEGKit does not know.
    case note(String)

    /// How annotations are grouped for people (the report's legend and colours).
    public enum Category: String, Sendable, CaseIterable {
        /// Markers and notes: what a person or another tool put on the timeline.
        case marker
        /// Spans that are not data: lost samples and padding.
        case gap
        /// What happened to the device and the recording: start, end, disconnects,
        /// failures, annotations or markers that could not be stored.
        case recording
    }

    public var category: Category {
        switch self {
        case .marker, .note: return .marker
        case .samplesLost, .padding: return .gap
        case .disconnected, .reconnected, .deviceFailed, .recordingStarted, .recordingEnded,
             .annotationsNotStored, .markersDropped: return .recording
        }
    }

    /// Whether the samples under this annotation's duration are filler, not signal: replay
    /// does not play them and analysis rejects epochs that overlap them.
    public var marksFillerSamples: Bool { category == .gap }

    /// Whether a writer may drop it when annotations come faster than the file can hold
    /// them. Only markers and notes may go (the writer then counts them); the events the
    /// timeline depends on are rare and always kept.
    public var mayBeDropped: Bool { category == .marker }
}

/// Why samples were lost.
public enum SampleLossCause: Sendable, Equatable, Hashable {
    /// The session's ring buffer was full: the consumer (output, disk) was too slow.
    case ringOverflow
    /// The device's sample counter jumped: the samples never arrived (radio loss, a
    /// disconnect, a decoder resynchronising).
    case notReceived
    /// Nothing was recorded for a while: the recording paused (the records of an EDF+D
    /// file jump in time).
    case notRecorded
    /// Another reason, in words (a file written by a future version, a test).
    case other(String)
}
