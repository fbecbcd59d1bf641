import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Markers typed (or piped) into `eeg record --markers-from-stdin` that a data record's
/// annotation space cannot hold as they are: a 400-character line, control characters
/// and bytes that are not UTF-8, and a flood of thousands of lines. The program ends on
/// time, the file is valid for EEGKit and pyedflib, and every marker is stored or
/// counted in a note.
@Suite("Markers beyond a record's annotation space", .serialized)
struct MarkerLimitsTests {
    @Test("a 400-character marker, control bytes, invalid UTF-8 and a flood of 5,000 lines")
    func hostileMarkers() throws {
        let path = scratchPath("edf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let long = String(repeating: "0123456789", count: 40)
        var input = Data((long + "\nafter\n").utf8)
        input += Data([0x61, 0x14, 0x62, 0x15, 0x63, 0x00, 0x64, 0x1B, 0x5B, 0x31, 0x6D, 0xFF, 0xFE, 0x0A])  // a␔b␕c␀d ESC[1m, not UTF-8
        let flood = 5000
        for i in 0..<flood { input += Data("m\(i)\n".utf8) }
        // Standard error goes to a file: a status line per marker must not stall the test.
        let run = try RunningEEG(["record", "--out", path, "--duration", "2s", "--markers-from-stdin"])
        run.send(input)
        run.closeInput()
        let ended = run.finish()
        #expect(ended.reason == .exit && ended.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("is longer than a record holds: stored in 2 parts"), "\(run.stderr)")

        let reader = try EDFReader(path: path)
        #expect(reader.problems.isEmpty && reader.header.recordCount == reader.recordCount)
        // Bounded: 2 s of data plus at most the annotation backlog.
        #expect(reader.recordCount <= 2 + 34, "\(reader.recordCount) records")
        let texts = try reader.allAnnotations().map(\.text)
        let parts = texts.filter { $0.contains(" [part ") && $0.hasPrefix("Marker: 0123") || $0.hasSuffix("[part 2 of 2]") }
        #expect(parts.count == 2)
        #expect(parts.map { $0.replacingOccurrences(of: #" \[part \d of 2\]$"#, with: "", options: .regularExpression) }.joined() == "Marker: " + long)
        #expect(texts.contains("Marker: after"))
        #expect(texts.contains("Marker: a b c d\u{1B}[1m\u{FFFD}\u{FFFD}"), "\(texts.filter { $0.hasPrefix("Marker: a") })")

        // Every flood line is stored or counted.
        let stored = texts.filter { $0.range(of: #"^Marker: m\d+$"#, options: .regularExpression) != nil }.count
        let counted = texts.compactMap { text -> Int? in
            guard text.hasPrefix("EEGKit: "), text.contains("not stored") || text.contains("markers dropped") else { return nil }
            return Int(text.dropFirst("EEGKit: ".count).prefix { $0.isNumber })
        }.reduce(0, +)
        #expect(stored + counted == flood, "\(stored) stored + \(counted) counted")

        if let seen = try readWithPyedflib([path]) {
            let theirs = seen[path]?.annotations ?? []
            #expect(theirs.contains("Marker: after"))
            #expect(theirs.filter { $0.hasPrefix("Marker: m") }.count == stored, "pyedflib sees the same markers")
        }
    }
}
