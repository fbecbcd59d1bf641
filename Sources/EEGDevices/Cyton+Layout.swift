import EEGCore

extension Cyton {
    /// The stream a Cyton (or Cyton + Daisy) delivers: `ch1…ch8` (`ch1…ch16`) at 250 Hz
    /// (125 Hz), in µV, with the full scale of the smallest channel gain (the first
    /// channel to rail). Allocates the label array: read it once per session.
    public static func layout(daisy: Bool, gains: [Double]? = nil, source: String) -> StreamLayout {
        StreamLayout(labels: StreamLayout.numberedLabels(daisy ? 16 : 8), sampleRate: daisy ? daisySampleRate : sampleRate,
                     fullScale: fullScale(gain: gains?.min() ?? defaultGain), source: source)
    }
}
