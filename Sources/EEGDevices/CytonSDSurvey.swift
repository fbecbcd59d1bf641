/// A first pass over a Cyton SD-card file, before converting it: how many channels its
/// sample lines hold (8, or 16 with a Daisy) and the rate its footer states, checked.
/// Both must be known before the first frame is written (a BDF header states them), and
/// the footer is at the end. Pure, bounded memory, like ``CytonSDDecoder``.
public struct CytonSDSurvey {
    /// Sample lines of 8 and of 16 channels.
    public private(set) var eightChannelLines = 0
    public private(set) var sixteenChannelLines = 0
    /// The rate (Hz) the footer's `%SamplingFreq:` states, when the file has a footer.
    public private(set) var statedRate: Int?
    /// The first line that is not a sample line, stamp or footer.
    public private(set) var firstProblem: CytonSDProblem?
    private var splitter = CytonSDLineSplitter()
    private var pendingLabel: CytonSDLabel?

    public init() {}

    /// Scans `bytes`.
    ///
    /// - Throws: ``CytonSDError/unsupportedRate(source:line:rate:)`` or
    ///   ``CytonSDError/conflictingRates(source:line:first:second:)`` (without the
    ///   file's name: see ``CytonSDError/naming(_:)``).
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(CytonSDError) {
        var splitter = self.splitter
        var failure: CytonSDError?
        splitter.feed(bytes) { piece in
            failure = self.take(piece)
            return failure == nil
        }
        self.splitter = splitter
        if let failure { throw failure }
    }

    /// The channel count of most sample lines (8 on a tie).
    ///
    /// - Throws: ``CytonSDError/noSamples(source:firstProblem:)`` when there is none.
    public mutating func finish() throws(CytonSDError) -> Int {
        var splitter = self.splitter
        splitter.finish { piece in
            if case .broken(let problem, _) = piece, firstProblem == nil { firstProblem = problem }
            return true
        }
        self.splitter = splitter
        guard eightChannelLines + sixteenChannelLines > 0 else { throw .noSamples(source: "", firstProblem: firstProblem) }
        return sixteenChannelLines > eightChannelLines ? 16 : 8
    }

    /// Takes one line; the error that ends the survey, if any.
    private mutating func take(_ piece: CytonSDLineSplitter.Piece) -> CytonSDError? {
        let label = pendingLabel
        pendingLabel = nil
        switch piece {
        case .broken(let problem, _):
            if firstProblem == nil { firstProblem = problem }
        case .line(let line, let number):
            switch CytonSDLine.parse(line) {
            case .sample(_, let channels, _):
                if channels == 8 { eightChannelLines += 1 } else { sixteenChannelLines += 1 }
            case .label(let next):
                pendingLabel = next
            case .value(let value) where label == .samplingRate:
                return stated(rate: value, line: number)
            case .problem(let column, let reason):
                if firstProblem == nil { firstProblem = CytonSDProblem(line: number, column: column, reason: reason) }
            case .blank, .overrunPair, .value:
                break
            }
        }
        return nil
    }

    private mutating func stated(rate value: UInt32, line: Int) -> CytonSDError? {
        let rate = Int(value)
        guard CytonSD.recordableRates.contains(rate) else { return .unsupportedRate(source: "", line: line, rate: rate) }
        if let first = statedRate, first != rate { return .conflictingRates(source: "", line: line, first: first, second: rate) }
        statedRate = rate
        return nil
    }
}
