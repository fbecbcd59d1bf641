import Foundation

/// A stream's description as the Lab Streaming Layer exchanges it (the `<info>` document
/// of liblsl's short and full info replies) and as XDF stores it (a stream header
/// chunk): what the stream is, its sample format and rate, where it is served, and the
/// channels' labels, units and types under `desc/channels`.
///
/// A value type; rendering and parsing allocate (they run once per stream or query,
/// never per sample).
public struct StreamInfo: Sendable, Equatable {
    /// The type of every channel value in a sample, named as LSL names it.
    public enum ChannelFormat: String, Sendable, CaseIterable {
        case float32, double64, string, int32, int16, int8, int64

        /// Bytes per value on the wire and in XDF; nil for strings (length-prefixed).
        public var byteWidth: Int? {
            switch self {
            case .float32, .int32: return 4
            case .double64, .int64: return 8
            case .int16: return 2
            case .int8: return 1
            case .string: return nil
            }
        }
    }

    /// One channel's metadata (`desc/channels/channel`).
    public struct Channel: Sendable, Equatable {
        public var label: String
        public var unit: String
        public var type: String

        public init(label: String, unit: String, type: String) {
            self.label = label
            self.unit = unit
            self.type = type
        }
    }

    public var name: String
    public var type: String
    public var channelCount: Int
    /// Samples per second; 0 means an irregular stream (markers).
    public var nominalRate: Double
    public var channelFormat: ChannelFormat
    public var sourceID: String
    /// The protocol version as liblsl writes it: 1.1 for protocol 110.
    public var version: Double = 1.1
    /// When the outlet was created, in LSL clock seconds.
    public var createdAt: Double = 0
    public var uid: String = ""
    public var sessionID: String = "default"
    public var hostname: String = ""
    public var v4Address: String = ""
    public var v4DataPort: Int = 0
    public var v4ServicePort: Int = 0
    public var v6Address: String = ""
    public var v6DataPort: Int = 0
    public var v6ServicePort: Int = 0
    /// Channel metadata; empty, or one per channel.
    public var channels: [Channel]
    /// Every other child of `<desc>` (acquisition details, a writer's own metadata),
    /// kept as read so a description from another program survives a round trip.
    public var descriptionExtras: [XMLElement] = []

    public init(name: String, type: String, channelCount: Int, nominalRate: Double,
                channelFormat: ChannelFormat, sourceID: String, channels: [Channel] = []) {
        self.name = name
        self.type = type
        self.channelCount = channelCount
        self.nominalRate = nominalRate
        self.channelFormat = channelFormat
        self.sourceID = sourceID
        self.channels = channels
    }
}

// MARK: Writing

extension StreamInfo {
    /// The `<info>` document, fields in liblsl's order and numbers in its notation (16
    /// significant digits, decimal point always shown). Without the description, `<desc>`
    /// is empty, as in LSL's short info.
    public func xml(includingDescription: Bool) -> String {
        var lines = ["<?xml version=\"1.0\"?>", "<info>"]
        let fields: [(String, String)] = [
            ("name", name), ("type", type), ("channel_count", String(channelCount)),
            ("channel_format", channelFormat.rawValue), ("source_id", sourceID),
            ("nominal_srate", Self.number(nominalRate)), ("version", Self.number(version)),
            ("created_at", Self.number(createdAt)), ("uid", uid), ("session_id", sessionID),
            ("hostname", hostname), ("v4address", v4Address), ("v4data_port", String(v4DataPort)),
            ("v4service_port", String(v4ServicePort)), ("v6address", v6Address),
            ("v6data_port", String(v6DataPort)), ("v6service_port", String(v6ServicePort)),
        ]
        for (field, value) in fields { lines.append(Self.leaf(field, value, depth: 1)) }
        let description = includingDescription ? descriptionElement() : XMLElement(name: "desc")
        Self.render(description, depth: 1, into: &lines)
        lines.append("</info>")
        return lines.joined(separator: "\n") + "\n"
    }

    private func descriptionElement() -> XMLElement {
        var description = XMLElement(name: "desc")
        if !channels.isEmpty {
            let list = channels.map { channel in
                XMLElement(name: "channel", children: [
                    XMLElement(name: "label", text: channel.label),
                    XMLElement(name: "unit", text: channel.unit),
                    XMLElement(name: "type", text: channel.type),
                ])
            }
            description.children.append(XMLElement(name: "channels", children: list))
        }
        description.children += descriptionExtras
        return description
    }

