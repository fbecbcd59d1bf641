/// Cuts an SD-card file's bytes, fed in any pieces, into numbered lines of at most
/// ``CytonSD/maximumLineBytes`` (memory stays bounded whatever the input). The unused
/// space the firmware leaves (0x00 or 0xFF bytes) ends a line as torn; a trailing CR is
/// dropped. Pure: no I/O, no allocation after `init`.
///
/// Line numbers count line ends (and torn lines), so they match a text editor's for a
/// file without unused space in the middle.
struct CytonSDLineSplitter {
    enum Piece {
        /// A whole line, without its end; valid only during the callback.
        case line(UnsafeBufferPointer<UInt8>, number: Int)
        /// A line too long, or cut off; `looksLikeSample` when what is left starts as a
        /// sample line does (2 hex digits and a comma).
        case broken(CytonSDProblem, looksLikeSample: Bool)
    }

    private var buffer = [UInt8](repeating: 0, count: CytonSD.maximumLineBytes)
    private var filled = 0
    private var overlong = false
    private(set) var lineNumber = 0

    /// Feeds `bytes`, calling `body` with each line; stops early, returning false, when
    /// `body` returns false (the caller keeps its own error: nothing is thrown through
    /// here).
    @discardableResult
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Piece) -> Bool) -> Bool {
        for byte in bytes {
            switch byte {
            case 0x0A:
                guard endLine(body) else { return false }
            case 0x00, 0xFF:
                if filled > 0 || overlong { guard endTorn(body) else { return false } }
            default:
                if overlong { continue }
                guard filled < buffer.count else { overlong = true; continue }
                buffer[filled] = byte
                filled += 1
            }
        }
        return true
    }

    /// The end of the input: a line without its end is torn.
    @discardableResult
    mutating func finish(_ body: (Piece) -> Bool) -> Bool {
        guard filled > 0 || overlong else { return true }
        return endTorn(body)
    }

    private mutating func endLine(_ body: (Piece) -> Bool) -> Bool {
        lineNumber += 1
        defer { filled = 0; overlong = false }
        if overlong {
            return body(.broken(CytonSDProblem(line: lineNumber, column: CytonSD.maximumLineBytes + 1, reason: .tooLong), looksLikeSample: false))
        }
        let count = filled > 0 && buffer[filled - 1] == 0x0D ? filled - 1 : filled
        let number = lineNumber
        return buffer.withUnsafeBufferPointer { body(.line(UnsafeBufferPointer(rebasing: $0[0..<count]), number: number)) }
    }

    private mutating func endTorn(_ body: (Piece) -> Bool) -> Bool {
        lineNumber += 1
        defer { filled = 0; overlong = false }
        let reason: CytonSDProblem.Reason = overlong ? .tooLong : .torn
        let sampleStart = filled >= 3 && CytonSDLine.hexValue(buffer[0]) != nil && CytonSDLine.hexValue(buffer[1]) != nil
            && buffer[2] == UInt8(ascii: ",")
        return body(.broken(CytonSDProblem(line: lineNumber, column: overlong ? CytonSD.maximumLineBytes + 1 : filled + 1, reason: reason),
                         looksLikeSample: sampleStart && !overlong))
    }
}
