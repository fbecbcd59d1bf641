import Foundation
import Testing
@testable import EEGKit

@Suite("Command-line value parsers (pure)")
struct ArgumentValueTests {
    @Test("durations: units, spaces and case; every hostile number is a typed error, never a trap",
          arguments: [("4", 4.0), ("4s", 4), ("500ms", 0.5), ("2m", 120), ("2min", 120), ("1.5h", 5400), (" 10 S ", 10), ("1000000h", 3.6e9), ("1e-3", 0.001),
                      ("1m30s", 90), ("1h 30m", 5400), ("1H30M", 5400), ("2m500ms", 120.5), ("1e3s", 1000), ("1.5m30s", 120)])
    func durations(text: String, seconds: Double) throws {
        #expect(try ArgumentValues.seconds(text, flag: "--duration") == seconds)
    }

    @Test("hostile durations", arguments: [
        ("1e300s", ArgumentError.Kind.outOfRange), ("1e400", .notFinite), ("nan", .notFinite), ("1\u{1B}[2Js", .malformed), ("inf", .notFinite), ("-1s", .outOfRange),
        ("0", .outOfRange), ("", .malformed), ("s", .malformed), ("0x10s", .malformed), ("1000001h", .outOfRange), ("٣s", .malformed),
        ("10 seconds", .malformed), ("1e-4s", .outOfRange),
        // A sum names every part's unit: a bare number after a unit is a typo.
        ("1m30", .malformed), ("1m 30", .malformed), ("30s1", .malformed), ("1m1e400s", .notFinite),
    ])
    func hostileDurations(text: String, kind: ArgumentError.Kind) {
        #expect(throws: ArgumentError.self) { try ArgumentValues.seconds(text, flag: "--duration") }
        do { _ = try ArgumentValues.seconds(text, flag: "--duration"); Issue.record("accepted \(text)") } catch {
            #expect(error.kind == kind, "\(text): \(error.kind)")
            #expect(error.description.hasPrefix("--duration must be a duration 1ms…1000000h"), "\(error.description)")
            #expect(error.description.hasSuffix("got '\(TerminalText.safe(text))'"))
        }
    }

