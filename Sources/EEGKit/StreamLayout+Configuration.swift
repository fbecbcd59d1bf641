/// Consumers configured from a ``StreamLayout`` instead of loose rate/count/labels/scale
/// parameters.
extension LiveAnalyzerConfiguration {
    /// A configuration for streams of `layout`: its rate, width and full scale (for
    /// railed-signal detection); everything else at its default.
    public init(layout: StreamLayout) {
        self.init(sampleRate: layout.sampleRate, channelCount: layout.channelCount)
        quality.fullScale = layout.fullScale
    }
}

extension StreamLineFormatter {
    /// A formatter for lines of `layout`'s channels.
    public init(layout: StreamLayout, bands: BandSet, format: StreamFormat, hasChannelPair: Bool = false) {
        self.init(labels: layout.labels, bands: bands, format: format, hasChannelPair: hasChannelPair)
    }
}
