@testable import EEGKit
import Foundation
import Testing

/// The shard reader's numbers against the C library's strtod (through `Double(String)`):
/// the same bits for the shortest text of any Double and for decimal text of every shape,
/// the double-rounding midpoints included.
@Suite("Shard numbers: read as strtod reads them")
struct ExactDecimalTests {
    static func read(_ text: String) throws(ShardLineError) -> Double {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(ShardLineError) in
                var reader = ShardLineReader(buffer)
                let value = try reader.number()
                try reader.expectEnd()
                return value
            }
        }
        return try result.get()
    }

    @Test("the shortest text of 200 000 random Doubles reads back to the same bits")
    func shortestText() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<200_000 {
            var value = Double(bitPattern: rng.next())
            if !value.isFinite { value = Double(rng.next() % 1_000_000) / 7 }
            let read = try Self.read("\(value)")
            #expect(read.bitPattern == value.bitPattern, "\(value)")
            if read.bitPattern != value.bitPattern { return }
        }
    }

    @Test("decimal text of every shape (1–22 digits, a point anywhere, exponents −40…40) reads as strtod reads it")
    func decimalText() throws {
        var rng = SeededGenerator(seed: 0xDEC1)
        for _ in 0..<200_000 {
            let count = 1 + Int(rng.next() % 22)
            var digits = (0..<count).map { _ in Character(String(rng.next() % 10)) }
            if digits.count > 1, digits[0] == "0" { digits[0] = "1" }
            var text = String(digits)
            let point = Int(rng.next() % UInt64(count + 1))
            if point > 0 && point < count { text.insert(".", at: text.index(text.startIndex, offsetBy: point)) }
            if digits[0] == "0" && text.count > 1 { text = "0." + text.dropFirst() }
            if rng.next() % 2 == 0 { text += "e\(Int(rng.next() % 81) - 40)" }
            if rng.next() % 2 == 0 { text = "-" + text }
            let expected = try #require(Double(text))
            let read = try Self.read(text)
            #expect(read.bitPattern == expected.bitPattern, "\(text)")
            if read.bitPattern != expected.bitPattern { return }
        }
    }

    @Test("halfway cases and the edges round as strtod rounds them", arguments: [
        "9007199254740993", "9007199254740995", "9007199254740993.0000000001", "1e23", "8.98846567431158e307",
        "2.2250738585072011e-308", "4.9406564584124654e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
        "0.000000000000000000000000000001", "123456789012345678901234567890", "1e-27", "1e27", "1e28", "1e-28",
        "0e99999", "-0", "-0.0e-5", "18446744073709551615", "9999999999999999999", "0.30000000000000004", "5e-324",
    ])
    func edges(text: String) throws {
        let expected = try #require(Double(text))
        #expect(try Self.read(text).bitPattern == expected.bitPattern)
    }
}
