import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// Runs `eeg` with an outer watchdog: a hang is killed and reported, never waited on.
/// `EEGKIT_TEST_EEG=/path/to/eeg` runs another build (e.g. an older one, to see these
/// tests fail against it).
struct BoundedRun {
    static let executable = ProcessInfo.processInfo.environment["EEGKIT_TEST_EEG"].map(URL.init(fileURLWithPath:)) ?? EEGProcess.executable

    let status: Int32
    let signalled: Bool
    let timedOut: Bool
    let stdout: String
    let stderr: String

    init(_ arguments: [String], limit: TimeInterval = 120) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        timedOut = !watchdog.isCancelled && process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        watchdog.cancel()
        signalled = process.terminationReason == .uncaughtSignal
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

@Suite("Hostile files through every command, run as processes")
struct HostileFileCommandTests {
    /// What each command must do with a crafted file: exit 65 with one line on standard
    /// error naming the field and its byte offset — never a signal, never a hang. Repair
    /// fixes what it is for (a record count larger than the file) and exits 0.
    @Test("info, replay, analyze, bandpower and repair refuse each crafted file with one line and exit 65", arguments: HostileCase.all)
    func everyCommand(_ c: HostileCase) throws {
        let path = try c.build().write()
        let commands: [[String]] = [["info", path], ["info", path, "--json"], ["replay", path, "--speed", "max"], ["analyze", path],
                                    ["bandpower", "--input", path], ["repair", path]]
        for arguments in commands {
            let run = try BoundedRun(arguments)
            let what = "\(c.name): eeg \(arguments[0])"
            #expect(!run.signalled, "\(what) died of signal \(run.status)\(run.timedOut ? " (killed after the time limit)" : ""): \(run.stderr)")
            if arguments[0] == "repair" && c.kind == "recordCountMismatch" {
                #expect(run.status == 0 && run.stdout.contains("wrote the record count"), "\(what): \(run.status) \(run.stderr)")
                continue
            }
            #expect(run.status == 65, "\(what): exit \(run.status), stderr \(run.stderr)")
            let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            #expect(lines.count == 1, "\(what): \(run.stderr)")
            #expect(run.stderr.hasPrefix("eeg \(arguments[0]): error: \(path): "), "\(what): \(run.stderr)")
            #expect(run.stderr.contains("byte \(c.offset)"), "\(what): \(run.stderr)")
            if c.kind == "badField" { #expect(run.stderr.contains("'\(c.field)'"), "\(what): \(run.stderr)") }
        }
    }

    @Test("one bad file does not stop a batch: the good ones are analysed, the bad one reported, exit 65 at the end")
    func batch() throws {
        let good1 = scratchPath("edf"), good2 = scratchPath("bdf")
        #expect(try EEGProcess(["record", "--out", good1, "--samples", "2500", "--sim-speed", "max", "--seed", "3"]).status == 0)
        #expect(try EEGProcess(["record", "--out", good2, "--samples", "2500", "--sim-speed", "max", "--seed", "4"]).status == 0)
        var hostile = HostileEDF()
        hostile.recordDuration = "1e-300"
        let bad = try hostile.write()
        let run = try BoundedRun(["analyze", good1, bad, good2, "--format", "jsonl", "-j", "2"])
        #expect(!run.signalled)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "eeg analyze: error: \(bad): header field 'duration of a data record' at byte 244 is '1e-300', expected 0 (annotations only) or a number of seconds from 0.000001 to 1000000\n")
        // Both good files have their summary line, in the order given.
        let summaries = run.stdout.split(separator: "\n").filter { $0.contains("\"summary\"") }
        #expect(summaries.count == 2)
        #expect(summaries.first?.contains(good1) == true && summaries.last?.contains(good2) == true)
    }

    @Test("damage that is reported, not refused: info lists it and exits 0")
    func reported() throws {
        var f = HostileEDF()
        f.recordCount = "-1"
        f.recordsWritten = 3
        let path = try f.write()
        let run = try BoundedRun(["info", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("the record count is −1: the recording was not closed"))
        #expect(run.stdout.contains("3 records of 1 s"))
    }

    @Test("a header claiming a huge rate × channels: replay and bandpower refuse before sizing buffers by it; one channel at 1 MHz still plays")
    func rateTimesChannels() throws {
        var f = HostileEDF()
        f.recordDuration = "0.00001"  // 10 samples per 10 µs record: 1 MHz
        f.signals = Array(repeating: HostileEDF.Signal(), count: 8) + [.annotations(60)]
        let path = try f.write()
        for arguments in [["replay", path, "--speed", "max"], ["bandpower", "--input", path]] {
            let run = try BoundedRun(arguments)
            #expect(run.status == 65 && !run.signalled, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("8 channels at 1e+06 Hz are 8e+06 samples per second, more than the 4194304 the live pipeline takes"), "\(run.stderr)")
        }
        f.signals = [HostileEDF.Signal(), .annotations(60)]
        let one = try BoundedRun(["replay", try f.write(), "--speed", "max", "--emit", "samples", "--format", "csv"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.split(separator: "\n").count == 1 + 20)
    }

    /// The command line refuses such values itself (64); the library behind it must not
    /// trap on them either, whoever calls it.
    @Test("absurd seconds times a file's rate: clamped or refused by the library, never a trap")
    func secondsTimesFileRate() throws {
        let edf = Fixtures.url("eeg/libgdf_mi128.edf").path
        #expect(throws: EDFError.self) { try FileReplayDevice(path: edf, speed: .infinity, from: 1e300) }
        let replay = try FileReplayDevice(path: edf, speed: .infinity, from: 380, to: 1e300)
        #expect(replay.sampleRate == 128)
        var options = AnalysisOptions()
        // Clamped to 2^31 − 1 frames, then refused: that epoch over 3 channels is more
        // than the samples analysed at once (FileAnalyzer/BandpowerAnalyzer bounds).
        options.epochSeconds = 1e300
        #expect(throws: AnalysisError.self) { try FileAnalyzer(options: options).analyze(path: edf) }
        var reader: any FrameReader = try EDFFrameReader(path: edf)
        var bandpower = BandpowerOptions(layout: .test(rate: 128, channels: 3))
        bandpower.epochSeconds = 1e300
        #expect(throws: DSPError.self) { _ = try BandpowerAnalyzer.analyze(&reader, options: bandpower) }
        // An epoch longer than the whole file but within the bound: no epochs, no trap.
        options.epochSeconds = 3600
        let analysis = try FileAnalyzer(options: options).analyze(path: edf)
        #expect(analysis.epochs.isEmpty && analysis.summary.epochs == 0)
        reader = try EDFFrameReader(path: edf)
        bandpower.epochSeconds = 3600
        let report = try BandpowerAnalyzer.analyze(&reader, options: bandpower)
        #expect(report.epochs == [] && report.frames == 49664)
        bandpower.epochSeconds = nil
        bandpower.segmentLength = 1 << 30
        #expect(throws: DSPError.self) { _ = try BandpowerAnalyzer(bandpower) }
    }
}