    @Test("numbers: NaN, ±∞, 1e400 and out-of-range values are rejected with the flag and the range")
    func numbers() throws {
        #expect(try ArgumentValues.number("250", flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz") == 250)
        for text in ["nan", "inf", "-inf", "1e400", "0", "-5", "1e7", "0x1p3", "", "2,5"] {
            #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.number(text, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz") }
        }
        #expect(throws: ArgumentError(.notFinite, flag: "--rate", value: "nan", expected: "a finite number 1…1000000 Hz")) {
            try ArgumentValues.check(Double.nan, flag: "--rate", in: ArgumentValues.rateRange, unit: "Hz")
        }
        #expect(throws: ArgumentError(.outOfRange, flag: "--channel-count", value: "0", expected: "1…4096")) {
            try ArgumentValues.check(0, flag: "--channel-count", in: ArgumentValues.channelRange)
        }
        #expect(try ArgumentValues.integer("12", flag: "-j", in: 1...1024) == 12)
        #expect(throws: ArgumentError.self) { try ArgumentValues.integer("99999999999999999999", flag: "-j", in: 1...1024) }
        #expect(throws: ArgumentError.self) { try ArgumentValues.integer("1.5", flag: "-j", in: 1...1024) }
    }

    @Test("frames of a duration saturate instead of trapping")
    func frames() {
        #expect(ArgumentValues.frames(seconds: 3.6e9, rate: 16_000) == 57_600_000_000_000)
        #expect(ArgumentValues.frames(seconds: 1e300, rate: 1e6) == Int64.max)
        #expect(ArgumentValues.frames(seconds: .nan, rate: 250) == 0)
        #expect(ArgumentValues.frames(seconds: 10, rate: 250) == 2500)
    }

    @Test("shards, passbands, bands, speeds, overlaps and pairs")
    func structured() throws {
        #expect(try ArgumentValues.shard("3/16") == Shard(index: 3, count: 16))
        for text in ["0/2", "3/2", "1/0", "1/99999999999999999999", "1/2/3", "a/b", "", "/", "-1/2", "1/2000000"] {
            #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.shard(text) }
        }
        #expect(try ArgumentValues.passband("0.5-40") == 0.5...40)
        for text in ["1-inf", "nan-4", "0-45", "45-1", "1-45-60", "1", "-1-45", "1-1e400", "1-2000000"] {
            #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.passband(text) }
        }
        #expect(try ArgumentValues.bands("theta:4-8,alpha:8-12").bands.map(\.name) == ["theta", "alpha"])
        for text in ["a:1-1e300", "a:nan-4", "a:1-inf", "a", "a:4-1", (0..<65).map { "b\($0):1-2" }.joined(separator: ",")] {
            #expect(throws: ArgumentError.self, "\(text.prefix(20))") { try ArgumentValues.bands(text) }
        }
        #expect(try ArgumentValues.speed("max") == .infinity)
        #expect(try ArgumentValues.speed("4x") == 4)
        for text in ["0", "nan", "inf", "-1", "1e-300", "1e7", "x", ""] {
            #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.speed(text) }
        }
        #expect(try ArgumentValues.overlap("50%", segmentLength: 500) == 250)
        #expect(try ArgumentValues.overlap("100", segmentLength: 500) == 100)
        for text in ["100%", "nan%", "-1%", "500", "-1", "99999999999999999999", "1e3", "%"] {
            #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.overlap(text, segmentLength: 500) }
        }
        #expect(try ArgumentValues.pair("F3:F4") == ("F3", "F4"))
        for text in ["F3", "F3:", ":F4", "a:b:c"] { #expect(throws: ArgumentError.self, "\(text)") { try ArgumentValues.pair(text) } }
    }

    @Test("fuzz: no text makes a parser trap; every rejection is an ArgumentError naming the flag")
    func fuzz() {
        var generator = SeededGenerator(seed: 0xE1EC)
        let pieces = ["1", "0", "-", "+", ".", "e", "E", "9", "nan", "inf", "x", "/", ":", "%", "s", "ms", "m", "h", "min", " ", "\u{0}", "٣", "0x", "p", ",", "1e308", "1e400"]
        var parsed = 0, rejected = 0
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let attempts: [() throws -> Void] = [
                { _ = try ArgumentValues.seconds(text, flag: "--f") }, { _ = try ArgumentValues.shard(text, flag: "--f") },
                { _ = try ArgumentValues.passband(text, flag: "--f") }, { _ = try ArgumentValues.speed(text, flag: "--f") },
                { _ = try ArgumentValues.overlap(text, segmentLength: 512, flag: "--f") }, { _ = try ArgumentValues.bands(text, flag: "--f") },
                { _ = try ArgumentValues.number(text, flag: "--f", in: 1...1000) }, { _ = try ArgumentValues.integer(text, flag: "--f", in: 1...1000) },
            ]
            for attempt in attempts {
                do { try attempt(); parsed += 1 } catch let error as ArgumentError {
                    rejected += 1
                    #expect(error.description.hasPrefix("--f must be "))
                    #expect(!error.description.contains("\n") && !error.description.unicodeScalars.contains("\u{0}"))
                } catch {
                    Issue.record("not an ArgumentError: \(error)")
                }
            }
        }
        // The stress happened: both outcomes were exercised many times.
        #expect(parsed > 250 && rejected > 2_500, "parsed \(parsed), rejected \(rejected)")
    }
}

