import EEGCore

/// What the SD-card decoder found, in file order. Buffers are valid only during the
/// callback.
public enum CytonSDEvent {
    /// One sample line as a frame in µV (8 or 16 channels).
    case frame(sampleIndex: Int64, samples: UnsafeBufferPointer<Float>)
    /// Samples missing before the next frame: the counter jumped (``SampleLossCause/notReceived``:
    /// the board wrote them, the file lost them) or streaming was stopped and started again
    /// (``SampleLossCause/notRecorded``).
    case gap(FrameGap)
    /// A line that was thrown away (lenient mode only).
    case skipped(CytonSDProblem)
}

/// Turns a Cyton SD-card file's bytes (fed in any pieces) into frames in µV and gaps.
/// Pure: bytes in, events out, no I/O; memory is bounded (one line, one frame) whatever
/// the file's length.
///
/// - Scaling is the streaming decoder's (``Cyton/microvolts(counts:perCount:)`` at each
///   channel's gain, 24 by default — the file does not state gains).
/// - The 8-bit sample counter is unwrapped into a sample index that only grows; a jump is
///   a gap. A counter that repeats is read as a whole cycle (256) lost, as the streaming
///   decoder reads it.
/// - `%STOP AT`/`%START AT` stamps between samples are a pause: a `notRecorded` gap as
///   long as the stamps' clock says (rounded to samples; one sample when only one stamp
///   was written), after which the counter restarts.
/// - A line that is not a sample line, a stamp or the footer is a problem: thrown
///   (``CytonSDError/malformedLine(source:problem:)``) when `strict`, else reported as
///   ``CytonSDEvent/skipped(_:)`` and the counter reveals any sample it held. A sample
///   line cut off at the end of the data is one lost sample.
/// - Filler is bounded by what was read: gaps adding up to more than
///   ``CytonSD/fillerAllowance`` plus ``CytonSD/fillerPerSampleRead`` per sample line
///   throw ``CytonSDError/gapsTooLong(source:line:missing:read:)`` before the gap is
///   reported, so a crafted file cannot make the recording balloon.
public struct CytonSDDecoder {
    public let channelCount: Int
    public let sampleRate: Int
    public let strict: Bool
    private let scale: [Double]
    private var splitter = CytonSDLineSplitter()
    private var frame: [Float]
    private var lastCounter: UInt8?
    private var index: Int64 = -1
    private var pendingLabel: CytonSDLabel?
    private var pause: (first: UInt32, last: UInt32)?
    private var pausedMilliseconds: Int64 = 0
    private var tornSampleAtEnd = false
    private var samplesRead: Int64 = 0
    private var missingSamples: Int64 = 0

    /// - Parameters:
    ///   - channels: 8, or 16 with a Daisy (``CytonSDSurvey`` finds it).
    ///   - sampleRate: the file's rate (Hz), for the length of pauses.
    ///   - gains: each channel's gain; default 24 for all.
    public init(channels: Int, sampleRate: Int, gains: [Double]? = nil, strict: Bool = false) {
        precondition(channels == 8 || channels == 16, "a Cyton SD file holds 8 or 16 channels")
        precondition(CytonSD.recordableRates.contains(sampleRate), "a rate the Cyton records at")
        channelCount = channels
        self.sampleRate = sampleRate
        self.strict = strict
        let gains = gains ?? Array(repeating: Cyton.defaultGain, count: channels)
        precondition(gains.count == channels, "one gain per channel")
        scale = gains.map { Cyton.microvoltsPerCount(gain: $0) }
        frame = Array(repeating: 0, count: channels)
    }

