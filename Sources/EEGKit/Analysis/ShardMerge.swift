import Foundation

/// `eeg merge`: shard files (``ShardWriter``) read back as the batch events one
/// `eeg analyze` over the whole list would have reported, in the list's order — so the
/// same renderers write the same bytes. A rendered shard's epochs come back as the text
/// those renderers wrote for them in the shard (``Piece/text``), to be copied.
///
/// Opening checks every shard before anything is written: each must be complete (its
/// completion line present, its checksum right) and all must come from the same plan and
/// settings, with every shard of the plan present; otherwise a ``ShardError`` names the
/// shard and what to do. ``replay(format:keepEpochs:emit:)`` then reads each file's lines
/// from its shard: memory holds one file's epochs when a report wants them, otherwise one
/// line or one text block (``ShardTextBlock/maxBytes``).
public struct ShardMerge: Sendable {
    /// A shard file that was checked complete: its header and where each file starts.
    struct CheckedShard: Sendable {
        let path: String
        let header: ShardHeader
        let trailer: ShardTrailer
        /// Byte offset and line number of each assigned file's first line.
        let starts: [(offset: Int64, line: Int)]
    }

    let shards: [CheckedShard]
    /// For each file of the whole list: its shard (index into `shards`) and offset.
    private let owners: [(shard: Int, start: (offset: Int64, line: Int))]

    /// Files in the whole list.
    public var fileCount: Int { owners.count }
    /// Shards in the plan.
    public var shardCount: Int { shards.first?.header.shards ?? 0 }

    /// Reads and checks `paths` (at least one).
    public init(paths: [String]) throws(ShardError) {
        // Each shard read through and checked on its own core; the first failure in the
        // order given is the one reported, as when they were checked one by one.
        // Unchecked: each iteration writes its own element, read only after all have ended.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result<CheckedShard, ShardError>?>.allocate(capacity: paths.count)
        results.initialize(repeating: nil)
        // Deinitialized before it is freed: the checked shards it holds are released, also
        // when a failure is thrown (AddressSanitizer's leak check found them lost).
        defer {
            results.deinitialize()
            results.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            results[i] = Result { () throws(ShardError) in try Self.check(paths[i]) }
        }
        var checked: [CheckedShard] = []
        for result in results { if let result { checked.append(try result.get()) } }
        shards = try Self.distinct(checked)
        owners = try Self.owners(shards)
    }

    /// What the merge hands on, in the list's order: a batch event to render, or epochs
    /// a rendered shard holds already rendered in the output's format, to write as they are.
    public enum Piece: Sendable {
        case event(BatchAnalysis.Event)
        case text(String)
    }

    /// Hands every file's events to `emit` in the list's order, for output in `format`.
    /// `keepEpochs`: a file's end carries its epochs, as a run with `--report` keeps them
    /// (a file with more than a report keeps fails as it fails there). A rendered shard
    /// (``ShardHeader/render``) hands its epochs over as text, and must be in `format`.
    ///
    /// The lines are read on a thread of their own while `emit` runs on the caller's, a
    /// bounded number of pieces apart; `emit` sees every piece before the failure that
    /// ends the reading, as it would reading in one thread.
    public func replay(format: AnalysisFormat, keepEpochs: Bool, emit: (Piece) -> Void) throws(ShardError) {
        try checkMerges(into: format, keepEpochs: keepEpochs)
        // 1024 pieces keep both threads busy; 8 MiB bounds the text blocks of rendered
        // shards (up to 256 KiB each), which 1024 of would make 256 MiB.
        let pipe = ShardEventPipe<Piece>(capacity: 1024, byteBudget: 8 << 20) { piece in
            if case .text(let text) = piece { return text.utf8.count }
            return 0
        }
        let reader = Thread { [self] in
            do throws(ShardError) {
                for (index, owner) in owners.enumerated() { try readFile(index, owner, keepEpochs: keepEpochs, emit: pipe.put) }
                pipe.end(nil)
            } catch {
                pipe.end(error)
            }
        }
        reader.start()
        while let pieces = pipe.take() { pieces.forEach(emit) }
        if let failure = pipe.readFailure { throw failure }
    }

    /// The format the shards' epochs are rendered in (``ShardHeader/render``): the first
    /// rendered shard's, nil when every shard holds records (any format merges them) or
    /// the first rendered one names no format EEGKit writes. A merge without `--format`
    /// writes it; ``checkMerges(into:keepEpochs:)`` then refuses, by name, any rendered
    /// shard in another format.
    public var renderedFormat: AnalysisFormat? {
        shards.lazy.compactMap(\.header.render).first.flatMap(AnalysisFormat.init(rawValue:))
    }

