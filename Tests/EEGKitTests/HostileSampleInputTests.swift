import Foundation
import Testing
@testable import EEGKit

/// Reads everything `text` holds as CSV, or returns the error.
private func readCSV(_ bytes: Data, declared: Int? = nil) -> Result<(labels: [String]?, values: [Float]), InputError> {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).csv")
    defer { try? FileManager.default.removeItem(at: url) }
    do {
        try bytes.write(to: url)
        var reader = try CSVFrameReader(input: InputFile(path: url.path, name: "in.csv"), declaredChannels: declared)
        var all: [Float] = [], chunk: [Float] = []
        while try reader.nextChunk(into: &chunk) > 0 { all += chunk }
        return .success((reader.labels, all))
    } catch let error as InputError {
        return .failure(error)
    } catch {
        Issue.record("not an InputError: \(error)")
        return .failure(.noData(source: "?"))
    }
}

@Suite("Hostile CSV and float32 sample input")
struct HostileSampleInputTests {
    @Test("numbers: only plain decimals; NaN, ±∞, 1e400 and hex are errors naming line and column; -0 is a number")
    func numbers() throws {
        #expect(try readCSV(Data("1,-0,+2.5,1e-3\n".utf8)).get().values.map(\.bitPattern) == [1, -0.0, 2.5, 0.001].map { Float($0).bitPattern })
        let cases: [(String, InputError)] = [
            ("1,2\n3,1e400\n", .csvNotFinite(source: "in.csv", line: 2, column: 2, text: "1e400")),
            ("1,2\n3,nan\n", .csvNotFinite(source: "in.csv", line: 2, column: 2, text: "nan")),
            ("1,2\n-inf,3\n", .csvNotFinite(source: "in.csv", line: 2, column: 1, text: "-inf")),
            ("1,2\n3,0x10\n", .csvNumber(source: "in.csv", line: 2, column: 2, text: "0x10")),
            ("1,2\n3,0x1p3\n", .csvNumber(source: "in.csv", line: 2, column: 2, text: "0x1p3")),
            ("1,2\n3,4\u{0}\n", .csvNumber(source: "in.csv", line: 2, column: 2, text: "4\u{0}")),
            ("1,2\n3,\n", .csvNumber(source: "in.csv", line: 2, column: 2, text: "")),
            ("1,2\n3,٣\n", .csvNumber(source: "in.csv", line: 2, column: 2, text: "٣")),
            ("1,2\n3,1e39\n", .csvNotFinite(source: "in.csv", line: 2, column: 2, text: "1e39")),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text.debugDescription)") { try readCSV(Data(text.utf8)).get() }
        }
        #expect(InputError.csvNotFinite(source: "x", line: 2, column: 3, text: "inf").description == "x line 2, column 3: 'inf' is NaN, infinite or beyond float32 range")
    }

    @Test("line ends: LF, CR LF and a lone CR all end a line (CR LF split across reads too)")
    func lineEnds() throws {
        for text in ["a,b\r1,2\r3,4\r", "a,b\r\n1,2\r\n3,4", "a,b\n1,2\n3,4\n", "a,b\r1,2\n3,4\r\n\r\n"] {
            let read = try readCSV(Data(text.utf8)).get()
            #expect(read.labels == ["a", "b"], "\(text.debugDescription)")
            #expect(read.values == [1, 2, 3, 4], "\(text.debugDescription)")
        }
        // Line numbers count a CR LF once: the bad value is on line 3.
        #expect(throws: InputError.csvNumber(source: "in.csv", line: 3, column: 1, text: "x")) { try readCSV(Data("1\r\n2\r\nx\r\n".utf8)).get() }
        // A CR LF whose two bytes arrive in different reads is still one line end.
        var reader = LineReader(input: try input(Data("1\r\n2\r\n3".utf8)), readSize: 2)
        var numbers: [Int] = []
        while let (n, line) = try reader.next() { numbers.append(n); #expect(line == "\(n)") }
        #expect(numbers == [1, 2, 3])
    }

    @Test("memory is bounded: a line longer than 1 MiB is an error naming it, not a growing buffer")
    func hugeLine() {
        var bytes = Data("1,2\n".utf8)
        bytes.append(Data(repeating: UInt8(ascii: "7"), count: LineReader.maximumLineBytes + 10))
        bytes.append(Data("\n".utf8))
        #expect(throws: InputError.lineTooLong(source: "in.csv", line: 2, limit: 1 << 20)) { try readCSV(bytes).get() }
        // No line end at all (e.g. a binary file): the same error, after at most 1 MiB + one read.
        #expect(throws: InputError.lineTooLong(source: "in.csv", line: 1, limit: 1 << 20)) {
            try readCSV(Data(repeating: 0, count: 3 << 20)).get()
        }
    }

    @Test("thousands of fields: a header over 4096 channels, or a row with extra fields, is an error")
    func manyFields() {
        let wide = (0..<5000).map { "c\($0)" }.joined(separator: ",") + "\n"
        #expect(throws: InputError.tooManyFields(source: "in.csv", line: 1, found: 5000, limit: 4096)) { try readCSV(Data(wide.utf8)).get() }
        let row = "1,2\n" + Array(repeating: "1", count: 3000).joined(separator: ",") + "\n"
        #expect(throws: InputError.csvColumnCount(source: "in.csv", line: 2, expected: 2, found: 3000)) { try readCSV(Data(row.utf8)).get() }
    }

    @Test("a comma followed by a combining mark still separates fields (as in Python's csv)")
    func combiningMark() throws {
        let read = try readCSV(Data("a,\u{0301}b\n1,2\n".utf8)).get()
        #expect(read.labels?.count == 2)
        #expect(read.labels?.last?.unicodeScalars.elementsEqual("\u{0301}b".unicodeScalars) == true)
        #expect(read.values == [1, 2])
    }

    @Test("empty and blank input is 'holds no samples'")
    func empty() {
        for text in ["", "\n\n", "  \r\n\t\n"] {
            #expect(throws: InputError.noData(source: "in.csv"), "\(text.debugDescription)") { try readCSV(Data(text.utf8)).get() }
        }
    }

    @Test("raw float32: a partial last frame names the frame and channel; a bad channel count is an error, not a trap")
    func raw() throws {
        #expect(InputError.notWholeFrames(source: "x", bytes: 20, channels: 2).description
                == "x: 20 bytes is not a whole number of 2-channel float32 frames (8 bytes each); 4 bytes left over, frame 2 stops in channel 2 — check --channel-count")
        for count in [0, -1, 5000] {
            var reader = RawFloat32Reader(input: try input(Data(count: 64)), channelCount: count)
            var chunk: [Float] = []
            #expect(throws: InputError.badChannelCount(source: "x", count: count, limit: 4096)) { _ = try reader.nextChunk(into: &chunk) }
        }
        // 4096 channels: chunks are bounded (4 MiB), not 16384 frames × 16 KiB.
        var reader = RawFloat32Reader(input: try input(Data(count: 4096 * 4 * 300)), channelCount: 4096)
        var chunk: [Float] = []
        let frames = try reader.nextChunk(into: &chunk)
        #expect(frames == 256 && chunk.count == 256 * 4096)
    }

    private func input(_ data: Data) throws -> InputFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString)")
        try data.write(to: url)
        return try InputFile(path: url.path, name: "x")
    }
}

