import Testing
@testable import EEGCore

@Suite("CheckedNumber: untrusted numbers, never a trap")
struct CheckedNumberTests {
    func decimal(_ text: String, _ range: ClosedRange<Double> = -1e9...1e9) -> Result<Double, NumberFieldError> {
        Result { () throws(NumberFieldError) -> Double in
            try CheckedNumber.decimal(Array(text.utf8), field: "f", offset: 7, in: range, expected: "e")
        }
    }

    @Test("plain decimals parse; everything else is a typed error with the field, offset and printable text",
          arguments: [("1", 1.0), ("  -2.5 ", -2.5), ("+3", 3), ("1e3", 1000), ("1E-3", 0.001), (".5", 0.5), ("7.", 7)])
    func accepted(text: String, value: Double) throws {
        let parsed = try decimal(text).get()
        #expect(parsed == value)
    }

    @Test("refused spellings and their kinds", arguments: [
        ("nan", NumberFieldError.Kind.notANumber), ("inf", .notANumber), ("-infinity", .notANumber), ("0x1p-3", .notANumber),
        ("1,5", .notANumber), ("", .notANumber), ("1e", .notANumber), ("--1", .notANumber), ("１", .notANumber), ("1\u{0}2", .notANumber),
        ("1e999", .notFinite), ("2e9", .outOfRange), ("-1e308", .outOfRange),
    ])
    func refused(text: String, kind: NumberFieldError.Kind) {
        guard case .failure(let error) = decimal(text) else { Issue.record("'\(text)' accepted"); return }
        #expect(error.kind == kind, "\(text): \(error)")
        #expect(error.field == "f" && error.offset == 7)
        #expect(error.found.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "\(error.found)")
    }

    @Test("integers: digits only, in range, more digits than an Int holds is out of range")
    func integers() throws {
        func int(_ t: String) throws(NumberFieldError) -> Int { try CheckedNumber.integer(Array(t.utf8), field: "n", offset: 0, in: -1...99_999_999, expected: "") }
        let a = try int(" 42 "), b = try int("-1")
        #expect(a == 42 && b == -1)
        for (text, kind) in [("2.0", NumberFieldError.Kind.notAnInteger), ("-2", .outOfRange), ("99999999999999999999999", .outOfRange), ("4x", .notANumber)] {
            do { _ = try int(text); Issue.record("'\(text)' accepted") } catch { #expect(error.kind == kind, "\(text)") }
        }
    }

    @Test("Double to Int: nil or clamped for NaN, infinities and values beyond Int, never a trap")
    func conversions() {
        #expect(CheckedNumber.roundedInt(2.5) == 3 && CheckedNumber.roundedInt(-2.5) == -3)
        #expect(CheckedNumber.roundedInt(.nan) == nil && CheckedNumber.roundedInt(.infinity) == nil && CheckedNumber.roundedInt(-.infinity) == nil)
        #expect(CheckedNumber.roundedInt(9.223372036854775808e18) == nil)  // 2^63
        #expect(CheckedNumber.roundedInt(-9.223372036854775808e18) == Int.min)
        #expect(CheckedNumber.roundedInt(1e300, clampedTo: 0...10) == 10 && CheckedNumber.roundedInt(-1e300, clampedTo: 0...10) == 0)
        #expect(CheckedNumber.roundedInt(.nan, clampedTo: 3...10) == 3 && CheckedNumber.roundedInt(4.4, clampedTo: 0...10) == 4)
        #expect(CheckedNumber.roundedInt(1e300, clampedTo: 0...Int.max) == Int.max)
    }

    @Test("printable: control and non-ASCII bytes become \\xNN")
    func printable() {
        #expect(CheckedNumber.printable(Array("  a\u{1B}[2J\u{0}é ".utf8)) == "a\\x1B[2J\\x00\\xC3\\xA9")
    }
}