    /// Decodes `bytes`, calling `handle` for every event in file order.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, _ handle: (CytonSDEvent) throws -> Void) throws {
        var splitter = self.splitter
        var failure: (any Error)?
        splitter.feed(bytes) { piece in
            do { try self.take(piece, handle) } catch { failure = error }
            return failure == nil
        }
        self.splitter = splitter
        if let failure { throw failure }
    }

    /// The end of the file: a last line without its end is torn; a torn sample line after
    /// the last frame is one lost sample.
    public mutating func finish(_ handle: (CytonSDEvent) throws -> Void) throws {
        var splitter = self.splitter
        var failure: (any Error)?
        splitter.finish { piece in
            do { try self.take(piece, handle) } catch { failure = error }
            return failure == nil
        }
        self.splitter = splitter
        if let failure { throw failure }
        if tornSampleAtEnd && index >= 0 {
            try handle(.gap(FrameGap(frames: 1, beforeSampleIndex: index + 2, cause: .notReceived)))
            tornSampleAtEnd = false
        }
    }

    private mutating func take(_ piece: CytonSDLineSplitter.Piece, _ handle: (CytonSDEvent) throws -> Void) throws {
        switch piece {
        case .broken(let problem, let looksLikeSample):
            tornSampleAtEnd = looksLikeSample
            try report(problem, handle)
        case .line(let line, let number):
            try take(line, number: number, handle)
        }
    }

    private mutating func take(_ line: UnsafeBufferPointer<UInt8>, number: Int, _ handle: (CytonSDEvent) throws -> Void) throws {
        let parsed = CytonSDLine.parse(line)
        let label = pendingLabel
        pendingLabel = nil
        switch parsed {
        case .blank, .overrunPair:
            return
        case .label(let next):
            pendingLabel = next
        case .value(let value) where label != nil:
            if label == .stamp { stamp(value) }
        case .value:
            try report(CytonSDProblem(line: number, column: 1, reason: .fieldCount(found: 1, channels: channelCount)), handle)
        case .problem(let column, let reason):
            try report(CytonSDProblem(line: number, column: column, reason: reason), handle)
        case .sample(let counter, let channels, _):
            guard channels == channelCount else {
                let fields = 1 + channels + (line.count > 3 + 7 * channels ? CytonSD.auxValues : 0)
                try report(CytonSDProblem(line: number, column: 1, reason: .fieldCount(found: fields, channels: channelCount)), handle)
                return
            }
            try sample(counter, line, number: number, handle)
        }
    }

    private mutating func stamp(_ milliseconds: UInt32) {
        guard index >= 0 else { return }  // stamps before the first sample start the file
        pause = (pause?.first ?? milliseconds, milliseconds)
    }

    private mutating func sample(_ counter: UInt8, _ line: UnsafeBufferPointer<UInt8>, number: Int, _ handle: (CytonSDEvent) throws -> Void) throws {
        tornSampleAtEnd = false
        if let (first, last) = pause {
            pause = nil
            let milliseconds = last >= first ? Int64(last - first) : 0
            pausedMilliseconds += milliseconds
            guard pausedMilliseconds <= CytonSD.longestPauses else {
                throw CytonSDError.pausesTooLong(source: "", line: number, milliseconds: pausedMilliseconds)
            }
            let frames = max(1, Int((Double(milliseconds) * Double(sampleRate) / 1000).rounded()))
            try countMissing(Int64(frames), line: number)
            index += Int64(frames)
            try handle(.gap(FrameGap(frames: frames, beforeSampleIndex: index + 1, cause: .notRecorded)))
            lastCounter = nil  // the board restarts its counter with the stream
        }
        var step: Int64 = 1
        if let last = lastCounter {
            step = Int64(counter &- last)
            if step == 0 { step = 256 }
        }
        lastCounter = counter
        samplesRead += 1
        if step > 1 { try countMissing(step - 1, line: number) }
        if step > 1 { try handle(.gap(FrameGap(frames: Int(step - 1), beforeSampleIndex: index + step, cause: .notReceived))) }
        index += step
        for c in 0..<channelCount {
            frame[c] = Cyton.microvolts(counts: Self.channelCounts(line, channel: c), perCount: scale[c])
        }
        let sampleIndex = index
        try frame.withUnsafeBufferPointer { try handle(.frame(sampleIndex: sampleIndex, samples: $0)) }
    }

    /// Adds `frames` to the filler so far, refusing more than the samples read allow.
    private mutating func countMissing(_ frames: Int64, line: Int) throws(CytonSDError) {
        missingSamples += frames
        guard missingSamples <= CytonSD.fillerAllowance + CytonSD.fillerPerSampleRead * samplesRead else {
            throw .gapsTooLong(source: "", line: line, missing: missingSamples, read: samplesRead)
        }
    }

    /// The 24-bit two's-complement value of `channel` (6 hex digits at a fixed place:
    /// ``CytonSDLine/parse(_:)`` checked every width), sign-extended.
    private static func channelCounts(_ line: UnsafeBufferPointer<UInt8>, channel: Int) -> Int32 {
        var value: UInt32 = 0
        let start = 3 + 7 * channel
        for i in start..<(start + 6) { value = value << 4 | UInt32(CytonSDLine.hexValue(line[i]) ?? 0) }
        return Int32(bitPattern: value << 8) >> 8
    }

    private func report(_ problem: CytonSDProblem, _ handle: (CytonSDEvent) throws -> Void) throws {
        if strict { throw CytonSDError.malformedLine(source: "", problem: problem) }
        try handle(.skipped(problem))
    }
}
