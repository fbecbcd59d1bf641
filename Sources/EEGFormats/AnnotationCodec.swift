import EEGCore
import Foundation

/// The one mapping between ``AnnotationKind`` and EDF+ annotation text, both ways.
///
/// The text is the machine-readable form: each kind has one fixed grammar, the exact
/// text EEGKit has written since its first version, so files recorded before kinds
/// existed decode to the same kinds, and nothing outside this type reads annotation words:
///
/// | kind | text |
/// |---|---|
/// | marker(t) | `Marker: t` |
/// | samplesLost(n, cause) | `EEGKit: n samples lost (cause); zeros here are not data` |
/// | padding | `EEGKit: recording ended; the rest of this record is padding, not data` |
/// | disconnected / reconnected | `Device disconnected` / `Device reconnected` |
/// | deviceFailed(m) | `Device failed: m` |
/// | recordingStarted(s) | `Recording starts (EEGKit, s)`, or `Recording starts` |
/// | recordingEnded | `Recording ends` |
/// | annotationsNotStored(n) | `EEGKit: n annotation(s) not stored (they came faster …)` |
/// | markersDropped(n) | `EEGKit: n markers dropped (they came faster …)` |
/// | note(t) | `t` (any other text) |
///
/// with cause `the ring buffer was full` (ringOverflow), `not received from the device`
/// (notReceived), `the recording paused` (notRecorded) or other words (other). Decoding is as lenient as the readers were
/// before kinds: any `EEGKit: ` text that mentions "samples lost" is a loss, any that
/// mentions "padding" is padding.
public enum AnnotationCodec {
    private static let own = "EEGKit: "
    private static let markerPrefix = "Marker: "
    private static let failedPrefix = "Device failed: "
    private static let startsPrefix = "Recording starts"
    private static let lostTail = " samples lost"
    private static let fillerNote = "; zeros here are not data"
    private static let paddingText = own + "recording ended; the rest of this record is padding, not data"
    private static let notStoredTail = " not stored (they came faster than the file's annotation space could hold them)"
    private static let markersDroppedTail = " markers dropped (they came faster than they could be stored)"

    /// The EDF+ annotation text for `kind`.
    public static func text(for kind: AnnotationKind) -> String {
        switch kind {
        case .marker(let text): return markerPrefix + text
        case .samplesLost(let count, let cause): return own + "\(count)" + lostTail + " (\(text(for: cause)))" + fillerNote
        case .padding: return paddingText
        case .disconnected: return "Device disconnected"
        case .reconnected: return "Device reconnected"
        case .deviceFailed(let message): return failedPrefix + message
        case .recordingStarted(let source): return startsPrefix + (source.map { " (EEGKit, \($0))" } ?? "")
        case .recordingEnded: return "Recording ends"
        case .annotationsNotStored(let count): return own + "\(count) annotation\(count == 1 ? "" : "s")" + notStoredTail
        case .markersDropped(let count): return own + "\(count)" + markersDroppedTail
        case .note(let text): return text
        }
    }

    /// The words for a loss cause inside a `samplesLost` text.
    public static func text(for cause: SampleLossCause) -> String {
        switch cause {
        case .ringOverflow: return "the ring buffer was full"
        case .notReceived: return "not received from the device"
        case .notRecorded: return "the recording paused"
        case .other(let words): return words
        }
    }

    /// The kind of an annotation text (``AnnotationKind/note(_:)`` when it is none of
    /// EEGKit's).
    public static func kind(of text: String) -> AnnotationKind {
        if text.hasPrefix(own) { return ownKind(String(text.dropFirst(own.count)), whole: text) }
        if text.hasPrefix(markerPrefix) { return .marker(String(text.dropFirst(markerPrefix.count))) }
        if text.hasPrefix(failedPrefix) { return .deviceFailed(String(text.dropFirst(failedPrefix.count))) }
        switch text {
        case "Device disconnected": return .disconnected
        case "Device reconnected": return .reconnected
        case "Recording ends": return .recordingEnded
        case startsPrefix: return .recordingStarted(source: nil)
        default: break
        }
        let sourceOpen = startsPrefix + " (EEGKit, "
        if text.hasPrefix(sourceOpen), text.hasSuffix(")") {
            return .recordingStarted(source: String(text.dropFirst(sourceOpen.count).dropLast()))
        }
        return .note(text)
    }

    /// A text after "EEGKit: ".
    private static func ownKind(_ rest: String, whole: String) -> AnnotationKind {
        let (count, afterCount) = leadingCount(rest)
        if let count {
            if afterCount.hasPrefix(lostTail) { return .samplesLost(count: count, cause: cause(in: afterCount.dropFirst(lostTail.count))) }
            if afterCount == markersDroppedTail { return .markersDropped(count: count) }
            if afterCount.hasSuffix(notStoredTail), afterCount.hasPrefix(" annotation") { return .annotationsNotStored(count: count) }
        }
        // As lenient as the readers before kinds: words, not the exact grammar.
        if rest.contains("samples lost") { return .samplesLost(count: count ?? 0, cause: .other(whole)) }
        if rest.contains("padding") { return .padding }
        return .note(whole)
    }

    /// The cause in ` (words); zeros here are not data`.
    private static func cause(in tail: Substring) -> SampleLossCause {
        guard tail.hasPrefix(" ("), let close = tail.range(of: ")" + fillerNote, options: .backwards) else {
            return .other(String(tail.drop { $0 == " " }))
        }
        let words = String(tail[tail.index(tail.startIndex, offsetBy: 2)..<close.lowerBound])
        if words == text(for: .ringOverflow) { return .ringOverflow }
        if words == text(for: .notReceived) { return .notReceived }
        if words == text(for: .notRecorded) { return .notRecorded }
        return .other(words)
    }

    /// The decimal count at the start of `text` (nil when there is none or it does not fit
    /// an Int) and what follows it.
    private static func leadingCount(_ text: String) -> (Int?, Substring) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        return (digits.isEmpty ? nil : Int(digits), text.dropFirst(digits.count))
    }
}

extension Annotation {
    /// An annotation of `kind`, its text from ``AnnotationCodec``.
    public init(onset: Double, duration: Double? = nil, kind: AnnotationKind) {
        self.init(onset: onset, duration: duration, text: AnnotationCodec.text(for: kind))
    }

    /// What the annotation means (decoded from its text by ``AnnotationCodec``).
    public var kind: AnnotationKind { AnnotationCodec.kind(of: text) }
}
