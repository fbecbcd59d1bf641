// EDF/BDF decoding rates beside the machine's own ceilings, and how much of `eeg analyze`
// on a 1 h 8-channel BDF is reading (issue 11, goal 2). Called from main.swift.
import EEGKit
import Foundation

/// CPU seconds this thread spends in `body` (user and system): on a machine shared with
/// other work, time spent waiting for a core is not counted, unlike wall-clock time.
func cpuSeconds(_ body: () -> Void) -> Double {
    func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    let start = now()
    body()
    return now() - start
}

/// Best, median and worst of several timings, in seconds.
struct Timings {
    let best: Double
    let median: Double
    let worst: Double

    /// Runs `body` `runs` times.
    init(runs: Int, _ body: () -> Void) {
        var all: [Double] = []
        for _ in 0..<max(1, runs) { all.append(cpuSeconds(body)) }
        all.sort()
        best = all[0]
        median = all[all.count / 2]
        worst = all[all.count - 1]
    }
}

/// A plain EDF or BDF file (no annotations signal) of `seconds` 1 s records, `channels`
/// signals at `rate` Hz, holding pseudo-random digital samples over the whole range.
/// Written directly (header encoder plus bytes), so making it costs no record-by-record
/// flush to disk.
func writePlainFile(flavor: EDFFlavor, channels: Int, rate: Int, seconds: Int) -> String {
    let ext = flavor == .edf ? "edf" : "bdf"
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-\(getpid())-\(channels)-\(rate).\(ext)").path
    let limit = flavor.digitalLimit
    let signals = (1...channels).map { EDFSignal(label: "ch\($0)", physicalMinimum: -3276.8, physicalMaximum: 3276.7, digitalMinimum: -limit - 1, digitalMaximum: limit, samplesPerRecord: rate) }
    var header = EDFHeader(flavor: flavor, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0), signals: signals)
    header.isPlus = false
    header.recordCount = seconds
    guard let out = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
        fatalError("cannot create \(path)")
    }
    out.write(Data(header.encode()))
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var record = [UInt8](repeating: 0, count: header.recordBytes)
    for _ in 0..<seconds {
        for i in record.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            record[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        out.write(Data(record))
    }
    try? out.close()
    return path
}

/// Reads every record of `path` the way `eeg analyze` does — decoded straight into a
/// planar buffer, channel by channel, the analysed frames let go as they are used —
/// and returns a checksum.
func readPlanar(_ path: String) -> Double {
    var source = try! FrameSourceFormat.edf.open(path, checkingLiveRate: false, checkingAnnotations: false)
    try! source.forEachAnnotation { _ in }
    let frames = PlanarFrames(channelCount: source.channelCount)
    let channels = Array(0..<source.channelCount)
    var sum = 0.0
    while try! source.appendNextChunk(channels: channels, to: frames) > 0 {
        sum += Double(frames.channel(0)[0])
        frames.removeFirst(frames.frameCount)
    }
    return sum
}

/// Reads every record of `path` into interleaved frames (what replay and bandpower read).
func readInterleaved(_ path: String) -> Double {
    let reader = try! EDFReader(path: path)
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: reader.framesPerRecord * reader.channelCount)
    defer { buffer.deallocate() }
    var sum = 0.0
    for r in 0..<reader.recordCount {
        try! reader.readRecord(r, into: buffer)
        sum += Double(buffer[0])
    }
    return sum
}

/// The bytes of `path` read with read(2) into one reused 256 KiB buffer: the kernel's
/// copy from the page cache, which any reader that does not map the file pays.
func readBytes(_ path: String) -> Int {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 18, alignment: 64)
    defer { buffer.deallocate() }
    var total = 0
    while true {
        let n = read(fd, buffer, 1 << 18)
        if n <= 0 { break }
        total += n
    }
    return total
}

