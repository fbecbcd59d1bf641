/// A signal a device sends beside its EEG channels, at a fraction of their rate: a
/// Cyton's accelerometer axes (25 Hz beside 250 Hz), its raw aux inputs. Frames carry
/// its current value after the EEG channels (``StreamLayout/frameWidth``), held between
/// updates; a recording keeps one sample per ``framesPerSample`` frames (the value at
/// the last frame of each block), at the signal's own rate.
///
/// Aux signals are never analysed: analysis, quality and railed-signal checks see the
/// EEG channels (``StreamLayout/labels``) only.
public struct AuxiliarySignal: Sendable, Equatable {
    /// Its name in output and recordings ("accel_x").
    public var label: String
    /// Its physical unit ("g", "counts").
    public var unit: String
    /// The physical range its values can take (a recording's physical minimum/maximum).
    public var minimum: Double
    public var maximum: Double
    /// The digital range a recording stores that physical range in (the device's own
    /// counts where it has them, so values round-trip exactly).
    public var digitalMinimum: Int32
    public var digitalMaximum: Int32
    /// Frames per sample of this signal: its rate is the stream's rate / this.
    public var framesPerSample: Int
    /// What it is, for a recording's transducer field ("Cyton LIS3DH accelerometer").
    public var transducer: String
    /// Its channel type in a stream description (`desc/channels/channel/type` of an XDF
    /// or LSL stream), a BIDS channel-type name: "TRIG", "SYSCLOCK" and "MISC" are in
    /// BIDS-EEG's list; "ACCEL" is BIDS motion's accelerometer type and "ADC" the
    /// MEG/iEEG lists' analog input (a BIDS-EEG dataset would store those two as MISC).
    /// "MISC" when nothing more specific fits.
    public var channelType: String

    public init(label: String, unit: String, minimum: Double, maximum: Double, digitalMinimum: Int32, digitalMaximum: Int32,
                framesPerSample: Int, transducer: String, channelType: String = "MISC") {
        self.label = label
        self.unit = unit
        self.minimum = minimum
        self.maximum = maximum
        self.digitalMinimum = digitalMinimum
        self.digitalMaximum = digitalMaximum
        self.framesPerSample = framesPerSample
        self.transducer = transducer
        self.channelType = channelType
    }
}
