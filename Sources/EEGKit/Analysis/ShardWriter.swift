import Foundation

/// Turns one shard's batch events into the lines of its shard file (``ShardLine``): the
/// header, one line per event tagged with the file's place in the whole list, and — only
/// when every file is reported — the completion line with the checksum of everything
/// before it. Not thread-safe: the batch calls `emit` in file order under its lock.
///
/// With a `render` format the epochs are written as the text that format's output holds
/// for them (``ShardTextBlock``), which the merge copies; their records are written too
/// only when the report needs them (`keepSpectra`).
public struct ShardWriter: Sendable {
    public let header: ShardHeader
    private let renderer: AnalysisRenderer?
    private var text: ShardTextBuffer
    private var firstEpochInFile = true
    private var checksum = ShardChecksum()
    private let encoder = ShardLine.encoder()
    /// Files reported so far (their end or failure written).
    public private(set) var filesDone = 0
    /// Of those, files that failed.
    public private(set) var failedFiles = 0

    /// The writer for shard `shard` of `plan`, analysed with `options`; `render`: the
    /// format the merge will write, to render the epochs in now (nil: epoch records).
    public init(plan: ShardPlan, shard: Shard, options: AnalysisOptions, render: AnalysisFormat? = nil) {
        renderer = render.map(AnalysisRenderer.init(format:))
        text = ShardTextBuffer()
        header = ShardHeader(format: render == nil ? ShardHeader.currentFormat : ShardHeader.renderedFormat, shard: shard.index, shards: shard.count, files: plan.paths.count,
                             plan: plan.fingerprint, settings: Self.settings(options), epochSeconds: options.epochSeconds,
                             assigned: plan.files(of: shard.index).map { ShardHeader.AssignedFile(index: $0, path: plan.paths[$0]) },
                             spectra: options.keepSpectra, render: render?.rawValue)
    }

    /// The analysis settings a shard records, as a checksum: everything that changes the
    /// numbers (what is kept in memory for a report does not).
    public static func settings(_ options: AnalysisOptions) -> String {
        var options = options
        options.keepEpochs = false
        options.keepSpectra = true
        var sum = ShardChecksum()
        sum.add(String(reflecting: options))
        return sum.digest
    }

    /// The shard's paths, in the list's order.
    public var paths: [String] { header.assigned.map(\.path) }

    public mutating func headerLine() throws -> String {
        try line(ShardLine(header: header))
    }

    /// The line for `event`, which belongs to the shard's next unreported file.
    public mutating func line(for event: BatchAnalysis.Event) throws -> String {
        guard filesDone < header.assigned.count else { throw ShardError(path: "shard \(header.name)", .mismatch("more files reported than the shard holds")) }
        let file = header.assigned[filesDone].index
        var record = ShardLine(file: file)
        switch event {
        case .begin(let info):
            record.begin = FileInfoRecord(info)
            firstEpochInFile = true
        case .epoch(let info, let e): return epochLines(info, e, file: file)
        case .end(let a):
            record.end = FileAnalysisRecord(a)
            filesDone += 1
        case .failed(let path, let message, let kind):
            record.failed = FailureRecord(path: path, message: message, kind: kind.rawValue)
            filesDone += 1
            failedFiles += 1
        }
        // The file's last rendered epochs go before its end.
        let rest = text.isEmpty ? "" : text.blocks(file: file, final: true)
        checksum.add(rest)
        return try rest + line(record)
    }

    /// An epoch's record line (unless rendered text alone does), and the rendered text's
    /// full blocks.
    private mutating func epochLines(_ info: FileInfo, _ e: EpochResult, file: Int) -> String {
        var out = ""
        if renderer == nil || header.spectra == true {
            // Most of a shard: written by hand, as JSONEncoder would write it, at a fraction of the cost.
            var bytes = ShardEpochLine.encode(EpochRecord(e), file: file)
            bytes.append(0x0A)
            bytes.withUnsafeBytes { checksum.add($0) }
            out = String(decoding: bytes, as: UTF8.self)
        }
        guard let renderer else { return out }
        text.append(renderer.epoch(info, e, firstInFile: firstEpochInFile))
        firstEpochInFile = false
        let blocks = text.blocks(file: file, final: false)
        checksum.add(blocks)
        return out + blocks
    }

    /// The completion line; call it only when every file was reported.
    public func trailerLine() throws -> String {
        let trailer = ShardTrailer(shard: header.shard, shards: header.shards, files: filesDone, checksum: checksum.digest)
        return String(decoding: try encoder.encode(ShardLine(complete: trailer)), as: UTF8.self) + "\n"
    }

    /// Whether every file of the shard was reported (a stop leaves some out).
    public var isComplete: Bool { filesDone == header.assigned.count }

    private mutating func line(_ record: ShardLine) throws -> String {
        let text = String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
        checksum.add(text)
        return text
    }
}
