import EEGCore

extension Cyton {
    /// The stream a Cyton (or Cyton + Daisy) delivers: `ch1…ch8` (`ch1…ch16`) at 250 Hz
    /// (125 Hz), in µV, with the full scale of the smallest channel gain (the first
    /// channel to rail). Allocates the label array: read it once per session.
    public static func layout(daisy: Bool, gains: [Double]? = nil, source: String) -> StreamLayout {
        StreamLayout(labels: StreamLayout.numberedLabels(daisy ? 16 : 8), sampleRate: daisy ? daisySampleRate : sampleRate,
                     fullScale: fullScale(gain: gains?.min() ?? defaultGain), source: source)
    }

    /// As ``layout(daisy:gains:source:)`` for channels sent these settings, with each
    /// channel's settings described in ``StreamLayout/acquisition`` (for a recording's
    /// header). nil: the board's defaults, described as such.
    /// Frames carry the aux channels of `aux` after the EEG channels
    /// (``CytonAuxMode/signals(daisy:)``), then, with `boardTime`, the board's clock
    /// (``CytonBoardTime/signal``).
    public static func layout(daisy: Bool, channels: [CytonCommand.ChannelSettings]?, source: String, aux: CytonAuxMode,
                              boardTime: Bool = false) -> StreamLayout {
        var layout = layout(daisy: daisy, gains: channels?.map(\.gain.rawValue), source: source)
        layout.auxiliary = aux.signals(daisy: daisy) + (boardTime ? [CytonBoardTime.signal] : [])
        let settings = channels ?? (1...(daisy ? 16 : 8)).map { CytonCommand.ChannelSettings(channel: $0) }
        layout.acquisition = settings.map(\.summary)
        return layout
    }

    /// As ``layout(daisy:channels:source:aux:)`` with the accelerometer or no aux channels.
    public static func layout(daisy: Bool, channels: [CytonCommand.ChannelSettings]?, source: String, accelerometer: Bool = false) -> StreamLayout {
        layout(daisy: daisy, channels: channels, source: source, aux: accelerometer ? .accel : .none)
    }
}

extension Cyton {
    /// The accelerometer as aux signals `accel_x`, `accel_y`, `accel_z` in g at the
    /// board's 25 Hz (one sample per 10 frames at 250 Hz, per 5 with Daisy at 125 Hz),
    /// stored as the LIS3DH's own 16-bit counts (±4.096 g at 0.002/16 g per count), so a
    /// recording holds the values exactly.
    public static func accelerometerSignals(daisy: Bool) -> [AuxiliarySignal] {
        ["x", "y", "z"].map { axis in
            AuxiliarySignal(label: "accel_\(axis)", unit: "g", minimum: -32768 * accelerometerScale, maximum: 32767 * accelerometerScale,
                            digitalMinimum: -32768, digitalMaximum: 32767, framesPerSample: Int((daisy ? daisySampleRate : sampleRate) / accelerometerRate),
                            transducer: "Cyton LIS3DH accelerometer, \(axis.uppercased()) axis, held between 25 Hz readings",
                            channelType: "ACCEL")
        }
    }
}

extension CytonCommand.ChannelSettings {
    /// The settings in words, ASCII, at most 80 characters: "Cyton gain 24, normal
    /// input, bias, SRB2", "Cyton internal test signal, gain 24, …", "Cyton channel
    /// powered down (reads 0)".
    public var summary: String {
        guard !poweredDown else { return "Cyton channel powered down (reads 0)" }
        var parts = ["Cyton gain \(Int(gain.rawValue))", input.summary]
        if includeInBias { parts.append("bias") }
        if connectToSRB2 { parts.append("SRB2") }
        if connectToSRB1 { parts.append("SRB1") }
        return parts.joined(separator: ", ")
    }
}

extension CytonCommand.Input {
    /// The input in words, for headers and messages.
    public var summary: String {
        switch self {
        case .normal: return "normal input"
        case .shorted: return "inputs shorted"
        case .biasMeasure: return "bias measurement input"
        case .supply: return "supply measurement input"
        case .temperature: return "temperature sensor input"
        case .testSignal: return "internal test signal"
        case .biasDrivePositive: return "bias drive P input"
        case .biasDriveNegative: return "bias drive N input"
        }
    }
}
