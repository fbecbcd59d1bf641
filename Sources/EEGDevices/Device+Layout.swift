import EEGCore

/// The stream's facts, read from the device's one ``EEGDevice/layout``.
extension EEGDevice {
    /// Samples per frame.
    public var channelCount: Int { layout.channelCount }
    /// Samples per second per channel.
    public var sampleRate: Double { layout.sampleRate }
    /// Channel labels in frame order.
    public var channelLabels: [String] { layout.labels }
    /// The ADC's full scale in µV (for railed-signal detection).
    public var fullScale: Double { layout.fullScale }
    /// Live devices report failures as events; inputs override this.
    public var failure: (any Error)? { nil }
}