/// A small deterministic generator (SplitMix64) so a failing fuzz case reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Hostile numeric options through the real eeg binary")
struct HostileOptionTests {
    @Test("every numeric option: NaN, ±∞, huge, zero, negative — exit 64 and one line naming the flag", arguments: [
        (["stream", "--duration", "1e300s"], "--duration must be a duration 1ms…1000000h"),
        (["stream", "--duration", "nan"], "--duration must be"),
        (["stream", "--duration=-1s"], "--duration must be"),
        (["record", "--out", "/tmp/eegkit-never.bdf", "--duration", "1e400"], "--duration must be"),
        (["stream", "--samples", "0"], "--samples must be 1…"),
        (["stream", "--sim-speed", "nan"], "--sim-speed must be max or a speed 0.001…1000000"),
        (["stream", "--sim-speed", "0"], "--sim-speed must be"),
        (["stream", "--sim-rate", "nan"], "--sim-rate must be a finite number 100…16000 Hz"),
        (["stream", "--sim-rate", "inf"], "--sim-rate must be"),
        (["stream", "--sim-channels", "0"], "--sim-channels must be 1…256"),
        (["stream", "--calibration-seconds", "inf"], "--calibration-seconds must be a duration 0s…24h"),
        (["stream", "--calibration-seconds=-1"], "--calibration-seconds must be"),
        (["stream", "--notch", "nan"], "--notch is 50 or 60"),
        (["replay", "x.bdf", "--speed", "1e-300"], "--speed must be max or a speed"),
        (["replay", "x.bdf", "--speed", "inf"], "--speed must be"),
        (["replay", "x.bdf", "--to", "1e300s"], "--to must be a duration"),
        (["replay", "x.bdf", "--from=-1"], "--from must be a duration"),
        (["analyze", "x.edf", "--epoch", "1e300s"], "--epoch must be a duration 1ms…1h"),
        (["analyze", "x.edf", "--epoch", "0"], "--epoch must be"),
        (["analyze", "x.edf", "--rate", "nan", "--channel-count", "2"], "--rate must be a finite number 1…1000000 Hz"),
        (["analyze", "x.edf", "--rate", "250", "--channel-count", "0"], "--channel-count must be 1…4096"),
        (["analyze", "x.edf", "--shard", "1/99999999999999999999"], "--shard must be I/N"),
        (["analyze", "x.edf", "--shard", "0/2"], "--shard must be I/N"),
        (["analyze", "x.edf", "--filter", "1-inf"], "--filter must be LOW-HIGH"),
        (["analyze", "x.edf", "--filter", "nan-4"], "--filter must be LOW-HIGH"),
        (["analyze", "x.edf", "--bands", "a:1-1e300"], "--bands must be"),
        (["analyze", "x.edf", "--bands", "a:nan-4"], "--bands must be"),
        (["analyze", "x.edf", "-j", "0"], "--jobs must be 1…1024"),
        (["analyze", "x.edf", "--pair", "F3"], "--pair must be LEFT:RIGHT"),
        (["bandpower", "--rate", "nan", "--channel-count", "2"], "--rate must be a finite number"),
        (["bandpower", "--rate", "1e400", "--channel-count", "2"], "--rate must be"),
        (["bandpower", "--rate", "250", "--channel-count", "0"], "--channel-count must be 1…4096"),
        (["bandpower", "--rate", "250", "--channel-count", "2", "--epoch", "1e300s"], "--epoch must be"),
        (["bandpower", "--rate", "250", "--channel-count", "2", "--window-seconds", "1e300"], "--window-seconds must be"),
        (["bandpower", "--rate", "1000000", "--channel-count", "2", "--window-seconds", "1h"], "--window-seconds gives"),
        (["bandpower", "--rate", "250", "--channel-count", "2", "--nperseg", "0"], "--nperseg must be 2…"),
        (["bandpower", "--rate", "250", "--channel-count", "2", "--overlap", "nan%"], "--overlap must be a percentage"),
        (["bandpower", "--rate", "250", "--channel-count", "2", "--overlap", "99999999999999999999"], "--overlap must be samples"),
        (["bench", "--minutes", "inf"], "--minutes must be a finite number"),
        (["bench", "--duration", "0.5s"], "--duration must be a duration 1s…24h"),
        (["bench", "--channel-count", "0"], "--channel-count must be 1…1024"),
        (["bench", "--channel-count", "2", "--channels", "2"], "give --channel-count or --channels (its older name), not both"),
        (["bench", "--duration", "1m", "--minutes", "1"], "give --duration or --minutes (its older name), not both"),
        (["replay", "x.edf", "--to", "1m30"], "--to must be a duration"),
        (["bench", "--rate", "nan"], "--rate must be"),
        (["bench", "--channels", "1000", "--rate", "100000", "--minutes", "100"], "at most 268435456 (1 GiB)"),
    ] as [([String], String)])
    func hostile(arguments: [String], message: String) throws {
        let run = try EEGProcess(arguments, killAfter: 60)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("extreme but legal values run: a million hours is a frame limit, a 1 h epoch on a short file is no epoch")
    func extremeButLegal() throws {
        let path = scratchPath("bdf")
        let record = try EEGProcess(["record", "--out", path, "--duration", "2s", "--sim-speed", "max"])
        #expect(record.status == 0, "\(record.stderr)")
        let replay = try EEGProcess(["replay", path, "--to", "1000000h", "--speed", "max", "--emit", "samples"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.split(separator: "\n").count == 500)
        let analyze = try EEGProcess(["analyze", path, "--epoch", "1h", "--format", "jsonl"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        let bandpower = try EEGProcess(["bandpower", "--input", path, "--epoch", "1h", "--format", "json"])
        #expect(bandpower.status == 0, "\(bandpower.stderr)")
        for limit in [["--samples", "9223372036854775807"], ["--duration", "1000000h"]] {
            // Runs (no trap computing the frame limit) until stopped with Ctrl-C.
            let process = Process()
            process.executableURL = EEGProcess.executable
            process.arguments = ["stream", "--sim-speed", "max", "--sim-rate", "16000", "--emit", "samples"] + limit
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var received = Data()
            while received.filter({ $0 == 0x0A }).count < 1000 {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                received.append(chunk)
            }
            process.interrupt()
            while !out.fileHandleForReading.availableData.isEmpty {}
            process.waitUntilExit()
            #expect(received.filter({ $0 == 0x0A }).count >= 1000, "\(limit)")
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(limit): \(process.terminationStatus)")
        }
    }
}
