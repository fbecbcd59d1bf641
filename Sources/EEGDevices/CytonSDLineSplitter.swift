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

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Piece) throws -> Void) rethrows {
        for byte in bytes {
            switch byte {
            case 0x0A:
                try endLine(body)
            case 0x00, 0xFF:
                if filled > 0 || overlong { try endTorn(body) }
            default:
                if overlong { continue }
                guard filled < buffer.count else { overlong = true; continue }
                buffer[filled] = byte
                filled += 1
            }
        }
    }

    /// The end of the input: a line without its end is torn.
    mutating func finish(_ body: (Piece) throws -> Void) rethrows {
        if filled > 0 || overlong { try endTorn(body) }
    }

    private mutating func endLine(_ body: (Piece) throws -> Void) rethrows {
        lineNumber += 1
        defer { filled = 0; overlong = false }
        if overlong {
            try body(.broken(CytonSDProblem(line: lineNumber, column: CytonSD.maximumLineBytes + 1, reason: .tooLong), looksLikeSample: false))
            return
        }
        let count = filled > 0 && buffer[filled - 1] == 0x0D ? filled - 1 : filled
        try buffer.withUnsafeBufferPointer { try body(.line(UnsafeBufferPointer(rebasing: $0[0..<count]), number: lineNumber)) }
    }

    private mutating func endTorn(_ body: (Piece) throws -> Void) rethrows {
        lineNumber += 1
        defer { filled = 0; overlong = false }
        let reason: CytonSDProblem.Reason = overlong ? .tooLong : .torn
        let sampleStart = filled >= 3 && CytonSDLine.hexValue(buffer[0]) != nil && CytonSDLine.hexValue(buffer[1]) != nil
            && buffer[2] == UInt8(ascii: ",")
        try body(.broken(CytonSDProblem(line: lineNumber, column: overlong ? CytonSD.maximumLineBytes + 1 : filled + 1, reason: reason),
                         looksLikeSample: sampleStart && !overlong))
    }
}
