@testable import EEGKit
import Foundation
import Testing

/// The hand-written epoch line of a shard file against JSONEncoder and JSONDecoder (the
/// codec it replaced, configured as shards always were): the same bytes out, the same
/// values back, and a strict refusal, naming the column, of anything else.
@Suite("Shard epoch lines: JSONEncoder's bytes, read back strictly")
struct ShardEpochLineTests {
    /// Doubles whose shortest text takes every form: integers (no ".0"), exponents both
    /// ways, subnormals, -0, the extremes, and the non-finite values written as strings.
    static let awkward: [Double] = [0, -0.0, 1, -1, 100, 0.1, 1e-05, 1e-7, 1.2345678901234568e20, 1e20, 1e16, 9007199254740994, .leastNonzeroMagnitude,
                                    -2.2250738585072014e-308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.30000000000000004,
                                    1.0 / 3, 692.4102982528728, .nan, .infinity, -.infinity]

    static func record(seed: UInt64, spectrum: Int) -> EpochRecord {
        var rng = SeededGenerator(seed: seed)
        func value() -> Double {
            switch rng.next() % 4 {
            case 0: return awkward[Int(rng.next() % UInt64(awkward.count))]
            case 1: return Double(bitPattern: rng.next())  // any bits: NaNs, subnormals, huge
            default: return Double(Int64(bitPattern: rng.next()) % 1_000_000) / Double(1 + rng.next() % 10_000)
            }
        }
        func maybe() -> Double? { rng.next() % 3 == 0 ? nil : value() }
        let texts = ["Fp1", "", "a \"quoted\" \\ back/slash", "tab\there\nnew\rline\u{8}\u{C}", "\u{0}\u{1}\u{1F}\u{7F}", "µV 💡 é",
                     "\u{2028}\u{FEFF}"]
        func text() -> String { texts[Int(rng.next() % UInt64(texts.count))] }
        let channels = (0..<Int(rng.next() % 4)).map { _ in
            ChannelRecord(label: text(), absolute: (0..<5).map { _ in value() }, relative: (0..<5).map { _ in value() },
                          quality: QualityRecord(peakToPeak: value(), rms: value(), railedFraction: value(), lineNoiseRatio: maybe(),
                                                 artifactFraction: value(), isFlat: rng.next() % 2 == 0, isRailed: rng.next() % 2 == 0,
                                                 hasLineNoise: rng.next() % 2 == 0, hasArtifacts: rng.next() % 2 == 0))
        }
        return EpochRecord(index: Int(rng.next() % 100_000), start: value(), channels: channels, engagement: maybe(), thetaBeta: maybe(),
                           relaxation: maybe(), workload: maybe(), asymmetry: maybe(), attentionScore: maybe(), relaxationScore: maybe(),
                           workloadScore: maybe(),
                           annotations: (0..<Int(rng.next() % 3)).map { _ in AnnotationRecord(onset: value(), duration: maybe(), text: text()) },
                           reasons: (0..<Int(rng.next() % 3)).map { _ in text() }, spectrum: (0..<spectrum).map { _ in value() })
    }

    /// What the shard writer wrote before: JSONEncoder with sorted keys.
    static func reference(_ record: EpochRecord, file: Int) throws -> [UInt8] {
        Array(try ShardLine.encoder().encode(ShardLine(file: file, epoch: record)))
    }

    static func decode(_ bytes: [UInt8]) throws(ShardLineError) -> (file: Int, epoch: EpochRecord) {
        let result = bytes.withUnsafeBufferPointer { buffer in Result { () throws(ShardLineError) in try ShardEpochLine.decode(buffer) } }
        return try result.get()
    }

    @Test("the bytes JSONEncoder writes, for 2000 records of awkward numbers and strings, with and without spectra")
    func sameBytesAsJSONEncoder() throws {
        for seed in 0..<2000 as Range<UInt64> {
            let record = Self.record(seed: seed, spectrum: seed % 2 == 0 ? 0 : Int(seed % 300))
            let file = Int(seed * 7919 % 50_000)
            let line = ShardEpochLine.encode(record, file: file)
            let expected = try Self.reference(record, file: file)
            #expect(line == expected, "seed \(seed):\n\(String(decoding: line, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))")
            if line != expected { return }
        }
    }

