/// What a stream of frames is: its channels, their unit and range, its rate and where it
/// comes from. Every source of frames (a device, a recording, a CSV or float32 file)
/// describes itself with one; every consumer (the live analyzer, the recorder, the line
/// formatter, offline analysis) is configured from one, so these facts travel together
/// instead of as loose parameters.
///
/// A plain value: no allocation beyond its arrays, safe to pass between threads.
public struct StreamLayout: Sendable, Equatable {
    /// Channel labels in frame order ("Fp1", "ch1", …); their count is the frame width.
    public var labels: [String]
    /// The physical unit of every channel's samples ("µV" for EEG).
    public var unit: String
    /// Samples per second per channel.
    public var sampleRate: Double
    /// The largest magnitude a sample can have, in `unit`: the ADC's full scale for a
    /// device (what "railed" is judged against), the widest stated physical limit for a
    /// file.
    public var fullScale: Double
    /// Where the frames come from, for messages and recordings ("simulated headset
    /// (8 ch, 250.0 Hz, seed 1)", "replay of session.bdf").
    public var source: String
    /// How the device acquired each channel, in frame order, when it says (a Cyton: gain,
    /// input, bias and SRB2 per channel, e.g. "Cyton gain 24, normal input, bias, SRB2");
    /// recordings write it to each signal's transducer field so a file says how it was
    /// made. nil when the source does not say.
    public var acquisition: [String]?
    /// Signals carried after the EEG channels in every frame (a Cyton's accelerometer),
    /// at their own rate; empty for most sources. Never analysed.
    public var auxiliary: [AuxiliarySignal] = []

    public init(labels: [String], sampleRate: Double, fullScale: Double, source: String, unit: String = "µV") {
        self.labels = labels
        self.unit = unit
        self.sampleRate = sampleRate
        self.fullScale = fullScale
        self.source = source
    }

    /// EEG channels per frame (what analysis sees).
    public var channelCount: Int { labels.count }

    /// Values per frame in a ring: the EEG channels, then the ``auxiliary`` signals.
    public var frameWidth: Int { labels.count + auxiliary.count }

    /// `ch1` … `chN`: the labels of a source that names no channels (float32, a CSV
    /// without a header).
    public static func numberedLabels(_ count: Int) -> [String] {
        count > 0 ? (1...count).map { "ch\($0)" } : []
    }
}
