import Foundation
import Testing
@testable import EEGKit

/// `trimmingSpaces()` replaces Foundation's `trimmingCharacters(in: .whitespaces)` in the
/// argument parsers (for start-up speed); Foundation is the reference.
@Suite("Trimming white space as Foundation does, without NSString")
struct SpaceTrimmingTests {
    @Test("every Unicode scalar, alone and around text, trims as Foundation trims it")
    func everyScalar() {
        var differences: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates
            let c = String(scalar)
            for text in [c, "\(c)1m\(c)", "\(c)\(c)x \(c)"] where text.trimmingSpaces() != text.trimmingCharacters(in: .whitespaces) {
                differences.append(String(value, radix: 16))
            }
            if differences.count > 10 { break }
        }
        #expect(differences.isEmpty, "differs for U+\(differences)")
    }

    @Test("mixed white space, combining marks, substrings", arguments: [
        "", " ", "\t \u{3000}\u{A0}", " 1m 30s\t", "\u{200B}4s\u{200B}", "\u{2028}4\u{2028}", "\n4\n", " \u{301}4 ", "4 \u{301}",
        "\u{1680}x\u{205F}\u{202F}", "é ", " 🇫🇷 ", "\r\n5\r\n", "a b",
    ])
    func samples(text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        let inner = text.dropFirst().dropLast()
        #expect(inner.trimmingSpaces() == inner.trimmingCharacters(in: .whitespaces))
    }
}