@Suite("Hostile sample input through eeg bandpower")
struct HostileSampleCommandTests {
    @Test("exit 65 and one line naming line/frame and channel", arguments: [
        (["--input-format", "csv"], Data("Fp1,Fp2\n1,2\n3,1e400\n".utf8), "IN line 3, column 2: '1e400' is NaN, infinite or beyond float32 range"),
        (["--input-format", "csv"], Data("1,2\n3,0x10\n".utf8), "IN line 2, column 2: '0x10' is not a number"),
        (["--input-format", "csv"], Data("1,2\n3,4\u{0}\n".utf8), "IN line 2, column 2: '4\\x00' is not a number"),
        (["--input-format", "csv"], Data("1,2\n\u{1B}[31m,4\n".utf8), "IN line 2, column 1: '\\x1B[31m' is not a number"),
        (["--input-format", "csv"], Data(repeating: UInt8(ascii: "1"), count: 2 << 20), "IN line 1: longer than 1048576 bytes with no line end (is this a CSV file?)"),
        (["--input-format", "csv"], Data(), "IN holds no samples"),
        (["--channel-count", "3"], Data(count: 4 * 3 * 600 + 8), "frame 600 stops in channel 3"),
    ] as [([String], Data, String)])
    func hostile(arguments: [String], input: Data, message: String) throws {
        // From a file: the reader stops early, and a pipe it stopped reading would
        // SIGPIPE this test process.
        let path = scratchPath("in")
        try input.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try EEGProcess(["bandpower", "--rate", "250", "--input", path] + arguments)
        let expected = message.replacingOccurrences(of: "IN", with: path)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "eeg bandpower: error: \(expected)\n" || (arguments.contains("--channel-count") && run.stderr.contains(expected)), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1 && !run.stderr.utf8.contains(0x1B) && !run.stderr.utf8.contains(0))
    }
}