    /// Whether the shards hold what a merge into `format` needs (`keepEpochs`: with a
    /// report): the epochs' spectra for a report, and rendered text only in `format`.
    /// ``replay(format:keepEpochs:emit:)`` checks it too; call it first to refuse before
    /// any output is opened.
    public func checkMerges(into format: AnalysisFormat, keepEpochs: Bool) throws(ShardError) {
        if keepEpochs, let bare = shards.first(where: { $0.header.spectra == false }) {
            throw ShardError(path: bare.path, .mismatch("shard \(bare.header.name) was written without the epochs' spectra the report draws: run the shards with --for-report ('eeg slurm --report' does), then merge with --report"))
        }
        if let other = shards.first(where: { $0.header.render != nil && $0.header.render != format.rawValue }), let render = other.header.render {
            throw ShardError(path: other.path, .mismatch("shard \(other.header.name) holds its epochs rendered as \(render) (--render \(render)): merge it with --format \(render), or run the shards again with --render \(format.rawValue) (or without --render, for any format)"))
        }
    }

    /// Reads file `index` of the list from its shard: its begin, epochs (records, or
    /// rendered text), and its end or failure.
    private func readFile(_ index: Int, _ owner: (shard: Int, start: (offset: Int64, line: Int)), keepEpochs: Bool, emit: (Piece) -> Void) throws(ShardError) {
        let shard = shards[owner.shard]
        let rendered = shard.header.render != nil
        var lines = try ShardFileLines(path: shard.path, from: owner.start.offset, lineNumber: owner.start.line)
        defer { lines.close() }
        var info: FileInfo?
        var epochs: [EpochResult] = []
        while true {
            let at = lines.offset, number = lines.lineNumber
            guard let line = try lines.next() else { throw ShardError(path: shard.path, .malformed("it ends inside file \(index + 1) of the list")) }
            let kind = ShardLineKind(line.bytes)
            if rendered, kind == .text, info != nil {
                emit(.text(try Self.text(of: line.bytes, file: index, from: &lines, path: shard.path, line: number, at: at)))
                continue
            }
            // A rendered shard's epoch records are there for the report only.
            if rendered, kind == .epoch, !keepEpochs { continue }
            let record = try Self.record(line.bytes, path: shard.path, line: number, at: at)
            guard record.file == index else { throw ShardError(path: shard.path, .malformed("line \(number) (byte \(at)) belongs to another file")) }
            do throws(ShardError.Problem) {
                if let begin = record.begin {
                    let begun = try begin.value()
                    if keepEpochs, begun.epochCount > FileAnalyzer.maxKeptEpochs {
                        let error = EpochPlan.tooManyForReport(path: begun.path, epochCount: begun.epochCount, epochSeconds: shard.header.epochSeconds)
                        emit(.event(.failed(path: begun.path, message: "\(error)", kind: FailureKind(of: error))))
                        return
                    }
                    info = begun
                    emit(.event(.begin(begun)))
                } else if let epoch = record.epoch, let info {
                    let e = try epoch.value(of: info)
                    if keepEpochs { epochs.append(e) }
                    if !rendered { emit(.event(.epoch(info, e))) }
                } else if let end = record.end {
                    return emit(.event(.end(try end.value(epochs: epochs))))
                } else if let failed = record.failed {
                    return emit(.event(.failed(path: failed.path, message: failed.message, kind: FailureKind(rawValue: failed.kind) ?? .software)))
                } else {
                    throw .malformed("line \(number) (byte \(at)) is out of place")
                }
            } catch {
                throw ShardError(path: shard.path, error)
            }
        }
    }

    /// The rendered text of a block whose announcing line is `bytes` (line `line`, at byte
    /// `offset`), read from `lines`: of file `file`, whole, valid UTF-8.
    static func text(of bytes: ArraySlice<UInt8>, file: Int, from lines: inout ShardFileLines, path: String, line: Int, at offset: Int64) throws(ShardError) -> String {
        guard let block = ShardTextBlock.parse(bytes), block.file == file else {
            throw ShardError(path: path, .malformed("line \(line) (byte \(offset)) is not a text block of file \(file + 1) of the list"))
        }
        guard let text = try lines.block(block.count) else { throw ShardError(path: path, .malformed("it ends inside file \(file + 1) of the list")) }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw ShardError(path: path, .malformed("the text block of line \(line) (byte \(offset)) is not valid UTF-8"))
        }
        return string
    }

    /// One line of shard file `path` read back: an epoch line by ``ShardEpochLine``, the
    /// few others by JSONDecoder.
    static func record(_ bytes: ArraySlice<UInt8>, path: String, line: Int, at offset: Int64) throws(ShardError) -> ShardLine {
        guard case .epoch = ShardLineKind(bytes) else {
            do { return try ShardLine.decoder().decode(ShardLine.self, from: Data(bytes)) } catch {
                throw ShardError(path: path, .malformed("line \(line) (byte \(offset)) is not a shard record"))
            }
        }
        let decoded: Result<(file: Int, epoch: EpochRecord), ShardLineError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(ShardLineError) in try ShardEpochLine.decode(buffer) }
        }
        switch decoded {
        case .success(let epoch): return ShardLine(file: epoch.file, epoch: epoch.epoch)
        case .failure(let error): throw ShardError(path: path, .malformed("line \(line) (byte \(offset)) is not an epoch record: \(error)"))
        }
    }
}

