import EEGCore
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

    /// Why an annotation signal's bytes are not valid TALs: where (index into the
    /// signal's bytes), what was there, what the EDF+ specification asks for.
    struct Malformed: Error {
        let position: Int
        let found: String
        let expected: String
    }

    /// Walks one annotation signal's bytes without copying or keeping anything: each TAL
    /// is `±onset[0x15 duration]0x14 text 0x14 [text 0x14 …] 0x00`, the rest of the signal
    /// 0x00. Onsets and durations must be plain decimals from 0 to ``EDFLimits/maxSeconds``.
    ///
    /// - Parameters:
    ///   - timekeeping: called with the onset of the first TAL when its first annotation
    ///     is empty (the record's start time, EDF+ §2.2.4); pass nil to not look for it.
    ///   - firstTALOnly: stop after the first TAL (reading record start times only).
    ///   - annotation: called for every non-empty annotation with its onset, duration and
    ///     text bytes (valid only during the call).
    static func scan(_ bytes: UnsafeRawBufferPointer, firstTALOnly: Bool = false,
                     timekeeping: ((Double) -> Void)?,
                     annotation: (Double, Double?, UnsafeRawBufferPointer) throws -> Void) throws -> Void {
        var i = 0
        var first = true
        while i < bytes.count {
            if bytes[i] == 0 { i += 1; continue }  // padding after the last TAL
            guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else {
                throw Malformed(position: i, found: describe(bytes, i), expected: "'+' starting a time-stamped annotation list, or 0x00 padding")
            }
            let onsetStart = i
            i += 1
            while i < bytes.count && bytes[i] != 0x14 && bytes[i] != 0x15 && bytes[i] != 0 { i += 1 }
            guard i < bytes.count && bytes[i] != 0 else {
                throw Malformed(position: onsetStart, found: "an onset with no 0x14 after it", expected: "'±seconds' followed by 0x14 (or 0x15 and a duration)")
            }
            let onset = try seconds(bytes, onsetStart..<i, signed: true, what: "onset")
            var duration: Double?
            if bytes[i] == 0x15 {
                let durationStart = i + 1
                i = durationStart
                while i < bytes.count && bytes[i] != 0x14 && bytes[i] != 0 { i += 1 }
                guard i < bytes.count && bytes[i] == 0x14 else {
                    throw Malformed(position: durationStart, found: "a duration with no 0x14 after it", expected: "a duration in seconds followed by 0x14")
                }
                duration = try seconds(bytes, durationStart..<i, signed: false, what: "duration")
            }
            i += 1  // the 0x14 closing the onset
            var firstText = true
            // "+onset 0x14 0x00": a TAL with no annotation at all; treat as one empty one.
            if i < bytes.count && bytes[i] == 0 {
                if first, let timekeeping { timekeeping(onset) }
                i += 1
            } else {
                while true {
                    let textStart = i
                    while i < bytes.count && bytes[i] != 0x14 && bytes[i] != 0 { i += 1 }
                    guard i < bytes.count && bytes[i] == 0x14 else {
                        throw Malformed(position: textStart, found: i < bytes.count ? "0x00 inside an annotation" : "the end of the signal inside an annotation",
                                        expected: "each annotation ended by 0x14 and the list by 0x14 0x00")
                    }
                    let text = UnsafeRawBufferPointer(rebasing: bytes[textStart..<i])
                    if text.isEmpty {
                        if first && firstText, let timekeeping { timekeeping(onset) }
                    } else {
                        try annotation(onset, duration, text)
                    }
                    firstText = false
                    i += 1
                    guard i < bytes.count else {
                        throw Malformed(position: i - 1, found: "the end of the signal after 0x14", expected: "the list ended by 0x14 0x00")
                    }
                    if bytes[i] == 0 { i += 1; break }
                }
            }
            first = false
            if firstTALOnly { return }
        }
    }

    /// A TAL time: `+` or `-` (onsets only), digits, an optional fraction; no exponent.
    private static func seconds(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, signed: Bool, what: String) throws -> Double {
        let text = Array(bytes[range])
        var digits = 0, dots = 0, valid = !text.isEmpty
        for (k, b) in text.enumerated() {
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { digits += 1 } else if b == UInt8(ascii: ".") { dots += 1 } else if k == 0 && signed && (b == UInt8(ascii: "+") || b == UInt8(ascii: "-")) {
                continue
            } else { valid = false }
        }
        // Built only for a bad time: every record's time-keeping TAL passes through here.
        func malformed() -> Malformed {
            let expected = signed ? "an onset '+seconds' from +0 to +\(Int(EDFLimits.maxSeconds))" : "a duration in seconds from 0 to \(Int(EDFLimits.maxSeconds))"
            return Malformed(position: range.lowerBound, found: "\(what) '\(CheckedNumber.printable(text))'", expected: expected)
        }
        guard valid, digits > 0, dots <= 1, let value = Double(String(decoding: text, as: UTF8.self)) else { throw malformed() }
        // Negative onsets (before the file's start) and absurd times are refused: every
        // time here becomes a sample position downstream.
        guard value.isFinite, value >= 0, value <= EDFLimits.maxSeconds else { throw malformed() }
        return value
    }

    private static func describe(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> String {
        let b = bytes[i]
        return b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16, uppercase: true)
    }
}
