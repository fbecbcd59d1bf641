/// The three streams a session publishes and records: the EEG, the live metrics (none
/// when empty) and the markers. One value describes them for both the LSL outlets and an
/// XDF recording, so an inlet, LabRecorder and `eeg record --out s.xdf` see the same
/// names, types, channel formats, channel labels and units, and `source_id`s.
///
/// A value type, built once per session (EEGKit's `SessionStreamInfos.make`).
public struct SessionStreamInfos: Sendable, Equatable {
    public var eeg: StreamInfo
    /// The metrics stream; nil for a recording without one.
    public var metrics: StreamInfo?
    public var markers: StreamInfo

    public init(eeg: StreamInfo, metrics: StreamInfo?, markers: StreamInfo) {
        self.eeg = eeg
        self.metrics = metrics
        self.markers = markers
    }
}
