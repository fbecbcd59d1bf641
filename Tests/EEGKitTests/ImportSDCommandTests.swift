import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// SD-card text written by hand from the firmware's format (counter, 6-digit channels,
/// 4-digit aux, `%` stamps and footer), independent of the decoder.
private func hex(_ value: Int, _ digits: Int) -> String {
    let alphabet = Array("0123456789ABCDEF")
    return String((0..<digits).reversed().map { alphabet[(value >> (4 * $0)) & 0xF] })
}

private func sampleLine(_ counter: Int, _ counts: [Int], aux: Bool) -> String {
    var fields = [hex(counter & 0xFF, 2)] + counts.map { hex($0 & 0xFF_FFFF, 6) }
    if aux { fields += [hex(0x0010, 4), hex(-32 & 0xFFFF, 4), hex(0x1F40, 4)] }
    return fields.joined(separator: ",") + "\n"
}

/// Counts of channel `c` at sample `i`: a sine of 1000 counts (≈ 22 µV) at 8 + c Hz, on
/// an offset of (c − 4) · 1000 counts.
private func counts(_ i: Int, _ c: Int) -> Int {
    Int((1000 * sin(2 * Double.pi * Double(8 + c) * Double(i) / 250)).rounded()) + (c - 4) * 1000
}

/// 20 s at 250 Hz, samples 2600…2602 missing, accelerometer on every 10th line, the
/// footer, then the unused space.
private func sdFile(lostAt lost: Range<Int> = 2600..<2603, extra: String = "") -> [UInt8] {
    var text = "%STOP AT\n000003E8\n"
    for i in 0..<5003 where !lost.contains(i) {
        text += sampleLine(i, (0..<8).map { counts(i, $0) }, aux: i % 10 == 0)
        if i == 100 { text += extra }
    }
    text += "\n%SamplingFreq:\n000FA\n%Total time mS:\n00004E20\n%min Write time uS:\n000001F4\n%max Write time uS:\n00000BB8\n%Over:\n00000000\n%block, uS\n"
    return Array(text.utf8) + [UInt8](repeating: 0, count: 1024)
}

