import Foundation

/// Why a shard line cannot be read: the 1-based column (byte) and what was expected there.
/// ``ShardMerge`` turns it into a ``ShardError`` naming the shard file and the line.
struct ShardLineError: Error, Equatable, CustomStringConvertible {
    let column: Int
    let expected: String

    var description: String { "at column \(column): expected \(expected)" }
}

/// Appends JSON text, written as JSONEncoder writes it, to a byte buffer: what
/// ``ShardEpochLine`` builds a line with. Allocates only to grow the buffer (and for a
/// number whose shortest text is longer than a small string).
struct ShardLineWriter {
    private(set) var bytes: [UInt8] = []

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func integer(_ value: Int) { bytes.append(contentsOf: value.description.utf8) }

    /// Swift's shortest round-trip text without a trailing ".0" (JSONEncoder's form); NaN
    /// and ±∞ as the strings "nan", "inf", "-inf".
    mutating func number(_ value: Double) {
        guard value.isFinite else {
            raw(value.isNaN ? "\"nan\"" : value < 0 ? "\"-inf\"" : "\"inf\"")
            return
        }
        let text = value.description.utf8
        if text.count > 2, text.last == UInt8(ascii: "0"), text.dropLast().last == UInt8(ascii: ".") {
            bytes.append(contentsOf: text.dropLast(2))
        } else {
            bytes.append(contentsOf: text)
        }
    }

