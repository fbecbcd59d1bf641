/// The XML documents of an XDF stream header and footer as EEGKit writes them.
/// (Placeholder for the shared StreamInfo model; the header fields follow liblsl's
/// `<info>` order.)
enum XDFStreamHeader {
    static func xml(name: String, type: String, format: String, rate: Double, sourceID: String, createdAt: Double,
                    channels: [(label: String, unit: String, type: String)]) -> String {
        var text = "<?xml version=\"1.0\"?>\n<info>"
        func field(_ tag: String, _ value: String) { text += "<\(tag)>\(escaped(value))</\(tag)>" }
        field("name", name)
        field("type", type)
        field("channel_count", "\(channels.count)")
        field("channel_format", format)
        field("source_id", sourceID)
        field("nominal_srate", number(rate))
        field("version", "1.1000000000000001")
        field("created_at", number(createdAt))
        text += "<desc><channels>"
        for c in channels {
            text += "<channel>"
            field("label", c.label)
            field("unit", c.unit)
            field("type", c.type)
            text += "</channel>"
        }
        text += "</channels><acquisition><manufacturer>EEGKit</manufacturer></acquisition></desc></info>"
        return text
    }

    static func footer(first: Double, last: Double, count: Int) -> String {
        "<?xml version=\"1.0\"?>\n<info><first_timestamp>\(number(first))</first_timestamp><last_timestamp>\(number(last))</last_timestamp><sample_count>\(count)</sample_count></info>"
    }

    /// The shortest text that reads back as the same double.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }
}
