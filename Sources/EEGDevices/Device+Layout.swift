import EEGCore

extension EEGDevice {
    /// The device's stream described as one value: its labels, rate, full scale (µV) and
    /// name as the source.
    public var layout: StreamLayout {
        StreamLayout(labels: channelLabels, sampleRate: sampleRate, fullScale: fullScale, source: name)
    }
}
