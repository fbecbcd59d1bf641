import Foundation
import EEGDevices

/// The Cyton channel flags as typed — `--gain 12` or `--gain ch1=12,ch3=8`, `--channel-input
/// normal|shorted|test`, `--channels-off ch7,ch8` — turned into the settings the driver
/// sends (``CytonDriver/Configuration/channels``). Channels are named by the Cyton's
/// labels (`ch1`…`ch8`, `ch9`…`ch16` with Daisy) or their numbers.
public struct CytonChannelRequest: Sendable, Equatable {
    public var gain: String?
    public var input: String?
    public var channelsOff: String?

    public init(gain: String? = nil, input: String? = nil, channelsOff: String? = nil) {
        self.gain = gain
        self.input = input
        self.channelsOff = channelsOff
    }

    /// Whether any flag was given (nothing given: nothing is sent, the board keeps its
    /// defaults).
    public var isEmpty: Bool { gain == nil && input == nil && channelsOff == nil }

    /// The gains `--gain` takes.
    public static let gainNames = CytonCommand.Gain.allCases.map { String(Int($0.rawValue)) }
    /// The inputs `--channel-input` takes, with what each selects.
    public static let inputs: [(name: String, input: CytonCommand.Input)] = [("normal", .normal), ("shorted", .shorted), ("test", .testSignal)]

    /// One setting per channel (8, or 16 with `daisy`), or nil when no flag was given.
    ///
    /// - Throws: ``ArgumentError`` naming the flag: a gain the ADS1299 does not have, an
    ///   input not in ``inputs``, a channel the board does not have.
    public func settings(daisy: Bool) throws(ArgumentError) -> [CytonCommand.ChannelSettings]? {
        guard !isEmpty else { return nil }
        let count = daisy ? 16 : 8
        var settings = (1...count).map { CytonCommand.ChannelSettings(channel: $0) }
        if let input {
            guard let chosen = Self.inputs.first(where: { $0.name == input.lowercased() })?.input else {
                throw ArgumentError(.malformed, flag: "--channel-input", value: input, expected: "one of " + Self.inputs.map(\.name).joined(separator: ", "))
            }
            for i in settings.indices { settings[i].input = chosen }
        }
        if let gain { try applyGains(gain, to: &settings) }
        if let channelsOff {
            for item in channelsOff.split(separator: ",", omittingEmptySubsequences: false) {
                settings[try Self.channel(String(item), flag: "--channels-off", count: count) - 1].poweredDown = true
            }
        }
        return settings
    }

    /// `24` for every channel, or `LABEL=GAIN,…` for the channels named (others keep 24).
    private func applyGains(_ text: String, to settings: inout [CytonCommand.ChannelSettings]) throws(ArgumentError) {
        let expected = "one of \(Self.gainNames.joined(separator: ", ")), or LABEL=GAIN,… (e.g. ch1=12,ch2=24)"
        func parse(_ value: Substring) throws(ArgumentError) -> CytonCommand.Gain {
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)), let gain = CytonCommand.Gain(rawValue: number) else {
                throw ArgumentError(.outOfRange, flag: "--gain", value: text, expected: expected)
            }
            return gain
        }
        guard text.contains("=") else {
            let gain = try parse(Substring(text))
            for i in settings.indices { settings[i].gain = gain }
            return
        }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw ArgumentError(.malformed, flag: "--gain", value: text, expected: expected) }
            let channel = try Self.channel(String(parts[0]), flag: "--gain", count: settings.count)
            settings[channel - 1].gain = try parse(parts[1])
        }
    }

    /// The channel number (1…count) `text` names: `ch3`, `CH3` or `3`.
    static func channel(_ text: String, flag: String, count: Int) throws(ArgumentError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.lowercased().hasPrefix("ch") ? String(trimmed.dropFirst(2)) : trimmed
        guard let number = Int(digits), (1...count).contains(number) else {
            throw ArgumentError(.unknownChannel, flag: flag, value: trimmed,
                                expected: "no channel '\(trimmed)' (the Cyton\(count == 16 ? " + Daisy" : "") has ch1…ch\(count), or 1…\(count))")
        }
        return number
    }
}
