// TEMPORARY: the lead's shared StreamInfo (EEGFormats) replaces this file when it lands on
// main; it follows the same API (streaminfo-spec.md) so the switch is a deletion.
public struct StreamInfo: Sendable, Equatable {
    public enum ChannelFormat: String, Sendable { case float32, double64, string, int32, int16, int8, int64 }
    public struct Channel: Sendable, Equatable {
        public var label, unit, type: String
        public init(label: String, unit: String, type: String) { self.label = label; self.unit = unit; self.type = type }
    }
    public var name, type: String
    public var channelCount: Int
    public var nominalRate: Double
    public var channelFormat: ChannelFormat
    public var sourceID: String
    public var version = 1.1
    public var createdAt = 0.0
    public var uid = "", sessionID = "default", hostname = ""
    public var v4Address = "", v6Address = ""
    public var v4DataPort = 0, v4ServicePort = 0, v6DataPort = 0, v6ServicePort = 0
    public var channels: [Channel]
    public init(name: String, type: String, channelCount: Int, nominalRate: Double, channelFormat: ChannelFormat, sourceID: String, channels: [Channel] = []) {
        self.name = name; self.type = type; self.channelCount = channelCount; self.nominalRate = nominalRate
        self.channelFormat = channelFormat; self.sourceID = sourceID; self.channels = channels
    }
    public func xml(includingDescription: Bool) -> String {
        func e(_ s: String) -> String { s.replacingOccurrences("&", "&amp;").replacingOccurrences("<", "&lt;").replacingOccurrences(">", "&gt;") }
        var x = "<?xml version=\"1.0\"?>\n<info>\n"
        let fields: [(String, String)] = [("name", name), ("type", type), ("channel_count", "\(channelCount)"), ("channel_format", channelFormat.rawValue),
            ("source_id", sourceID), ("nominal_srate", "\(nominalRate)"), ("version", "\(version)"), ("created_at", "\(createdAt)"), ("uid", uid),
            ("session_id", sessionID), ("hostname", hostname), ("v4address", v4Address), ("v4data_port", "\(v4DataPort)"),
            ("v4service_port", "\(v4ServicePort)"), ("v6address", v6Address), ("v6data_port", "\(v6DataPort)"), ("v6service_port", "\(v6ServicePort)")]
        for (k, v) in fields { x += "\t<\(k)>\(e(v))</\(k)>\n" }
        if includingDescription && !channels.isEmpty {
            x += "\t<desc>\n\t\t<channels>\n"
            for c in channels { x += "\t\t\t<channel>\n\t\t\t\t<label>\(e(c.label))</label>\n\t\t\t\t<unit>\(e(c.unit))</unit>\n\t\t\t\t<type>\(e(c.type))</type>\n\t\t\t</channel>\n" }
            x += "\t\t</channels>\n\t</desc>\n"
        } else { x += "\t<desc />\n" }
        return x + "</info>\n"
    }
}
private extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String { split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b) }
}
