import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Runs python3 with `script`, feeding `input` on standard input. A missing python3 is
/// recorded as an issue: these tests never pass having checked nothing.
func python(_ script: String, input: Data) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let out = Pipe(), err = Pipe(), stdin = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin
    try process.run()
    stdin.fileHandleForWriting.write(input)
    try stdin.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 127 { Issue.record("python3 is not installed: the independent parser could not run") }
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Parses JSON (one document per line) strictly: control characters in strings,
/// NaN/Infinity and trailing garbage are errors. Prints the documents back, re-encoded
/// with ASCII escapes, one per line.
let strictJSON = """
import json, sys
def bad(name): raise ValueError('non-finite number ' + name)
for line in sys.stdin.read().split('\\n'):
    if line: print(json.dumps(json.loads(line, parse_constant=bad), ensure_ascii=True))
"""

/// Strings that have broken output before: control characters, ESC sequences, quotes,
/// separators, CR/LF, leading formula characters, U+FFFD from undecodable bytes.
let hostileStrings = [
    "plain", "", "a\"b", "back\\slash", "comma,separated", "line\nbreak", "bare\rcr", "crlf\r\nend", "tab\there",
    "\u{1B}[31mred\u{1B}[0m", "\u{1B}]0;title\u{07}", "nul\u{0}byte", "del\u{7F}", "c1\u{9B}31m", "=HYPERLINK(\"x\")",
    "+1+2", "-2+3", "@SUM(A1)", "-3.2", "bad\u{FFFD}utf8", "rtl\u{202E}txt", "sep\u{2028}x", "µV α/β θ",
    "quote\"\u{064F}combining", "<\u{0301}tag", "\"\u{0301}", "-8\u{064F}",
]

