import EEGCore
import EEGDSP
import EEGFormats

extension SessionStreamInfos {
    /// The name and content type of the EEG stream when no `--lsl-name` / `--lsl-type`
    /// says otherwise.
    public static let defaultName = "EEGKit", defaultType = "EEG"

    /// The one place the session's stream descriptions are built (the LSL outlets and the
    /// XDF writer both use it):
    /// - EEG: `name`, `type`, float32 in the layout's unit ("microvolts" for µV), the
    ///   device's nominal rate, one `desc/channels/channel` (label, unit, type) per channel;
    /// - metrics: `name-metrics`, type "Metrics", float32 (what LSL consumers of a
    ///   numeric stream expect and the outlet has always promised: the values are shown
    ///   scores and ratios with far fewer significant digits than float32 holds), one
    ///   sample per analyzer hop (rate 1 / `hopSeconds`), channels in ``Metric/all`` order;
    /// - markers: `name-markers`, type "Markers", one string channel, irregular rate;
    /// - aux (only when the layout has ``StreamLayout/auxiliary`` signals): `name-aux`,
    ///   type "Aux", float32, the EEG's nominal rate (every frame's aux values, held
    ///   between updates as the frames carry them), one `desc/channels/channel` per
    ///   signal with its label, unit and BIDS channel type
    ///   (``AuxiliarySignal/channelType``). The EEG stream stays EEG only.
    ///
    /// `source_id`s: `sourceID`, `sourceID-metrics`, `sourceID-markers`, `sourceID-aux`.
    public static func make(layout: StreamLayout, name: String = defaultName, type: String = defaultType,
                            sourceID: String, hopSeconds: Double) -> SessionStreamInfos {
        let unit = layout.unit == "µV" ? "microvolts" : layout.unit
        let eeg = StreamInfo(name: name, type: type, channelCount: layout.channelCount, nominalRate: layout.sampleRate,
                             channelFormat: .float32, sourceID: sourceID,
                             channels: layout.labels.map { .init(label: $0, unit: unit, type: type) })
        let metricChannels = Metric.all.map { StreamInfo.Channel(label: $0.key, unit: $0.unit, type: "Metric") }
        let metrics = StreamInfo(name: name + "-metrics", type: "Metrics", channelCount: metricChannels.count, nominalRate: 1 / hopSeconds,
                                 channelFormat: .float32, sourceID: sourceID + "-metrics", channels: metricChannels)
        let markers = StreamInfo(name: name + "-markers", type: "Markers", channelCount: 1, nominalRate: 0,
                                 channelFormat: .string, sourceID: sourceID + "-markers",
                                 channels: [.init(label: "annotation", unit: "", type: "Marker")])
        let aux = layout.auxiliary.isEmpty ? nil : auxiliaryStream(layout.auxiliary, name: name + "-aux", rate: layout.sampleRate, sourceID: sourceID + "-aux")
        return SessionStreamInfos(eeg: eeg, metrics: metrics, markers: markers, aux: aux)
    }

    /// The aux stream: why one stream at the EEG rate rather than one per signal rate is
    /// in the README ("Aux channels in XDF and LSL"): the frames hold every aux value per
    /// frame (a marker code lives in one frame only; the accelerometer's readings are not
    /// locked to every 10th packet), and float32 holds them all exactly (board_time
    /// < 2^24 ms, counts ≤ 65535, the accelerometer's g values are float32 already).
    static func auxiliaryStream(_ signals: [AuxiliarySignal], name: String, rate: Double, sourceID: String) -> StreamInfo {
        StreamInfo(name: name, type: "Aux", channelCount: signals.count, nominalRate: rate, channelFormat: .float32, sourceID: sourceID,
                   channels: signals.map { .init(label: $0.label, unit: $0.unit, type: $0.channelType) })
    }
}