    private static func render(_ element: XMLElement, depth: Int, into lines: inout [String]) {
        let indent = String(repeating: "\t", count: depth)
        if element.children.isEmpty {
            lines.append(element.text.isEmpty ? "\(indent)<\(element.name) />" : leaf(element.name, element.text, depth: depth))
            return
        }
        lines.append("\(indent)<\(element.name)>" + XMLTree.escaped(element.text))
        for child in element.children { render(child, depth: depth + 1, into: &lines) }
        lines.append("\(indent)</\(element.name)>")
    }

    /// A text element as liblsl's XML library writes it: `<name>value</name>`, also
    /// when the value is empty.
    private static func leaf(_ name: String, _ value: String, depth: Int) -> String {
        "\(String(repeating: "\t", count: depth))<\(name)>\(XMLTree.escaped(value))</\(name)>"
    }

    /// liblsl's notation for floating-point fields: 16 significant digits, point shown.
    static func number(_ value: Double) -> String {
        String(format: "%#.16g", value)
    }
}

// MARK: Reading

extension StreamInfo {
    /// Reads an `<info>` document: a short or full info reply, or an XDF stream header.
    /// Required: a non-empty name, the channel count (0…``maxChannels``), the rate
    /// (finite, ≥ 0) and the channel format; ports must be 0…65 535. Other fields default
    /// when absent, as liblsl's reader lets them.
    public init(xml: [UInt8]) throws(StreamInfoError) {
        let root = try XMLTree.parse(xml)
        guard root.name == "info" else { throw .missingField("info") }
        guard let name = root.value(of: "name"), !name.isEmpty else { throw .missingField("name") }
        guard let formatText = root.value(of: "channel_format") else { throw .missingField("channel_format") }
        guard let format = ChannelFormat(rawValue: formatText) else {
            throw .badValue(field: "channel_format", found: formatText, expected: "one of " + ChannelFormat.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let count = try Self.integer(root, "channel_count", in: 0...Self.maxChannels, required: true)
        let rate = try Self.real(root, "nominal_srate", required: true, nonNegative: true)
        self.init(name: name, type: root.value(of: "type") ?? "", channelCount: count, nominalRate: rate,
                  channelFormat: format, sourceID: root.value(of: "source_id") ?? "")
        version = try Self.real(root, "version", required: false, nonNegative: true, default: 1.1)
        createdAt = try Self.real(root, "created_at", required: false, nonNegative: false)
        uid = root.value(of: "uid") ?? ""
        sessionID = root.value(of: "session_id") ?? ""
        hostname = root.value(of: "hostname") ?? ""
        v4Address = root.value(of: "v4address") ?? ""
        v4DataPort = try Self.integer(root, "v4data_port", in: 0...65535)
        v4ServicePort = try Self.integer(root, "v4service_port", in: 0...65535)
        v6Address = root.value(of: "v6address") ?? ""
        v6DataPort = try Self.integer(root, "v6data_port", in: 0...65535)
        v6ServicePort = try Self.integer(root, "v6service_port", in: 0...65535)
        readDescription(root.child("desc"))
    }

    /// The most channels a description may declare: far beyond any EEG amplifier, small
    /// enough that a per-channel buffer sized from it is always safe to allocate.
    public static let maxChannels = 65_535

    private mutating func readDescription(_ description: XMLElement?) {
        guard let description else { return }
        for child in description.children {
            if child.name == "channels", channels.isEmpty {
                channels = child.children.filter { $0.name == "channel" }.map { channel in
                    Channel(label: channel.value(of: "label") ?? "", unit: channel.value(of: "unit") ?? "",
                            type: channel.value(of: "type") ?? "")
                }
            } else {
                descriptionExtras.append(child)
            }
        }
    }

    private static func integer(_ root: XMLElement, _ field: String, in range: ClosedRange<Int>, required: Bool = false) throws(StreamInfoError) -> Int {
        guard let text = root.value(of: field) else {
            if required { throw .missingField(field) }
            return 0
        }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw .badValue(field: field, found: text, expected: "a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    private static func real(_ root: XMLElement, _ field: String, required: Bool, nonNegative: Bool, default fallback: Double = 0) throws(StreamInfoError) -> Double {
        guard let text = root.value(of: field) else {
            if required { throw .missingField(field) }
            return fallback
        }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, !nonNegative || value >= 0 else {
            throw .badValue(field: field, found: text, expected: nonNegative ? "a finite number ≥ 0" : "a finite number")
        }
        return value
    }
}