@Suite("Escaping for JSON, CSV, terminal and HTML")
struct EscapingTests {
    @Test("every hostile string survives a strict JSON parser and comes back unchanged")
    func jsonRoundTrip() throws {
        let document = "[" + hostileStrings.map(JSONText.string).joined(separator: ", ") + "]"
        let run = try python("import json,sys\nprint(json.dumps(json.loads(sys.stdin.read()), ensure_ascii=True))", input: Data(document.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let back = try JSONDecoder().decode([String].self, from: Data(run.stdout.utf8))
        #expect(back == hostileStrings)
        #expect(!document.utf8.contains { $0 < 0x20 }, "raw control byte in JSON")
    }

    @Test("JSON numbers: non-finite values are null, finite ones unchanged")
    func jsonNumbers() {
        #expect(JSONText.number(Double.infinity) == "null")
        #expect(JSONText.number(-Double.infinity) == "null")
        #expect(JSONText.number(Double.nan) == "null")
        #expect(JSONText.number(nil) == "null")
        #expect(JSONText.number(Float.nan) == "null")
        #expect(JSONText.number(0.1) == "0.1")
        #expect(JSONText.number(-3.25 as Float) == "-3.25")
        #expect(JSONText.number(1e-5, significantDigits: 6) == "1e-05")
        #expect(JSONText.number(.infinity, significantDigits: 6) == "null")
        // Normal text is written as before: the replay byte-for-byte promise.
        #expect(JSONText.string("Fp1") == "\"Fp1\"")
        #expect(JSONText.string("a\u{1}") == "\"a\\u0001\"")
    }

    @Test("CSV cells: RFC 4180 quoting read back by Python's csv module; formulas defused, numbers kept")
    func csvRoundTrip() throws {
        let row = CSVText.row(hostileStrings.map(CSVText.cell)) + "\r\n" + CSVText.row(["1", "-3.2", CSVText.number(-0.5), CSVText.number(.nan)]) + "\r\n"
        let run = try python("import csv,sys,json\nprint(json.dumps(list(csv.reader(sys.stdin, strict=True)), ensure_ascii=True))",
                             input: Data(row.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try JSONDecoder().decode([[String]].self, from: Data(run.stdout.utf8))
        #expect(rows.count == 2, "a CR or LF split a row: \(rows)")
        // Exactly the text cells a spreadsheet would run get the ' (not "-3.2").
        // "-8" with a combining mark is not a number (FuzzEscaping found it passed as one).
        let formulas: Set = ["=HYPERLINK(\"x\")", "+1+2", "-2+3", "@SUM(A1)", "-8\u{064F}"]
        let expected = hostileStrings.map { formulas.contains($0) ? "'" + $0 : $0 }
        #expect(rows.first == expected)
        #expect(rows.last == ["1", "-3.2", "-0.5", ""])
        #expect(CSVText.cell("-3.2") == "-3.2")
        #expect(CSVText.cell("=1+2") == "'=1+2")
        #expect(CSVText.cell("Fp1") == "Fp1")
    }

    @Test("terminal text: no control character, ESC or bidi override gets through; normal text unchanged")
    func terminal() {
        for s in hostileStrings {
            let shown = TerminalText.safe(s)
            #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }, "\(shown.debugDescription)")
        }
        #expect(TerminalText.safe("\u{1B}[31mred") == "\\x1B[31mred")
        #expect(TerminalText.safe("a\r\nb") == "a\\x0D\\x0Ab")
        #expect(TerminalText.safe("c1\u{9B}") == "c1\\x9B")
        #expect(TerminalText.safe("rtl\u{202E}") == "rtl\\u{202E}")
        #expect(TerminalText.safe("µV α/β, \"Fp1\"") == "µV α/β, \"Fp1\"")
    }

    @Test("HTML text: an XML parser reads back the same text, from element text and from attributes")
    func html() throws {
        for s in hostileStrings {
            let escaped = HTMLText.escape(s)
            let xml = "<r a=\"\(escaped)\" b='\(escaped)'>\(escaped)</r>"
            let parsed = try XMLText(xml)
            let expected = String(String.UnicodeScalarView(s.unicodeScalars.map {
                ($0.value < 0x20 && !["\t", "\n", "\r"].contains($0)) || (0x7F...0x9F).contains($0.value) ? "\u{FFFD}" : $0
            }))
            // XML normalises line ends (CR LF and CR to LF) in text, and white space in attributes.
            let text = expected.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(parsed.text == text, "\(s.debugDescription)")
            #expect(!escaped.unicodeScalars.contains { "<\"'".unicodeScalars.contains($0) }, "\(escaped.debugDescription)")
        }
    }

    @Test("display numbers never trap: NaN, ±∞ and huge values are clamped")
    func clamping() {
        #expect(clampedInt(.nan, 0...10) == 0)
        #expect(clampedInt(.infinity, 0...10) == 10)
        #expect(clampedInt(-.infinity, 0...10) == 0)
        #expect(clampedInt(1e300, 0...10) == 10)
        #expect(clampedInt(7.9, 0...10) == 7)
        #expect(displaySeconds(1e300) == 1_000_000_000)
        let state = DashboardState(deviceName: "\u{1B}[2Jevil", nominalRate: 250, labels: ["\u{1B}[31mFp1", "Fp2"], bandNames: ["alpha"])
        let lines = DashboardRenderer(width: 80, height: 24, color: false).render(state)
        #expect(!lines.joined().utf8.contains(0x1B))
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The text content and attributes of a one-element XML document.
final class XMLText: NSObject, XMLParserDelegate {
    var text = ""
    var attributes: [String: String] = [:]
    init(_ xml: String) throws {
        super.init()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? POSIXError(.EINVAL) }
    }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        self.attributes = attributes
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

@Suite("Hostile labels, fields and annotations through the real eeg binary", .serialized)
struct HostileFileOutputTests {
    static let annotationText = "\u{1B}[2J\u{1B}]0;pwned\u{07}=cmd|' /C calc'!A0,\"quoted\"\r\nnext line\rXFFX"
    /// The annotation as read back: the byte 0xFF decodes to U+FFFD.
    static let annotation = annotationText.replacingOccurrences(of: "XFFX", with: "X\u{FFFD}FX")
    static let label = "=F3,\"x\""
    static let patient = "@Doe, \"Jane\" +1"

    /// 12 s, 2 channels of sines, with a hostile annotation, a label and a patient field
    /// a spreadsheet would run as formulas, and one byte that is not UTF-8 (0xFF).
    static func hostileFile() throws -> String {
        let path = scratchPath("bdf")
        let channels = [Self.label, "F4"].map { EDFSignal(label: $0, physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 250) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0),
                                   patient: Self.patient)
        var frames: [Float] = []
        for i in 0..<(12 * 250) { let t = Double(i) / 250; frames += [Float(10 * sin(2 * .pi * 10 * t)), Float(5 * sin(2 * .pi * 20 * t))] }
        writer.annotate(Annotation(onset: 1, duration: nil, text: Self.annotationText))
        try frames.withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let marker = Data("XFFX".utf8)
        let at = try #require(bytes.range(of: marker))
        bytes[at.lowerBound + 1] = 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("eeg info --json is strict JSON holding the file's text; eeg info shows no ESC")
    func info() throws {
        let path = try Self.hostileFile()
        let json = try EEGProcess(["info", path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let parsed = try python(strictJSON, input: Data(json.stdout.utf8))
        #expect(parsed.status == 0, "strict JSON parser: \(parsed.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        let texts = (object["annotations"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
        #expect(texts.contains(Self.annotation), "\(texts)")
        #expect(((object["channels"] as? [[String: Any]])?.first?["label"] as? String) == Self.label)
        #expect((object["patient"] as? String)?.hasPrefix(Self.patient) == true)

        let text = try EEGProcess(["info", path])
        #expect(text.status == 0)
        #expect(!text.stdout.utf8.contains(0x1B) && !text.stdout.utf8.contains(0x07) && !text.stdout.utf8.contains(0x0D))
        #expect(text.stdout.contains("\\x1B[2J\\x1B]0;pwned\\x07"))
    }

    @Test("eeg info --json on a header whose numbers overflow (1e308 s records): null, never inf")
    func infiniteDuration() throws {
        let path = scratchPath("edf")
        #expect(try EEGProcess(["record", "--out", path, "--samples", "750", "--sim-speed", "max"]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(244..<252, with: Data("1e308   ".utf8))  // record duration
        try bytes.write(to: URL(fileURLWithPath: path))
        let run = try EEGProcess(["info", path, "--json"])
        // A reader may refuse such a header (exit 65); if it reads it, the JSON is strict.
        guard run.status == 0 else {
            #expect(run.status == 65 && run.stderr.split(separator: "\n").count == 1, "\(run.status): \(run.stderr)")
            return
        }
        let parsed = try python(strictJSON, input: Data(run.stdout.utf8))
        #expect(parsed.status == 0, "strict JSON parser: \(parsed.stderr)")
        #expect(run.stdout.contains("\"duration_s\": null") && !run.stdout.contains("inf"), "\(run.stdout.prefix(400))")
    }

    @Test("eeg analyze: CSV rows read back by Python's csv module, JSON strict, the table without ESC")
    func analyze() throws {
        let path = try Self.hostileFile()
        let csv = try EEGProcess(["analyze", path, "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = try python("import csv,sys,json\nprint(json.dumps(list(csv.reader(sys.stdin, strict=True))))", input: Data(csv.stdout.utf8))
        #expect(rows.status == 0, "\(rows.stderr)")
        let table = try JSONDecoder().decode([[String]].self, from: Data(rows.stdout.utf8))
        #expect(table.count == 4, "header + 3 epochs, no row split by CR/LF: \(table.count)")
        let header = try #require(table.first)
        let column = try #require(header.firstIndex(of: "annotations"))
        #expect(table[1][column] == Self.annotation)
        #expect(header.contains("'=F3,\"x\"_alpha"), "\(header)")
        #expect(table.dropFirst().allSatisfy { $0.count == header.count })
        for format in ["json", "jsonl"] {
            let run = try EEGProcess(["analyze", path, "--format", format])
            #expect(run.status == 0)
            let parsed = try python(strictJSON, input: Data(run.stdout.utf8))
            #expect(parsed.status == 0, "\(format): \(parsed.stderr)")
        }
        let human = try EEGProcess(["analyze", path, "--format", "table"])
        #expect(human.status == 0)
        #expect(!human.stdout.utf8.contains(0x1B) && !human.stdout.utf8.contains(0x0D))
        #expect(human.stdout.contains("\\x1B[2J"))
    }

    @Test("HTML report: every plot still parses as XML and the annotation reads back as text")
    func report() throws {
        let analysis = try FileAnalyzer(options: AnalysisOptions()).analyze(path: try Self.hostileFile())
        let html = HTMLReport.render([analysis])
        #expect(!html.utf8.contains(0x1B) && !html.contains("<script"))
        let svgs = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        #expect(svgs.count >= 3)
        let plots = try svgs.map(SVGSummary.init)
        let titles = plots.flatMap(\.annotationTitles)
        // The title is the annotation (controls → U+FFFD, line ends as XML reads them) and its time.
        #expect(titles.contains { $0.contains("=cmd|' /C calc'!A0,\"quoted\"") && $0.contains("\u{FFFD}[2J") }, "\(titles)")
        #expect(plots.contains { $0.seriesNames.contains(Self.label) })
    }

    @Test("eeg replay and bandpower: labels escaped in JSON lines and CSV headers")
    func replayAndBandpower() throws {
        let path = try Self.hostileFile()
        let replay = try EEGProcess(["replay", path, "--speed", "max", "--emit", "samples", "--format", "csv"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("sample,\"'=F3,\"\"x\"\"\",F4\n"), "\(replay.stdout.prefix(80))")
        let bandpower = try EEGProcess(["bandpower", "--input", path, "--format", "csv"])
        #expect(bandpower.status == 0, "\(bandpower.stderr)")
        let rows = try python("import csv,sys,json\nprint(json.dumps(list(csv.reader(sys.stdin, strict=True))))", input: Data(bandpower.stdout.utf8))
        let table = try JSONDecoder().decode([[String]].self, from: Data(rows.stdout.utf8))
        #expect(table[1][2] == "'=F3,\"x\"")
    }
}