extension ShardMerge {
    /// The header of the shard file at `path` when it is complete (checked as the merge
    /// checks it): what `--skip-done` compares with the shard it would write.
    public static func completeHeader(path: String) throws(ShardError) -> ShardHeader { try check(path).header }

    /// Reads `path` through: header first, completion line last, checksum right, every
    /// assigned file reported.
    static func check(_ path: String) throws(ShardError) -> CheckedShard {
        var lines = try ShardFileLines(path: path)
        defer { lines.close() }
        var sum = ShardChecksum()
        let header = try readHeader(&lines, path: path, into: &sum)
        var starts: [(offset: Int64, line: Int)] = []
        var inFile = false
        var trailer: ShardTrailer?
        reading: while true {
            let at = lines.offset, number = lines.lineNumber
            guard let line = try lines.next() else { break }
            guard trailer == nil else { throw ShardError(path: path, .malformed("there is more after its completion line")) }
            guard line.terminated else { break }  // a last line cut mid-way: no completion line
            let kind = ShardLineKind(line.bytes)
            switch kind {
            case .complete:
                trailer = try? ShardLine.decoder().decode(ShardLine.self, from: Data(line.bytes)).complete
                if trailer == nil { throw ShardError(path: path, .malformed("its completion line cannot be read")) }
                continue
            case .other: throw ShardError(path: path, .malformed("line \(number) (byte \(at)) is not a shard record"))
            case .begin, .epoch, .text, .terminal:
                if !inFile { starts.append((at, number)) }
                inFile = kind != .terminal
            }
            line.bytes.withUnsafeBytes { sum.add($0) }
            sum.add("\n")
            guard kind == .text else { continue }
            guard header.render != nil, let block = ShardTextBlock.parse(line.bytes) else {
                throw ShardError(path: path, .malformed("line \(number) (byte \(at)) is not a shard record"))
            }
            guard let text = try lines.block(block.count) else { break reading }  // cut inside the block
            text.withUnsafeBytes { sum.add($0) }
            sum.add("\n")
        }
        return try checked(path, header, trailer, starts: starts, done: starts.count - (inFile ? 1 : 0), sum: sum)
    }

    /// The shard read through by ``check(_:)``, when its completion line is there and agrees
    /// with what it holds.
    private static func checked(_ path: String, _ header: ShardHeader, _ trailer: ShardTrailer?, starts: [(offset: Int64, line: Int)], done: Int, sum: ShardChecksum) throws(ShardError) -> CheckedShard {
        guard let trailer else {
            let left = header.assigned[min(done, header.assigned.count)...].map(\.path)
            throw ShardError(path: path, .incomplete("shard \(header.name) was cut short: \(done) of its \(header.assigned.count) files were written and the completion line is missing (a task stopped, a node lost); not yet written: "
                + left.prefix(3).joined(separator: ", ") + (left.count > 3 ? ", …" : "") + " — run the shard again, then merge"))
        }
        guard trailer.shard == header.shard, trailer.shards == header.shards, trailer.files == done, done == header.assigned.count else {
            throw ShardError(path: path, .malformed("its completion line counts \(trailer.files) files of shard \(trailer.shard)/\(trailer.shards); the file holds \(done) of shard \(header.name)"))
        }
        guard trailer.checksum == sum.digest else {
            throw ShardError(path: path, .malformed("its checksum does not match its contents (\(sum.digest), the completion line says \(trailer.checksum)): it was changed or damaged after it was written"))
        }
        return CheckedShard(path: path, header: header, trailer: trailer, starts: starts)
    }

