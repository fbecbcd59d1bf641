/// The streams a session publishes and records: the EEG, the live metrics (none when
/// empty), the markers, and the device's aux channels (none without them). One value
/// describes them for both the LSL outlets and an XDF recording, so an inlet,
/// LabRecorder and `eeg record --out s.xdf` see the same names, types, channel formats,
/// channel labels and units, and `source_id`s.
///
/// A value type, built once per session (EEGKit's `SessionStreamInfos.make`).
public struct SessionStreamInfos: Sendable, Equatable {
    public var eeg: StreamInfo
    /// The metrics stream; nil for a recording without one.
    public var metrics: StreamInfo?
    public var markers: StreamInfo
    /// The aux channels (a Cyton's accelerometer, analog or digital inputs, marker codes,
    /// board clock) as their own float32 stream at the EEG's rate, one sample per EEG
    /// sample with the same timestamp; nil when the layout has none.
    public var aux: StreamInfo?

    public init(eeg: StreamInfo, metrics: StreamInfo?, markers: StreamInfo, aux: StreamInfo? = nil) {
        self.eeg = eeg
        self.metrics = metrics
        self.markers = markers
        self.aux = aux
    }
}