private func write(_ bytes: [UInt8]) throws -> String {
    let path = scratchPath("TXT")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("eeg import-sd, run as a process", .serialized)
struct ImportSDCommandTests {
    static let microvoltsPerCount = 0.022351744455307063  // 4.5 V / 24 / (2^23 - 1), by hand

    @Test("a generated SD file becomes BDF+ with every sample, the lost ones annotated; info and analyze read it")
    func converts() throws {
        let input = try write(sdFile()), out = scratchPath("bdf")
        let run = try EEGProcess(["import-sd", input, "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("8 channels at 250 Hz as the file states, 5000 samples"), "\(run.stderr)")
        #expect(run.stderr.contains("3 samples lost (annotated in the file)"))
        #expect(!run.stderr.contains("warning"))

        let reader = try EDFReader(path: out)
        #expect(reader.channelLabels == (1...8).map { "ch\($0)" })
        #expect(reader.header.recordCount == 21)  // 5003 frames in 1 s records
        var frames = [Float](repeating: 0, count: 8 * 250)
        var worst = 0.0
        for record in [0, 10, 19] {
            _ = try frames.withUnsafeMutableBufferPointer { try reader.readRecord(record, into: $0) }
            for f in 0..<250 {
                let i = record * 250 + f
                for c in 0..<8 {
                    let expected = (2600...2602).contains(i) ? 0 : Double(counts(i, c)) * Self.microvoltsPerCount
                    worst = max(worst, abs(Double(frames[f * 8 + c]) - expected))
                }
            }
        }
        #expect(worst < 1e-3)  // BDF holds the counts exactly; what is left is float rounding
        let lost = try reader.allAnnotations().filter { AnnotationCodec.kind(of: $0.text) == .samplesLost(count: 3, cause: .notReceived) }
        #expect(lost.count == 1)
        #expect(abs((lost.first?.onset ?? 0) - 10.4) < 1e-9)

        #expect(try EEGProcess(["info", out]).status == 0)
        let analyze = try EEGProcess(["analyze", out, "--format", "json"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])
        let files = try #require(object["files"] as? [[String: Any]])
        let epochs = try #require(files.first?["epochs"] as? [[String: Any]])
        #expect(epochs.count == 5)
        #expect(epochs.map { $0["rejected"] as? Bool } == [false, false, true, false, false], "the epoch over 10.4 s holds the gap")
    }

    @Test("garbage lines are skipped and counted, naming the first; --strict refuses them (65) and leaves no output")
    func garbage() throws {
        let input = try write(sdFile(lostAt: 0..<0, extra: "OpenBCI\n")), out = scratchPath("bdf")
        let lenient = try EEGProcess(["import-sd", input, "--out", out])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stderr.contains("warning: 1 malformed lines skipped in \(input), the first at line 104, column 1: 'O' is not a hex digit"), "\(lenient.stderr)")
        let strict = try EEGProcess(["import-sd", input, "--out", out, "--strict", "--force"])
        #expect(strict.status == 65)
        #expect(strict.stderr == "eeg import-sd: error: \(input) line 104, column 1: 'O' is not a hex digit\n")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("a line torn at the end is one lost sample, annotated")
    func tornEnd() throws {
        let text = sampleLine(0, Array(repeating: 5, count: 8), aux: false) + sampleLine(1, Array(repeating: 5, count: 8), aux: false) + "02,0000"
        let input = try write(Array(text.utf8)), out = scratchPath("bdf")
        let run = try EEGProcess(["import-sd", input, "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("1 samples lost") && run.stderr.contains("line 3, column 8: the line is cut off"), "\(run.stderr)")
        let texts = try EDFReader(path: out).allAnnotations().map { AnnotationCodec.kind(of: $0.text) }
        #expect(texts.contains(.samplesLost(count: 1, cause: .notReceived)))
    }

    @Test("exit codes: missing file 66, not an SD file 65, absurd rate 65, --out exists 64, bad --rate 64")
    func exitCodes() throws {
        let out = scratchPath("bdf")
        let missing = try EEGProcess(["import-sd", "/nonexistent/OBCI_01.TXT", "--out", out])
        #expect(missing.status == 66, "\(missing.stderr)")
        let notSD = try EEGProcess(["import-sd", try write(Array("hello\n".utf8)), "--out", out])
        #expect(notSD.status == 65)
        #expect(notSD.stderr.contains("holds no Cyton SD-card sample line; first unusable: line 1, column 1: 'h' is not a hex digit"), "\(notSD.stderr)")
        var absurd = sdFile()
        absurd.removeLast(1024)
        absurd += Array("\n%SamplingFreq:\nFFFFF\n".utf8)
        let rate = try EEGProcess(["import-sd", try write(absurd), "--out", out])
        #expect(rate.status == 65)
        #expect(rate.stderr.contains("sampling rate 1048575 Hz is not one the Cyton records at"), "\(rate.stderr)")
        let input = try write(sdFile())
        #expect(try EEGProcess(["import-sd", input, "--out", out]).status == 0)
        let exists = try EEGProcess(["import-sd", input, "--out", out], killAfter: 30)
        #expect(exists.status == 64 && exists.stderr.contains("already exists; use --force"))
        #expect(try EEGProcess(["import-sd", input, "--out", out, "--force"]).status == 0)
        #expect(try EEGProcess(["import-sd", input, "--out", out, "--force", "--rate", "300"], killAfter: 30).status == 64)
        #expect(try EEGProcess(["import-sd", input], killAfter: 30).status == 64)
        #expect(try EEGProcess(["import-sd", "-", "--out", out, "--force"], killAfter: 30).status == 64)
    }

    @Test("a file whose counters claim far more lost samples than it holds is refused (65), with no output left")
    func fillerCap() throws {
        // 1,200 lines, each repeating the counter: 255 lost samples claimed per line read.
        let text = String(repeating: sampleLine(9, Array(repeating: 3, count: 8), aux: false), count: 1200)
        let input = try write(Array(text.utf8)), out = scratchPath("bdf")
        let run = try EEGProcess(["import-sd", input, "--out", out])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "eeg import-sd: error: \(input) line 1098, column 1: counter jumps and pauses add up to 279735 missing samples for 1098 read, "
            + "more than 16 per sample read plus 262144: the counters or stamps are corrupt, not converted\n", "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