/// Prints decode rates for EDF and BDF at 8 and 64 channels, each beside the read(2)
/// ceiling of the same file and a memcpy bandwidth measured in the same run.
func printEDFDecodeRates(quick: Bool, repeats: Int) {
    let runs = max(repeats, 5)
    // Memory bandwidth: a 256 MiB copy (far beyond the caches).
    let size = 256 << 20
    let from = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), to = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    memset(from, 1, size)
    memset(to, 2, size)
    let copy = Timings(runs: runs) { memcpy(to, from, size) }
    from.deallocate()
    to.deallocate()
    let copyRate = Double(size) / copy.best
    print("")
    print("EDF/BDF decoding into floats, per CPU second (user + system), best of \(runs) (median, worst), files in the page cache")
    print(String(format: "  memory bandwidth: memcpy of 256 MiB %.1f GB/s copied (%.1f GB/s of traffic; median %.1f)",
                 copyRate / 1e9, 2 * copyRate / 1e9, Double(size) / copy.median / 1e9))
    let minutes = quick ? 2 : 10
    let cases: [(EDFFlavor, Int, Int, Int)] = [(.edf, 8, 250, 60 * minutes * 6), (.bdf, 8, 250, 60 * minutes * 6),
                                               (.edf, 64, 512, 60 * minutes), (.bdf, 64, 512, 60 * minutes)]
    for (flavor, channels, rate, length) in cases {
        let path = writePlainFile(flavor: flavor, channels: channels, rate: rate, seconds: length)
        defer { unlink(path) }
        let samples = Double(channels * rate * length)
        let name = "\(flavor == .edf ? "EDF 16-bit" : "BDF 24-bit"), \(channels) ch × \(rate) Hz, \(length / 60) min"
        _ = readBytes(path)  // into the page cache
        var bytes = 0, planarSum = 0.0, interleavedSum = 0.0
        // Alternating, so a busy moment on the machine hits every row alike.
        var times: [[Double]] = [[], [], []]
        for _ in 0..<runs {
            times[0].append(cpuSeconds { bytes = readBytes(path) })
            times[1].append(cpuSeconds { planarSum = readPlanar(path) })
            times[2].append(cpuSeconds { interleavedSum = readInterleaved(path) })
        }
        if planarSum != interleavedSum { print("  warning: \(name): planar and interleaved checksums differ") }
        let sorted = times.map { $0.sorted() }
        func rates(_ t: [Double]) -> String {
            "\(format(samples / t[0])) samples/s (median \(format(samples / t[t.count / 2]).trimmingCharacters(in: .whitespaces)), worst \(format(samples / t[t.count - 1]).trimmingCharacters(in: .whitespaces)))"
        }
        let ceiling = Double(bytes) / sorted[0][0] / Double(flavor.bytesPerSample)
        print("  \(name) (\(bytes / 1_000_000) MB)")
        print("    read(2) alone     \(format(Double(bytes) / sorted[0][0]))B/s = ceiling \(format(ceiling)) samples/s")
        print("    into analysis     \(rates(sorted[1]))  \(String(format: "%3.0f", 100 * samples / sorted[1][0] / ceiling)) % of ceiling")
        print("    interleaved       \(rates(sorted[2]))  \(String(format: "%3.0f", 100 * samples / sorted[2][0] / ceiling)) % of ceiling")
    }
}

/// Prints how the time of `eeg analyze` on a 1 h 8-channel BDF+ (as `eeg record` writes
/// it) splits between reading (opening, annotations, decoding into the analysis buffers)
/// and the analysis, and checks that the writer's time per record does not grow with the
/// file.
func printAnalyzeReadSplit(quick: Bool, repeats: Int, eeg: String?) {
    let length = quick ? 900 : 3600
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-bench-split-\(getpid()).bdf").path
    defer { unlink(path) }
    let channels = (1...8).map { EDFSignal(label: "ch\($0)", physicalMinimum: -187_500, physicalMaximum: 187_500, digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: 250) }
    let writer = try! EDFWriter(path: path, flavor: .bdf, channels: channels, start: DateComponents(year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0))
    let workload = try! EpochBandpowerWorkload(channels: 8, sampleRate: 250, seconds: 600, seed: 11)
    var frames = [Float](repeating: 0, count: 8 * 250)
    var halves = [0.0, 0.0]
    workload.withSamples { samples in
        for second in 0..<length {
            let s = second % 600
            for f in 0..<250 { for c in 0..<8 { frames[f * 8 + c] = samples[c * workload.frames + s * 250 + f] } }
            halves[2 * second / length] += seconds { try! frames.withUnsafeBufferPointer { try writer.append($0) }; return 0 }.0
        }
    }
    try! writer.close()
    let runs = max(repeats, 5)
    var options = AnalysisOptions()
    options.keepEpochs = false
    options.keepSpectra = false
    var read: [Double] = [], analysis: [Double] = [], process: [Double] = []
    for _ in 0..<runs {
        read.append(cpuSeconds { _ = readPlanar(path) })
        analysis.append(cpuSeconds { _ = try! FileAnalyzer(options: options).analyze(path: path) })
        if let eeg { process.append(spawnTimed(eeg, ["analyze", path, "--format", "csv", "--out", "/dev/null", "-j", "1"]).cpu) }
    }
    func span(_ t: [Double]) -> String {
        let s = t.sorted()
        return String(format: "%6.3f s (median %.3f, worst %.3f)", s[0], s[s.count / 2], s[s.count - 1])
    }
    let bestRead = read.min()!, bestAnalysis = analysis.min()!
    print("")
    print("eeg analyze on a \(length / 60) min 8-ch 250 Hz BDF+: reading vs analysis, CPU seconds, best of \(runs)")
    print("  reading (open, annotations, decode into the epoch buffers) \(span(read))  \(format(Double(length * 2000) / bestRead)) samples/s")
    print("  FileAnalyzer.analyze in-process (reading included)       \(span(analysis))  reading is \(String(format: "%.1f", 100 * bestRead / bestAnalysis)) %")
    if !process.isEmpty {
        print("  eeg analyze --format csv, the whole process                \(span(process))  reading is \(String(format: "%.1f", 100 * bestRead / process.min()!)) %")
    }
    print(String(format: "  EDFWriter: %.1f µs per 1 s record in the first half of the file, %.1f µs in the second (flushed to disk each)",
                 halves[0] / Double(length / 2) * 1e6, halves[1] / Double(length - length / 2) * 1e6))
}

/// The eeg executable given as `--eeg PATH`, if any.
func eegArgument() -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--eeg"), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
