import EEGCore
import EEGDSP
import EEGDevices
import Foundation

/// How `eeg impedance` judges an electrode: good below `goodBelow`, fair below
/// `fairBelow`, poor otherwise (defaults 10 kΩ and 50 kΩ).
public struct ImpedanceThresholds: Sendable, Equatable {
    public var goodBelow: Double
    public var fairBelow: Double
    public init(goodBelow: Double = 10_000, fairBelow: Double = 50_000) {
        self.goodBelow = goodBelow
        self.fairBelow = fairBelow
    }

    /// The word for `ohms`.
    public func quality(_ ohms: Double) -> String {
        ohms < goodBelow ? "good" : ohms < fairBelow ? "fair" : "poor"
    }
}

/// One electrode's measurement.
public struct ImpedanceReading: Sendable, Equatable {
    public var label: String
    public var ohms: Double
    /// RMS of the band-passed drive signal, µV.
    public var rmsMicrovolts: Double
    public var quality: String

    /// `{"channel": "ch1", "impedance_ohms": 12000.5, "rms_uv": 52.3, "quality": "fair"}`
    public var jsonLine: String {
        "{\"channel\": \(JSONText.string(label)), \"impedance_ohms\": \(JSONText.number((ohms * 10).rounded() / 10)), "
            + "\"rms_uv\": \(JSONText.number((rmsMicrovolts * 1000).rounded() / 1000)), \"quality\": \(JSONText.string(quality))}"
    }

    /// A table row: `ch1         12.0 kΩ  fair`.
    public var tableRow: String {
        let label = TerminalText.safe(self.label).padding(toLength: max(8, self.label.count), withPad: " ", startingAt: 0)
        return "\(label) \(String(format: "%9.1f", ohms / 1000)) kΩ  \(quality)"
    }

    public static let tableHeader = "channel  impedance  quality"
}

/// `eeg impedance`: the Cyton's lead-off check (``CytonLeadOffCheck``) with each channel's
/// samples turned into an impedance by ``LeadOffImpedance``.
public struct ImpedanceCheck {
    public var settings: DeviceDescription.CytonSettings
    /// Labels to measure (nil: every channel), as the board names them (`ch1`…).
    public var channels: [String]?
    /// Seconds of signal measured per channel, after `settleSeconds` that only settle
    /// the filter.
    public var seconds = 2.0
    public var settleSeconds = 1.0
    public var thresholds = ImpedanceThresholds()

    public init(settings: DeviceDescription.CytonSettings) { self.settings = settings }

    /// Measures each channel in turn, calling `reading` as each is done.
    ///
    /// - Returns: false when `stopRequested` ended the check early (the settings were
    ///   restored all the same).
    /// - Throws: ``ArgumentError`` for a label the board does not have, ``DeviceError``
    ///   from the board, ``DSPError`` for a signal that cannot be measured, or what
    ///   `reading` throws.
    public func run(stopRequested: () -> Bool, reading: (ImpedanceReading) throws -> Void) throws -> Bool {
        let configuration = try settings.driverConfiguration()
        let layout = Cyton.layout(daisy: settings.daisy, source: "Cyton")
        let numbers = try channelNumbers(layout.labels)
        let link = try settings.link()
        let rate = layout.sampleRate
        let frames = Int(((seconds + settleSeconds) * rate).rounded(.up))
        let check = CytonLeadOffCheck(configuration: configuration, opener: link.open)
        return try check.run(channels: numbers, frames: frames, stopRequested: stopRequested) { channel, samples in
            let measured = try LeadOffImpedance.measure(samples, sampleRate: rate, settleSeconds: settleSeconds)
            try reading(ImpedanceReading(label: layout.labels[channel - 1], ohms: measured.ohms,
                                         rmsMicrovolts: measured.rmsMicrovolts, quality: thresholds.quality(measured.ohms)))
        }
    }

    private func channelNumbers(_ labels: [String]) throws(ArgumentError) -> [Int] {
        guard let channels else { return Array(1...labels.count) }
        var numbers: [Int] = []
        for label in channels {
            let number = try CytonChannelRequest.channel(label, flag: "--channels", count: labels.count)
            if !numbers.contains(number) { numbers.append(number) }
        }
        return numbers
    }
}