    /// The header (its bytes added to `sum`), checked for a plausible shard.
    private static func readHeader(_ lines: inout ShardFileLines, path: String, into sum: inout ShardChecksum) throws(ShardError) -> ShardHeader {
        guard let first = try lines.next(), first.terminated,
              let header = try? ShardLine.decoder().decode(ShardLine.self, from: Data(first.bytes)).header else {
            throw ShardError(path: path, .malformed("its first line is not a shard header ('eeg analyze --format shard' writes shard files)"))
        }
        first.bytes.withUnsafeBytes { sum.add($0) }
        sum.add("\n")
        guard [ShardHeader.currentFormat, ShardHeader.renderedFormat].contains(header.format) else {
            throw ShardError(path: path, .mismatch("it is a shard file of another version ('\(header.format)'; this eeg reads '\(ShardHeader.currentFormat)' and '\(ShardHeader.renderedFormat)'): analyse it again"))
        }
        // Rendered text only in the version that says so, in a format there is.
        guard (header.format == ShardHeader.renderedFormat) == (header.render != nil),
              header.render.map({ AnalysisFormat(rawValue: $0) != nil }) ?? true else {
            throw ShardError(path: path, .malformed("its header does not describe a shard"))
        }
        let indices = header.assigned.map(\.index)
        guard header.shards >= 1, (1...header.shards).contains(header.shard), header.files >= 0,
              zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }), indices.allSatisfy({ (0..<header.files).contains($0) }) else {
            throw ShardError(path: path, .malformed("its header does not describe a shard"))
        }
        return header
    }

    /// One file per shard of the plan, all from the same plan and settings: a shard given
    /// twice is used once when both copies are the same.
    static func distinct(_ checked: [CheckedShard]) throws(ShardError) -> [CheckedShard] {
        guard let first = checked.first else { throw ShardError(path: "eeg merge", .unreadable("no shard file given")) }
        var byShard: [Int: CheckedShard] = [:]
        for s in checked {
            let h = s.header, f = first.header
            guard h.shards == f.shards, h.files == f.files, h.plan == f.plan else {
                throw ShardError(path: s.path, .mismatch("shard \(h.name) of \(h.files) files comes from another file list than \(first.path) (shard \(f.name) of \(f.files) files): merge shards of one run"))
            }
            guard h.settings == f.settings else {
                throw ShardError(path: s.path, .mismatch("shard \(h.name) was analysed with other settings than \(first.path): run every shard with the same flags"))
            }
            if let seen = byShard[h.shard] {
                guard seen.trailer.checksum == s.trailer.checksum else {
                    throw ShardError(path: s.path, .mismatch("shard \(h.name) is given twice with different contents (also \(seen.path)): keep one"))
                }
                continue
            }
            byShard[h.shard] = s
        }
        let missing = (1...first.header.shards).filter { byShard[$0] == nil }
        guard missing.isEmpty else { throw ShardError(path: "", .missingShards(missing, of: first.header.shards)) }
        return (1...first.header.shards).compactMap { byShard[$0] }
    }

    /// Which shard holds each file of the list, and where: each file exactly once.
    static func owners(_ shards: [CheckedShard]) throws(ShardError) -> [(shard: Int, start: (offset: Int64, line: Int))] {
        guard let files = shards.first?.header.files else { return [] }
        var owners: [(shard: Int, start: (offset: Int64, line: Int))?] = Array(repeating: nil, count: files)
        for (s, shard) in shards.enumerated() {
            for (k, file) in shard.header.assigned.enumerated() {
                guard owners[file.index] == nil else {
                    throw ShardError(path: shard.path, .mismatch("file \(file.index + 1) of the list (\(file.path)) is also in another shard: the shards did not make the same plan"))
                }
                owners[file.index] = (s, shard.starts[k])
            }
        }
        if let gap = owners.firstIndex(where: { $0 == nil }) {
            throw ShardError(path: shards[0].path, .mismatch("file \(gap + 1) of the list is in no shard: the shards did not make the same plan"))
        }
        return owners.compactMap { $0 }
    }
}

/// What a shard line is, from its first key (the encoder sorts keys, and "file" sorts
/// after every record's name, so only a text block's line starts with it), without
/// decoding it.
enum ShardLineKind {
    case begin, epoch, text, terminal, complete, other

    init(_ bytes: ArraySlice<UInt8>) {
        func starts(_ prefix: String) -> Bool { bytes.starts(with: prefix.utf8) }
        if starts("{\"begin\":") { self = .begin } else if starts("{\"epoch\":") { self = .epoch } else if starts("{\"file\":") { self = .text } else if starts("{\"end\":") || starts("{\"failed\":") { self = .terminal } else if starts("{\"complete\":") { self = .complete } else { self = .other }
    }
}
