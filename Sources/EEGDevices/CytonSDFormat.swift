/// Facts of the text the Cyton firmware (v3) writes to its SD card, and the parse of one
/// line of it. Written from the firmware's documented behaviour:
///
/// - a sample line is the 8-bit sample counter as 2 hex digits, then each channel's 24-bit
///   two's-complement ADC value as 6 hex digits (8 channels, or 16 with a Daisy: board
///   then Daisy), comma-separated; some lines end with 3 more 16-bit values as 4 hex
///   digits (the accelerometer, or the aux inputs in another board mode — the line does
///   not say which);
/// - `%START AT` / `%STOP AT` lines, each followed by the board's clock in ms (8 hex
///   digits), stamp where streaming was started or stopped while the file was open;
/// - a file filled to its size ends with a footer: `%SamplingFreq:` and the rate (hex),
///   then write-time statistics (`%Total time mS:`, `%Over:`, `%block, uS` and
///   `BLOCK,MICROS` pairs, 8 hex digits each);
/// - the file is allocated whole before recording: after the last line the rest is
///   unused space (0x00, or 0xFF on some cards), and a file closed early loses its last
///   unwritten block, so its last line may be cut anywhere.
///
/// The file states neither the channel gains nor the time of day.
public enum CytonSD {
    /// The longest line accepted (a 16-channel line with aux values is 130 bytes).
    public static let maximumLineBytes = 256
    /// The rates the board can record at (Hz); the default is 250.
    public static let recordableRates: Set<Int> = [250, 500, 1000, 2000, 4000, 8000, 16000]
    public static let defaultRate = 250
    /// Pauses (stop/start stamps) longer than this in all are refused: the firmware's
    /// longest file is 24 h, so more is a corrupt clock, and filling it would write
    /// gigabytes of filler.
    public static let longestPauses: Int64 = 86_400_000  // ms
    /// Filler (lost and paused samples written as annotated spans) may add up to this many
    /// frames plus ``fillerPerSampleRead`` per sample line read, and no more: each line can
    /// claim up to 255 lost samples and two stamp lines a day of pause, so without a bound
    /// a small crafted file would become a recording a hundred times its size. A real
    /// file loses a few samples now and then; 2¹⁸ frames is 17 min at 250 Hz.
    public static let fillerAllowance: Int64 = 1 << 18
    /// Filler frames allowed per sample line read, on top of ``fillerAllowance``: the
    /// output then stays within about 7 times the input's size.
    public static let fillerPerSampleRead: Int64 = 16
    /// Aux values at the end of a sample line.
    public static let auxValues = 3
}

/// A line that is not what the format allows there: where, and what is wrong.
public struct CytonSDProblem: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number and byte column.
    public let line: Int
    public let column: Int
    public let reason: Reason

    public enum Reason: Sendable, Equatable {
        /// A byte that is not a hex digit (or comma) where one belongs.
        case notHex(byte: UInt8)
        /// A field of the wrong number of digits.
        case fieldWidth(field: Int, expected: Int, found: Int)
        /// Not 1 + channels (+ 3 aux) fields.
        case fieldCount(found: Int, channels: Int?)
        /// No line end within ``CytonSD/maximumLineBytes``.
        case tooLong
        /// Cut before its end: at the end of the file or at the unused space.
        case torn
    }

    public var description: String {
        let place = "line \(line), column \(column)"
        switch reason {
        case .notHex(let byte):
            let shown = (0x21...0x7E).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "byte 0x%02X", byte)
            return "\(place): \(shown) is not a hex digit"
        case .fieldWidth(let field, let expected, let found):
            return "\(place): field \(field) has \(found) hex digits, expected \(expected)"
        case .fieldCount(let found, let channels):
            let wanted = channels.map { "\($0 + 1) or \($0 + 1 + CytonSD.auxValues)" } ?? "9, 12, 17 or 20"
            return "\(place): \(found) fields, expected \(wanted) (sample counter, channels, optional aux)"
        case .tooLong:
            return "\(place): longer than \(CytonSD.maximumLineBytes) bytes"
        case .torn:
            return "\(place): the line is cut off (the end of the recorded data)"
        }
    }
}

