import Foundation

/// A block of epochs already rendered in the merge's output format, in a rendered shard
/// file (`eeg analyze --format shard --render FORMAT`, "eegkit-shard 2"): the line
/// `{"file":F,"text":N}` (F the file's place in the whole list, N a byte count), then
/// exactly N bytes of the text one `eeg analyze --format FORMAT` writes for those epochs,
/// then a line feed. The merge copies the bytes instead of reading every epoch back and
/// rendering it again, so its work grows with the files, not with the epochs.
///
/// The text of a file's epochs is cut into blocks of at most ``maxBytes`` bytes, only
/// between Unicode scalars (each block is valid UTF-8 on its own).
enum ShardTextBlock {
    /// A block's largest size: what the writer holds before it writes a block, and the
    /// most the merge reads into memory for one.
    static let maxBytes = 1 << 18

    /// The line announcing a block of `count` bytes of file `file`, line feed included.
    static func line(file: Int, count: Int) -> String { "{\"file\":\(file),\"text\":\(count)}\n" }

    /// The file and byte count of an announcing line (without its line feed), read
    /// strictly: exactly `{"file":F,"text":N}`, decimal digits with no leading zero, N at
    /// most ``maxBytes``; nil for anything else.
    static func parse(_ bytes: ArraySlice<UInt8>) -> (file: Int, count: Int)? {
        var rest = bytes[...]
        guard take("{\"file\":", from: &rest), let file = number(&rest), take(",\"text\":", from: &rest),
              let count = number(&rest), take("}", from: &rest), rest.isEmpty, count <= maxBytes else { return nil }
        return (file, count)
    }

    private static func take(_ literal: StaticString, from rest: inout ArraySlice<UInt8>) -> Bool {
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard rest.starts(with: expected) else { return false }
        rest = rest.dropFirst(expected.count)
        return true
    }

    /// A non-negative decimal of at most 15 digits (no overflow), no leading zero.
    private static func number(_ rest: inout ArraySlice<UInt8>) -> Int? {
        let digits = rest.prefix { (0x30...0x39).contains($0) }
        guard !digits.isEmpty, digits.count <= 15, digits.count == 1 || digits.first != 0x30 else { return nil }
        rest = rest.dropFirst(digits.count)
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}

/// The rendered text of one file's epochs as a shard writer gathers it: appended epoch by
/// epoch, handed out as whole blocks (announcing line, bytes, line feed) once
/// ``ShardTextBlock/maxBytes`` are waiting, and the rest when the file ends. Memory holds
/// at most one block and one epoch's text.
struct ShardTextBuffer: Sendable {
    private var bytes: [UInt8] = []
    let blockBytes: Int

    init(blockBytes: Int = ShardTextBlock.maxBytes) { self.blockBytes = max(4, min(blockBytes, ShardTextBlock.maxBytes)) }

    var isEmpty: Bool { bytes.isEmpty }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// The full blocks waiting (all that is waiting when `final`), as shard lines.
    mutating func blocks(file: Int, final: Bool) -> String {
        var out = ""
        while bytes.count >= blockBytes || (final && !bytes.isEmpty) {
            var cut = min(bytes.count, blockBytes)
            // Back to the start of a scalar, so that every block is valid UTF-8.
            while cut < bytes.count, cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            out += ShardTextBlock.line(file: file, count: cut) + String(decoding: bytes[..<cut], as: UTF8.self) + "\n"
            bytes.removeFirst(cut)
        }
        return out
    }
}
