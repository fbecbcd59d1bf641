// The escapers on arbitrary text (as a file's bytes decode): JSON output is one string a
// strict parser reads back as the same text; terminal text holds no control character;
// a CSV cell holds no CR/LF outside quotes; HTML text holds no markup character.
import EEGKit
import Foundation
import FuzzSupport

runFuzzer { data, size in
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    let json = JSONText.string(text)
    invariant(!json.unicodeScalars.contains { $0.value < 0x20 }, "raw control character in JSON")
    let decoded = try? JSONSerialization.jsonObject(with: Data(("[" + json + "]").utf8)) as? [String]
    invariant(decoded?.first == text, "JSON round trip of \(text.debugDescription) gave \(String(describing: decoded))")

    let shown = TerminalText.safe(text)
    invariant(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "control character reached the terminal")

    let cell = CSVText.cell(text)
    if cell.hasPrefix("\"") {
        invariant(cell.hasSuffix("\"") && cell.count >= 2, "unterminated quoted cell")
        invariant(!cell.dropFirst().dropLast().replacingOccurrences(of: "\"\"", with: "").contains("\""), "lone quote inside a quoted cell")
    } else {
        invariant(!cell.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "," || $0 == "\"" }, "unquoted cell with a separator")
    }
    if let first = cell.unicodeScalars.first(where: { $0 != "\"" }), "=+-@".unicodeScalars.contains(first) {
        invariant(Double(text) != nil, "formula cell \(cell.debugDescription) not defused")
    }

    let html = HTMLText.escape(text)
    invariant(!html.contains("<") && !html.contains(">") && !html.contains("\"") && !html.contains("'"), "markup character in HTML text")
    return 0
}