/// Why an SD-card file cannot be converted. Every case names the file and where.
public enum CytonSDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A malformed line, in strict mode.
    case malformedLine(source: String, problem: CytonSDProblem)
    /// No sample line at all; `firstProblem` says what the first unusable line was.
    case noSamples(source: String, firstProblem: CytonSDProblem?)
    /// `%SamplingFreq:` states a rate the board cannot record at.
    case unsupportedRate(source: String, line: Int, rate: Int)
    /// Two `%SamplingFreq:` values that differ.
    case conflictingRates(source: String, line: Int, first: Int, second: Int)
    /// Stop/start stamps imply pauses longer than ``CytonSD/longestPauses`` in all.
    case pausesTooLong(source: String, line: Int, milliseconds: Int64)
    /// Counter jumps and pauses claim more missing samples than the file can hold for the
    /// samples it has (``CytonSD/fillerAllowance``): the counters or stamps are corrupt.
    case gapsTooLong(source: String, line: Int, missing: Int64, read: Int64)

    public var description: String {
        switch self {
        case .malformedLine(let source, let problem):
            return "\(source) \(problem)"
        case .noSamples(let source, let problem):
            return "\(source) holds no Cyton SD-card sample line" + (problem.map { "; first unusable: \($0)" } ?? "")
        case .unsupportedRate(let source, let line, let rate):
            return "\(source) line \(line), column 1: sampling rate \(rate) Hz is not one the Cyton records at (250, 500, 1000, 2000, 4000, 8000 or 16000)"
        case .conflictingRates(let source, let line, let first, let second):
            return "\(source) line \(line), column 1: sampling rate \(second) Hz contradicts the \(first) Hz stated before"
        case .pausesTooLong(let source, let line, let ms):
            return "\(source) line \(line), column 1: stop/start stamps add up to \(ms / 1000) s of pauses, more than the 24 h a file can span"
        case .gapsTooLong(let source, let line, let missing, let read):
            return "\(source) line \(line), column 1: counter jumps and pauses add up to \(missing) missing samples for \(read) read, "
                + "more than \(CytonSD.fillerPerSampleRead) per sample read plus \(CytonSD.fillerAllowance): the counters or stamps are corrupt, not converted"
        }
    }

    /// The same error naming `source` (the pure parser does not know the file's name).
    public func naming(_ source: String) -> CytonSDError {
        switch self {
        case .malformedLine(_, let p): return .malformedLine(source: source, problem: p)
        case .noSamples(_, let p): return .noSamples(source: source, firstProblem: p)
        case .unsupportedRate(_, let l, let r): return .unsupportedRate(source: source, line: l, rate: r)
        case .conflictingRates(_, let l, let a, let b): return .conflictingRates(source: source, line: l, first: a, second: b)
        case .pausesTooLong(_, let l, let ms): return .pausesTooLong(source: source, line: l, milliseconds: ms)
        case .gapsTooLong(_, let l, let missing, let read): return .gapsTooLong(source: source, line: l, missing: missing, read: read)
        }
    }
}

/// What one line of an SD-card file is.
enum CytonSDLine: Equatable {
    case blank
    /// A `%` label; its value is on the next line.
    case label(CytonSDLabel)
    /// Only hex digits (a label's value), at most 8 of them.
    case value(UInt32)
    /// `BLOCK,MICROS` from the footer's overrun list.
    case overrunPair
    /// A sample line: its counter, how many 6-digit channel fields, whether aux follows.
    case sample(counter: UInt8, channels: Int, aux: Bool)
    case problem(column: Int, CytonSDProblem.Reason)
}

enum CytonSDLabel: Equatable {
    case stamp, samplingRate, other(String)

    init(_ text: String) {
        switch text {
        case "%START AT", "%STOP AT": self = .stamp
        case "%SamplingFreq:": self = .samplingRate
        default: self = .other(text)
        }
    }
}

extension CytonSDLine {
    /// Classifies `line` (no line end, a trailing CR removed by the caller).
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> CytonSDLine {
        guard let first = line.first else { return .blank }
        if first == UInt8(ascii: "%") { return .label(CytonSDLabel(String(decoding: line, as: UTF8.self))) }
        if isOverrunPair(line) { return .overrunPair }
        var fields = 0, digits = 0, value: UInt32 = 0, counter: UInt8 = 0
        var channels = 0, auxFields = 0, fieldStart = 1
        for (offset, byte) in line.enumerated() {
            if byte == UInt8(ascii: ",") {
                if let bad = endField(fields, digits, &channels, &auxFields) { return .problem(column: fieldStart, bad) }
                if fields == 0 { counter = UInt8(truncatingIfNeeded: value) }
                fields += 1; digits = 0; value = 0; fieldStart = offset + 2
                continue
            }
            guard let nibble = hexValue(byte) else { return .problem(column: offset + 1, .notHex(byte: byte)) }
            digits += 1
            if digits <= 8 { value = value << 4 | UInt32(nibble) }
        }
        if fields == 0 {
            return digits <= 8 ? .value(value) : .problem(column: 1, .fieldWidth(field: 1, expected: 8, found: digits))
        }
        if let bad = endField(fields, digits, &channels, &auxFields) { return .problem(column: fieldStart, bad) }
        let total = fields + 1
        guard (channels == 8 || channels == 16) && (auxFields == 0 || auxFields == CytonSD.auxValues) else {
            return .problem(column: 1, .fieldCount(found: total, channels: nil))
        }
        return .sample(counter: counter, channels: channels, aux: auxFields > 0)
    }

    /// Checks the width of field `index` (0: the counter, 2 digits; then 6-digit channels,
    /// then 4-digit aux values, never a channel after an aux value).
    private static func endField(_ index: Int, _ digits: Int, _ channels: inout Int, _ aux: inout Int) -> CytonSDProblem.Reason? {
        if index == 0 {
            return digits == 2 ? nil : .fieldWidth(field: 1, expected: 2, found: digits)
        }
        if digits == 6 && aux == 0 { channels += 1; return nil }
        if digits == 4 && channels > 0 { aux += 1; return nil }
        return .fieldWidth(field: index + 1, expected: aux > 0 ? 4 : 6, found: digits)
    }

    /// `XXXXXXXX,XXXXXXXX`: a footer line, never a sample line (whose first field has 2
    /// digits).
    private static func isOverrunPair(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count == 17, line[8] == UInt8(ascii: ",") else { return false }
        return line.indices.allSatisfy { $0 == 8 || hexValue(line[$0]) != nil }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