    mutating func numbers(_ values: [Double]) {
        bytes.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            number(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `,"key":value` when `value` is present; nothing when nil (as JSONEncoder leaves out
    /// a nil optional).
    mutating func optional(_ key: StaticString, _ value: Double?) {
        guard let value else { return }
        raw(",\"")
        raw(key)
        raw("\":")
        number(value)
    }

    /// A JSON string: `"` and `\` escaped, control characters as \b \f \n \r \t or
    /// \u00xx, everything else (slashes and non-ASCII included) as its UTF-8 bytes.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Reads the JSON text ``ShardLineWriter`` writes, strictly, from a line's bytes: each
/// call reads one expected thing at the current position or throws a
/// ``ShardLineError`` naming the column. Every array it returns is bounded by the line's
/// length.
struct ShardLineReader {
    private let line: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    fileprivate func error(_ expected: String) -> ShardLineError { ShardLineError(column: position + 1, expected: expected) }

    fileprivate var peek: UInt8? { position < line.count ? line[position] : nil }

    fileprivate mutating func advance() { position += 1 }

    fileprivate func slice(_ first: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: line[first..<position]) }

    /// Reads two given bytes if they come next.
    fileprivate mutating func skipBytes(_ a: UInt8, _ b: UInt8) -> Bool {
        guard line.count - position >= 2, line[position] == a, line[position + 1] == b else { return false }
        position += 2
        return true
    }

    /// Reads `text` if it comes next; otherwise reads nothing. (A byte loop: the keys
    /// and punctuation are a few bytes, too short for memcmp's call to pay.)
    mutating func skip(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard count <= line.count - position else { return false }
        let expected = text.utf8Start
        for i in 0..<count where line[position + i] != expected[i] { return false }
        position += count
        return true
    }

    /// Reads `byte` if it comes next.
    mutating func skip(byte: UInt8) -> Bool {
        guard position < line.count, line[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func expect(_ text: StaticString) throws(ShardLineError) {
        guard skip(text) else { throw error("'\(text)'") }
    }

    func expectEnd() throws(ShardLineError) {
        guard position == line.count else { throw error("the end of the line") }
    }

    mutating func boolean() throws(ShardLineError) -> Bool {
        if skip("true") { return true }
        if skip("false") { return false }
        throw error("true or false")
    }

    /// A whole number of at most 18 digits (no sign but '-', no fraction, no exponent).
    mutating func integer() throws(ShardLineError) -> Int {
        let negative = skip(byte: 0x2D)
        let first = position
        var value = 0
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), position - first < 18 {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - first
        guard digits > 0, !(digits > 1 && line[first] == UInt8(ascii: "0")), !(peek.map { (0x30...0x39).contains($0) } ?? false) else {
            position = first
            throw error("a whole number of at most 18 digits")
        }
        return negative ? -value : value
    }

    mutating func optionalNumber(_ key: StaticString) throws(ShardLineError) -> Double? {
        skip(key) ? try number() : nil
    }

    /// A JSON number that a Double holds (not one that overflows to ±∞), or the string
    /// "nan", "inf" or "-inf".
    mutating func number() throws(ShardLineError) -> Double {
        if skip("\"nan\"") { return .nan }
        if skip("\"inf\"") { return .infinity }
        if skip("\"-inf\"") { return -.infinity }
        let first = position
        guard let decimal = scanNumber() else {
            position = first
            throw error("a number")
        }
        if let value = decimal.double { return value }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[first..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            position = first
            throw error("a number a Double holds")
        }
        return value
    }

    /// Moves over `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` and returns its value as
    /// a decimal; nil when the bytes are not one.
    private mutating func scanNumber() -> ExactDecimal? {
        var decimal = ExactDecimal()
        decimal.negative = skip(byte: 0x2D)
        if skip(byte: 0x30) {
            // a leading zero stands alone
        } else if digits(into: &decimal, fraction: false) == 0 { return nil }
        if skip(byte: 0x2E), digits(into: &decimal, fraction: true) == 0 { return nil }
        if skip(byte: 0x65) || skip(byte: 0x45) {
            let negative = !skip(byte: 0x2B) && skip(byte: 0x2D)
            let first = position
            var written = 0
            while let byte = peek, (0x30...0x39).contains(byte) {
                if position - first < 5 { written = written * 10 + Int(byte - 0x30) }
                position += 1
            }
            if position == first { return nil }
            decimal.add(exponent: negative ? -written : written, digitCount: position - first)
        }
        return decimal
    }

    private mutating func digits(into decimal: inout ExactDecimal, fraction: Bool) -> Int {
        let first = position
        while let byte = peek, (0x30...0x39).contains(byte) {
            decimal.add(digit: byte - 0x30, fraction: fraction)
            position += 1
        }
        return position - first
    }

    mutating func numbers() throws(ShardLineError) -> [Double] {
        try array { (r: inout ShardLineReader) throws(ShardLineError) in try r.number() }
    }

    /// `[`, elements read by `element` separated by commas, `]`.
    mutating func array<T>(_ element: (inout ShardLineReader) throws(ShardLineError) -> T) throws(ShardLineError) -> [T] {
        try expect("[")
        var values: [T] = []
        if skip(byte: 0x5D) { return values }
        repeat { values.append(try element(&self)) } while skip(byte: 0x2C)
        guard skip(byte: 0x5D) else { throw error("',' or ']'") }
        return values
    }
}

extension ShardLineReader {
    /// A JSON string of valid UTF-8, its escapes undone (a \u escape must not be half a
    /// surrogate pair); a raw control character is refused.
    mutating func string() throws(ShardLineError) -> String {
        try expect("\"")
        let first = position
        while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { advance() }
        var bytes = Array(slice(first))
        while let byte = peek, byte != UInt8(ascii: "\"") {
            if byte < 0x20 { throw error("a character (a control character must be escaped)") }
            advance()
            if byte == UInt8(ascii: "\\") { try unescape(into: &bytes) } else { bytes.append(byte) }
        }
        guard peek == UInt8(ascii: "\"") else { throw error("the string's closing quote") }
        advance()
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ShardLineError(column: first + 1, expected: "a string of valid UTF-8")
        }
        return text
    }

    /// The escape after a backslash, its UTF-8 appended to `bytes`.
    private mutating func unescape(into bytes: inout [UInt8]) throws(ShardLineError) {
        guard let byte = peek else { throw error("an escape") }
        if let plain = Self.simpleEscapes[byte] {
            advance()
            bytes.append(plain)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u)") }
        advance()
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard skipBytes(0x5C, 0x75) else { throw error("the low half of a surrogate pair") }
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("the low half of a surrogate pair") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("a Unicode scalar, not half a surrogate pair") }
        bytes.append(contentsOf: unicode.utf8)
    }

    /// The byte each one-letter escape stands for.
    private static let simpleEscapes: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]

    private mutating func hex4() throws(ShardLineError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = Self.hexValue(byte) else { throw error("four hex digits") }
            value = value << 4 | UInt32(digit)
            advance()
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
