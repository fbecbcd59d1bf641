import Foundation

/// Everything the dashboard shows, updated by the stream loop.
public struct DashboardState: Sendable {
    public struct Channel: Sendable, Equatable {
        public var label: String
        public var quality: String = "good"
        public var rms: Double = 0
        /// Relative band powers (0…1), in band order.
        public var relative: [Double] = []
        public init(label: String) { self.label = label }
    }

    public var deviceName: String
    public var deviceState: DeviceState = .streaming
    public var bandNames: [String]
    public var channels: [Channel]
    public var time: Double = 0
    /// The metrics as the user watches them (smoothed ratios and scores), read by metric.
    public var metrics = MetricValues()
    public var calibration: Double = 0
    /// Attention over the last minute, oldest first (nil: unavailable then).
    public var attentionHistory: [Double?] = []
    public var achievedRate: Double = 0
    public var nominalRate: Double
    public var dropped = 0
    public var recordingPath: String?
    public var recordingBytes = 0
    public var markers = 0
    public var frozen = false
    public var message: String?

    public init(deviceName: String, nominalRate: Double, labels: [String], bandNames: [String]) {
        self.deviceName = deviceName
        self.nominalRate = nominalRate
        self.bandNames = bandNames
        channels = labels.map(Channel.init)
    }

    /// Takes in an analyzer update.
    public mutating func update(_ u: LiveAnalysis, historyLength: Int = 240) {
        time = u.time
        metrics = u.shownMetrics
        calibration = u.calibrationProgress
        dropped = u.droppedFrames
        for c in 0..<min(channels.count, u.channelCount) {
            channels[c].quality = StreamLineFormatter.qualityWord(u.quality[c])
            channels[c].rms = u.quality[c].rms
            channels[c].relative = (0..<u.bandCount).map { u.relativePowers[c * u.bandCount + $0] }
        }
        attentionHistory.append(u.scores.attention)
        if attentionHistory.count > historyLength { attentionHistory.removeFirst(attentionHistory.count - historyLength) }
    }
}

/// What a key press asks for.
public enum DashboardAction: Equatable, Sendable {
    case marker, toggleRecording, toggleFreeze, quit
}

/// Keys of the dashboard: `m` marker, `r` start/stop recording, space freeze, `q` quit
/// (Ctrl-C and Esc quit too). Other bytes are ignored.
public func dashboardActions(for bytes: [UInt8]) -> [DashboardAction] {
    bytes.compactMap { byte in
        switch byte {
        case UInt8(ascii: "m"), UInt8(ascii: "M"): return .marker
        case UInt8(ascii: "r"), UInt8(ascii: "R"): return .toggleRecording
        case UInt8(ascii: " "): return .toggleFreeze
        case UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x03, 0x1B: return .quit
        default: return nil
        }
    }
}
