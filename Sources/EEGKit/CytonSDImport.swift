import EEGDevices
import Foundation

/// How to convert a Cyton SD-card file.
public struct CytonSDImportOptions: Sendable {
    /// The SD-card file (`OBCI_xx.TXT`); read twice, so a regular file.
    public var input: String
    /// The recording to write (`.bdf` keeps the 24-bit values exactly).
    public var recording: RecordingOptions
    /// Fail at the first malformed line instead of skipping it.
    public var strict = false
    /// The rate (Hz) when the file has no footer stating it (a file closed before it was
    /// full); a stated rate always wins. Default: the board's 250 Hz.
    public var fallbackRate = CytonSD.defaultRate

    /// The rates (Hz) the board records at.
    public static var recordableRates: Set<Int> { CytonSD.recordableRates }

    public init(input: String, recording: RecordingOptions) {
        self.input = input
        self.recording = recording
    }
}

/// What a conversion did.
public struct CytonSDImportSummary: Sendable, Equatable {
    public var channelCount = 0
    public var sampleRate = 0
    /// Whether the file's footer stated the rate (else ``CytonSDImportOptions/fallbackRate``).
    public var rateStated = false
    /// Sample lines converted.
    public var frames: Int64 = 0
    /// Samples the counter says the file lost (annotated as lost, cause `notReceived`).
    public var lostSamples = 0
    /// Samples of stop/start pauses (annotated, cause `notRecorded`).
    public var pausedSamples = 0
    /// Lines thrown away, and the first of them.
    public var skippedLines = 0
    public var firstSkipped: CytonSDProblem?
    /// Seconds written (gaps included).
    public var seconds = 0.0
    public var clippedSamples = 0
}

/// Converts a Cyton SD-card file to a recording (BDF+ or EDF+, by the output's
/// extension) through the same ``Recorder`` and sink as `eeg record`: lost samples and
/// pauses become annotated filler spans, never stitched. Streams: memory is bounded (one
/// 64 KiB read buffer, one line, 256 frames) whatever the file's length. Reads the file
/// twice: a survey (channels, the footer's rate — both needed for the header, and the
/// footer is last), then the conversion.
public enum CytonSDImport {
    static let chunkBytes = 1 << 16
    static let batchFrames = 256

    /// - Throws: ``InputError`` (missing file: 66; not a regular file; a read failure: 74),
    ///   ``CytonSDError`` naming the file, line and column (65), or the recorder's errors.
    ///   On failure the output is removed: a part of a file is not left to pass for all of it.
    public static func run(_ options: CytonSDImportOptions) throws -> CytonSDImportSummary {
        let name = options.input
        var survey = CytonSDSurvey()
        let startDate = try read(name) { bytes throws(CytonSDError) in try survey.scan(bytes) }
        let channels: Int
        do { channels = try survey.finish() } catch { throw error.naming(name) }
        var summary = CytonSDImportSummary()
        summary.channelCount = channels
        summary.sampleRate = survey.statedRate ?? options.fallbackRate
        summary.rateStated = survey.statedRate != nil
        let layout = StreamLayout(labels: StreamLayout.numberedLabels(channels), sampleRate: Double(summary.sampleRate),
                                  fullScale: Cyton.fullScale(gain: Cyton.defaultGain), source: "Cyton SD card")
        let recorder = try Recorder(options: options.recording, layout: layout, start: startDate)
        do {
            try convert(options, into: recorder, summary: &summary)
            try recorder.close()
        } catch {
            try? recorder.close()
            unlink(options.recording.path)
            if let sd = error as? CytonSDError { throw sd.naming(name) }
            throw error
        }
        summary.seconds = recorder.duration
        summary.clippedSamples = recorder.sink.clippedSamples
        return summary
    }

    private static func convert(_ options: CytonSDImportOptions, into recorder: Recorder, summary: inout CytonSDImportSummary) throws {
        var decoder = CytonSDDecoder(channels: summary.channelCount, sampleRate: summary.sampleRate, strict: options.strict)
        var batch = FrameBatch(channels: summary.channelCount, capacity: batchFrames)
        recorder.begin(atSampleIndex: 0)
        var tally = summary
        let handle: (CytonSDEvent) throws -> Void = { event in
            switch event {
            case .frame(let index, let samples):
                batch.add(samples, index: index)
                tally.frames += 1
                if batch.isFull { try batch.flush(to: recorder) }
            case .gap(let gap):
                try batch.flush(to: recorder)
                try recorder.lost(gap)
                if gap.cause == .notRecorded { tally.pausedSamples += gap.frames } else { tally.lostSamples += gap.frames }
            case .skipped(let problem):
                tally.skippedLines += 1
                if tally.firstSkipped == nil { tally.firstSkipped = problem }
            }
        }
        _ = try read(options.input) { bytes in try decoder.decode(bytes, handle) }
        try decoder.finish(handle)
        try batch.flush(to: recorder)
        summary = tally
    }

    /// Reads `path` in chunks through one descriptor, handing each to `body`; returns the
    /// file's modification time (the SD file holds no clock time, so the recording starts
    /// then, as the closest fact there is).
    private static func read<E: Error>(_ path: String, _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws -> Date {
        let file = try InputFile(path: path, name: path)
        guard file.regularFileSize != nil else {
            throw InputError.cannotOpen(path: path, reason: "not a regular file (the SD-card file is read twice)")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = try file.readSome(into: buffer)
            if count == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        return modified ?? Date()
    }
}

/// Frames waiting to be stored together (the recorder's `store` takes runs of frames).
private struct FrameBatch {
    let channels: Int
    let capacity: Int
    private var samples: [Float]
    private var indices: [Int64]
    private let dropped: [UInt32]
    private var count = 0

    init(channels: Int, capacity: Int) {
        self.channels = channels
        self.capacity = capacity
        samples = Array(repeating: 0, count: channels * capacity)
        indices = Array(repeating: 0, count: capacity)
        dropped = Array(repeating: 0, count: capacity)
    }

    var isFull: Bool { count == capacity }

    mutating func add(_ frame: UnsafeBufferPointer<Float>, index: Int64) {
        for c in 0..<channels { samples[count * channels + c] = frame[c] }
        indices[count] = index
        count += 1
    }

    mutating func flush(to recorder: Recorder) throws {
        guard count > 0 else { return }
        let n = count
        count = 0
        try samples.withUnsafeMutableBufferPointer { all in
            try indices.withUnsafeBufferPointer { idx in
                try dropped.withUnsafeBufferPointer { drop in
                    try recorder.store(UnsafeMutableBufferPointer(rebasing: all[0..<(n * channels)]),
                                       indices: UnsafeBufferPointer(rebasing: idx[0..<n]),
                                       droppedBefore: UnsafeBufferPointer(rebasing: drop[0..<n]))
                }
            }
        }
    }
}
