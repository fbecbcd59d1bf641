import Foundation

/// A timed note in a recording: a marker, a gap, a disconnect, the start and end.
public struct Annotation: Sendable, Equatable {
    /// Seconds from the start of the recording.
    public var onset: Double
    /// Seconds, when the annotation spans an interval.
    public var duration: Double?
    public var text: String

    public init(onset: Double, duration: Double? = nil, text: String) {
        self.onset = onset
        self.duration = duration
        self.text = text
    }
}

/// Time-stamped Annotation Lists, the EDF+ annotation encoding:
/// `+onset[\u{15}duration]\u{14}text\u{14}…\u{0}`. A record's first TAL has no text and
/// gives the record's start time.
enum TAL {
    static func time(_ seconds: Double) -> String {
        var text = String(format: "%.6f", abs(seconds))
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return (seconds < 0 ? "-" : "+") + text
    }

    /// The time-keeping TAL that starts every record's annotation signal.
    static func timekeeping(_ onset: Double) -> [UInt8] {
        Array(time(onset).utf8) + [0x14, 0x14, 0x00]
    }

    static func encode(_ a: Annotation) -> [UInt8] {
        var bytes = Array(time(a.onset).utf8)
        if let duration = a.duration {
            bytes.append(0x15)
            bytes += Array(time(duration).dropFirst().utf8)
        }
        bytes.append(0x14)
        // 0x14, 0x15 and 0x00 are delimiters: keep them out of the text.
        bytes += Array(a.text.utf8).map { $0 == 0x14 || $0 == 0x15 || $0 == 0x00 ? UInt8(ascii: " ") : $0 }
        bytes += [0x14, 0x00]
        return bytes
    }

    /// Parses an annotation signal's bytes: the record's start time (from its first TAL)
    /// and its annotations.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> (recordStart: Double?, annotations: [Annotation]) {
        var recordStart: Double?
        var annotations: [Annotation] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { i += 1; continue }
            var end = i
            while end < bytes.count && bytes[end] != 0 { end += 1 }
            let tal = Array(bytes[i..<end])
            i = end + 1
            let parts = tal.split(separator: 0x14, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard let head = parts.first else { continue }
            let timing = head.split(separator: "\u{15}", omittingEmptySubsequences: false)
            guard let onset = Double(timing[0]) else { continue }
            let duration = timing.count > 1 ? Double(timing[1]) : nil
            let texts = parts.dropFirst().filter { !$0.isEmpty }
            if texts.isEmpty {
                if recordStart == nil { recordStart = onset }
            } else {
                for text in texts { annotations.append(Annotation(onset: onset, duration: duration, text: text)) }
            }
        }
        return (recordStart, annotations)
    }
}