    @Test("read back: the same bits JSONDecoder reads (every double, NaN and -0 included), the same strings")
    func sameValuesAsJSONDecoder() throws {
        for seed in 0..<500 as Range<UInt64> {
            let line = ShardEpochLine.encode(Self.record(seed: seed, spectrum: 40), file: 3)
            let ours = try Self.decode(line)
            let theirs = try ShardLine.decoder().decode(ShardLine.self, from: Data(line))
            #expect(ours.file == 3 && theirs.file == 3)
            // Equal text from both (shortest round-trip text differs for different bits).
            let a = try Self.reference(ours.epoch, file: 3), b = try Self.reference(try #require(theirs.epoch), file: 3)
            #expect(a == b && a == line, "seed \(seed)")
        }
    }

    @Test("escapes JSONEncoder never writes are read as JSONDecoder reads them (\\/, \\u, surrogate pairs)")
    func otherEscapes() throws {
        let line = #"{"epoch":{"annotations":[{"onset":1.5e0,"text":"a\/b\u00e9\u0041\ud83d\udca1\""}],"channels":[],"index":0,"reasons":["\u2028x"],"spectrum":[],"start":-0.0},"file":0}"#
        let ours = try Self.decode(Array(line.utf8))
        let theirs = try #require(try ShardLine.decoder().decode(ShardLine.self, from: Data(line.utf8)).epoch)
        #expect(ours.epoch.annotations.first?.text == "a/béA💡\"")
        #expect(ours.epoch.annotations.first?.text == theirs.annotations.first?.text)
        #expect(ours.epoch.reasons == theirs.reasons)
        #expect(ours.epoch.annotations.first?.onset == 1.5)
        #expect(ours.epoch.start.bitPattern == (-0.0).bitPattern)
    }

    static let valid = #"{"epoch":{"annotations":[],"channels":[],"index":7,"reasons":[],"spectrum":[1,2],"start":4},"file":12}"#

    /// `valid` with `old` replaced by `new`, and the 1-based column of byte `at` of `new`
    /// in it (where the reader must stop).
    static func damaged(_ old: String, _ new: String, at: Int) -> (line: [UInt8], column: Int) {
        let line = valid.replacingOccurrences(of: old, with: new)
        let start = line.range(of: new).map { line.utf8.distance(from: line.startIndex, to: $0.lowerBound) } ?? -1_000
        return (Array(line.utf8), start + at + 1)
    }

    @Test("anything else is refused at its column, saying what was expected", arguments: [
        ("{\"epoch\":{", "{ \"epoch\":{", 0, "'{\"epoch\":{\"annotations\":'"),
        // Keys out of order: the comma before the moved key is where ',"index":' was due.
        ("\"index\":7,\"reasons\"", "\"reasons\":[],\"index\":7,\"reasons\"", -1, "',\"index\":'"),
        ("[1,2]", "[1,02]", 4, "',' or ']'"),
        ("[1,2]", "[1,1e400]", 3, "a number a Double holds"),
        ("[1,2]", "[1,NaN]", 3, "a number"),
        ("[1,2]", "[1,0x10]", 4, "',' or ']'"),
        ("[1,2]", "[1,\"Infinity\"]", 3, "a number"),
        ("[1,2]", "[1,2.]", 3, "a number"),
        ("[1,2]", "[1,-]", 3, "a number"),
        ("[1,2]", "[1,2e+]", 3, "a number"),
        ("\"index\":7", "\"index\":1234567890123456789", 8, "a whole number of at most 18 digits"),
        ("\"index\":7", "\"index\":7.5", 9, "',\"reasons\":'"),
        ("\"reasons\":[]", "\"reasons\":[\"a\u{1}\"]", 13, "a character (a control character must be escaped)"),
        ("\"reasons\":[]", "\"reasons\":[\"\\ud800x\"]", 18, "the low half of a surrogate pair"),
        ("\"reasons\":[]", "\"reasons\":[\"\\udc00\"]", 18, "a Unicode scalar, not half a surrogate pair"),
        ("\"reasons\":[]", "\"reasons\":[\"\\x\"]", 13, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u)"),
        ("\"reasons\":[]", "\"reasons\":[\"\\u12g4\"]", 16, "four hex digits"),
        ("\"file\":12}", "\"file\":12} ", 10, "the end of the line"),
        ("\"file\":12}", "\"file\":12", 9, "'}'"),
    ] as [(String, String, Int, String)])
    func refusals(old: String, new: String, at: Int, expected: String) {
        let (line, column) = Self.damaged(old, new, at: at)
        #expect(throws: ShardLineError(column: column, expected: expected)) { try Self.decode(line) }
    }

    @Test("a line that ends inside a string is refused at its end")
    func cutInString() {
        let line = Array(#"{"epoch":{"annotations":[],"channels":[],"index":7,"reasons":["ab"#.utf8)
        #expect(throws: ShardLineError(column: line.count + 1, expected: "the string's closing quote")) { try Self.decode(line) }
    }

    @Test("a string that is not UTF-8 is refused at its first byte")
    func invalidUTF8() {
        var (line, column) = Self.damaged("\"reasons\":[]", "\"reasons\":[\"ab\"]", at: 12)
        line[column] = 0xFF  // the "b" (the column is 1-based)
        #expect(throws: ShardLineError(column: column, expected: "a string of valid UTF-8")) { try Self.decode(line) }
    }
}
