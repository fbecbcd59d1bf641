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
    invariant(decoded?.first.map { $0.unicodeScalars.elementsEqual(text.unicodeScalars) } == true, "JSON round trip of \(text.debugDescription) gave \(String(describing: decoded))")

    let shown = TerminalText.safe(text)
    invariant(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "control character reached the terminal")

    // Read the cell back as RFC 4180 does, scalar by scalar (a quote followed by a
    // combining mark is one Character: String-level operations would miss it).
    let cell = Array(CSVText.cell(text).unicodeScalars)
    var scalars = String.UnicodeScalarView()
    if cell.first == "\"" {
        invariant(cell.count >= 2 && cell.last == "\"", "unterminated quoted cell")
        var i = 1
        while i < cell.count - 1 {
            if cell[i] == "\"" {
                invariant(i + 1 < cell.count - 1 && cell[i + 1] == "\"", "lone quote inside a quoted cell")
                i += 1
            }
            scalars.append(cell[i])
            i += 1
        }
    } else {
        invariant(!cell.contains { $0 == "\r" || $0 == "\n" || $0 == "," || $0 == "\"" }, "unquoted cell with a separator")
        scalars.append(contentsOf: cell)
    }
    // The content is the text, or ' + the text when the text would run as a formula (a
    // number such as -3.2 never does).
    let content = String(scalars)
    let formula = text.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } ?? false
    if content.unicodeScalars.elementsEqual(text.unicodeScalars) {
        invariant(!formula || Double(text) != nil, "formula cell \(content.debugDescription) not defused")
    } else {
        invariant(formula && content.unicodeScalars.elementsEqual(("'" + text).unicodeScalars), "cell \(content.debugDescription) does not hold \(text.debugDescription)")
    }

    let html = HTMLText.escape(text)
    invariant(!html.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) }, "markup character in HTML text")
    return 0
}
