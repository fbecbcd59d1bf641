@testable import EEGKit
import Foundation
import Testing
import TestSupport

/// Rendered shards (`eeg analyze --format shard --render FORMAT`, "eegkit-shard 2"): the
/// epochs are written as the text the output format holds, and `eeg merge` copies it. The
/// merge must still write exactly what one `eeg analyze` writes, and refuse a rendered
/// shard it cannot copy faithfully.
@Suite("eeg merge of rendered shards: copied text, one run's bytes", .serialized)
struct RenderedShardTests {
    @Test("every format rendered in the shards merges to one run's bytes and exit code, for 1 and 3 shards; the report from --render csv --for-report")
    func sameBytes() throws {
        for f in ShardMergeTests.formats {
            let single = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", f])
            for count in [1, 3] {
                let shards = try ShardMergeTests.shards(count, folder: "render-\(f)-\(count)", extra: ["--render", f])
                let merged = try ShardDataset.eeg(["merge", "--format", f] + shards)
                #expect(merged.status == single.status, "\(count) shards, \(f): \(merged.stderr)")
                #expect(merged.stdout == single.stdout, "\(count) shards, \(f)")
                #expect(merged.stderr.contains("eeg merge: error: cannot open missing.bdf"))
            }
        }
        let shards = try ShardMergeTests.shards(2, folder: "render-report", extra: ["--render", "csv", "--for-report"])
        let report = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--report", "render-report/single.html", "--format", "csv"])
        let merged = try ShardDataset.eeg(["merge", "--report", "render-report/merged.html", "--format", "csv"] + shards)
        #expect(merged.status == report.status)
        #expect(merged.stdout == report.stdout)
        #expect(try ShardMergeTests.normalised(ShardMergeTests.read("render-report/merged.html")) == ShardMergeTests.normalised(ShardMergeTests.read("render-report/single.html")))
    }

    @Test("a rendered shard says so in its header and holds no epoch records unless --for-report asks for them")
    func layout() throws {
        let shard = try ShardMergeTests.read(ShardMergeTests.shards(1, folder: "render-layout", extra: ["--render", "jsonl"])[0])
        let header = try #require(shard.split(separator: "\n").first)
        #expect(header.contains("\"format\":\"eegkit-shard 2\"") && header.contains("\"render\":\"jsonl\""))
        #expect(!shard.contains("\n{\"epoch\":"))
        #expect(shard.contains("\n{\"file\":0,\"text\":"))
        let plain = try ShardMergeTests.read(ShardMergeTests.shards(1, folder: "render-layout-plain")[0])
        #expect(plain.hasPrefix("{\"header\":") && plain.contains("\"format\":\"eegkit-shard 1\"") && !plain.contains("\"render\""))
    }

    @Test("blocks cut anywhere (between scalars) merge to the same bytes: the reader does not depend on the writer's cuts")
    func reblocked() throws {
        let shard = try ShardMergeTests.shards(1, folder: "render-reblock", extra: ["--render", "csv"])[0]
        let whole = try ShardMergeTests.read(shard)
        let expected = try ShardDataset.eeg(["merge", "--format", "csv", shard])
        for size in [1, 7, 1000] {
            try Self.write(Self.reblock(Array(whole.utf8), size: size), to: "render-reblock/r\(size).jsonl")
            let merged = try ShardDataset.eeg(["merge", "--format", "csv", "render-reblock/r\(size).jsonl"])
            #expect(merged.status == expected.status && merged.stdout == expected.stdout, "blocks of \(size): \(merged.stderr)")
        }
    }

    @Test("a rendered shard merged into another format, --render without --format shard, and hostile blocks under a correct checksum are refused by name")
    func refusals() throws {
        let shards = try ShardMergeTests.shards(2, folder: "render-refusals", extra: ["--render", "csv"])
        let other = try ShardDataset.eeg(["merge", "--format", "json", "--out", "render-refusals/out.json"] + shards)
        #expect(other.status == 65)
        #expect(other.stderr == "eeg merge: error: render-refusals/shard-1.jsonl: shard 1/2 holds its epochs rendered as csv (--render csv): merge it with --format csv, or run the shards again with --render json (or without --render, for any format)\n")
        #expect(other.stdout.isEmpty && !FileManager.default.fileExists(atPath: ShardDataset.made.folder + "/render-refusals/out.json"))
        let misplaced = try ShardDataset.eeg(["analyze", "x.bdf", "--render", "csv"])
        #expect(misplaced.status == 64)
        #expect(misplaced.stderr.contains("--render writes a shard file's epochs as 'eeg merge' will write them: it goes with --format shard"))

        let bytes = Array(try ShardMergeTests.read(shards[0]).utf8)
        let announce = try #require(Self.firstBlock(bytes))
        // A byte that is no UTF-8 inside the text.
        var invalid = bytes
        invalid[announce.text.lowerBound + 3] = 0xFF
        try Self.write(Self.resummed(invalid), to: "render-refusals/invalid.jsonl")
        let notText = try ShardDataset.eeg(["merge", "--format", "csv", "render-refusals/invalid.jsonl", shards[1]])
        #expect(notText.status == 65)
        #expect(notText.stderr.hasSuffix("eeg merge: error: render-refusals/invalid.jsonl: not a complete shard file: the text block of line \(announce.line) (byte \(announce.offset)) is not valid UTF-8\n"), "\(notText.stderr)")
        // A block announced one byte longer than it is.
        let count = announce.text.count
        let longerLine = Array("{\"file\":\(announce.file),\"text\":\(count + 1)}".utf8)
        let longer = Array(bytes[..<announce.offset]) + longerLine + Array(bytes[(announce.text.lowerBound - 1)...])
        try Self.write(Self.resummed(longer), to: "render-refusals/longer.jsonl")
        let cut = try ShardDataset.eeg(["merge", "--format", "csv", "render-refusals/longer.jsonl", shards[1]])
        #expect(cut.status == 65)
        #expect(cut.stderr == "eeg merge: error: render-refusals/longer.jsonl: not a complete shard file: the text block at byte \(announce.offset + longerLine.count + 1) is not followed by a line feed after its \(count + 1) bytes\n")
        // Text blocks in a shard whose header says its epochs are records.
        let header = String(decoding: bytes[..<(bytes.firstIndex(of: 0x0A) ?? 0)], as: UTF8.self)
        let recordsHeader = header.replacingOccurrences(of: "eegkit-shard 2", with: "eegkit-shard 1").replacingOccurrences(of: ",\"render\":\"csv\"", with: "")
        #expect(recordsHeader != header && !recordsHeader.contains("render"))
        let relabelled = Array(recordsHeader.utf8) + bytes[header.utf8.count...]
        try Self.write(Self.resummed(relabelled), to: "render-refusals/relabelled.jsonl")
        let mixed = try ShardDataset.eeg(["merge", "--format", "csv", "render-refusals/relabelled.jsonl", shards[1]])
        #expect(mixed.status == 65)
        #expect(mixed.stderr == "eeg merge: error: render-refusals/relabelled.jsonl: not a complete shard file: line \(announce.line) (byte \(announce.offset - header.utf8.count + recordsHeader.utf8.count)) is not a shard record\n")
    }

    @Test("without --format a merge writes the rendered shards' own format (with record shards beside them too); rendered formats that differ are refused naming the shard; --format as before")
    func defaultFormat() throws {
        let csv = try ShardMergeTests.shards(2, folder: "render-default-csv", extra: ["--render", "csv"])
        let json = try ShardMergeTests.shards(2, folder: "render-default-json", extra: ["--render", "json"])
        let records = try ShardMergeTests.shards(2, folder: "render-default-records")
        let single = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", "csv"])
        let merged = try ShardDataset.eeg(["merge"] + csv)
        #expect(merged.status == single.status, "\(merged.stderr)")
        #expect(merged.stdout == single.stdout && merged.stdout.hasPrefix("file,"), "\(merged.stdout.prefix(200))")
        // A record shard merges into any format: the rendered one decides.
        let withRecords = try ShardDataset.eeg(["merge", records[0], csv[1]])
        #expect(withRecords.status == single.status && withRecords.stdout == single.stdout, "\(withRecords.stderr)")
        let singleJSON = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", "json"])
        let mergedJSON = try ShardDataset.eeg(["merge", "--out", "render-default-json/out.json"] + json)
        #expect(mergedJSON.status == singleJSON.status)
        #expect(try ShardMergeTests.read("render-default-json/out.json") == singleJSON.stdout)
        // Rendered in two formats: the first rendered shard's format, and the other shard named.
        let mixed = try ShardDataset.eeg(["merge", "--out", "render-default-csv/mixed.csv", csv[0], json[1]])
        #expect(mixed.status == 65)
        #expect(mixed.stderr == "eeg merge: error: render-default-json/shard-2.jsonl: shard 2/2 holds its epochs rendered as json (--render json): merge it with --format json, or run the shards again with --render csv (or without --render, for any format)\n")
        #expect(!FileManager.default.fileExists(atPath: ShardDataset.made.folder + "/render-default-csv/mixed.csv"))
        // Record shards only: the default is as before (jsonl when not on a terminal).
        let plain = try ShardDataset.eeg(["merge"] + records)
        let singleJSONL = try ShardDataset.eeg(["analyze", "--files-from", "files.txt", "--format", "jsonl"])
        #expect(plain.stdout == singleJSONL.stdout)
    }

    @Test("the text buffer hands out blocks of at most its size, cut between scalars, that join to the text; announcing lines are read strictly")
    func blocks() {
        var buffer = ShardTextBuffer(blockBytes: 5)
        let text = "ab€cdé😀g\nh"
        var out = ""
        for piece in ["ab€", "cdé", "😀", "g\nh"] {
            buffer.append(piece)
            out += buffer.blocks(file: 2, final: false)
        }
        out += buffer.blocks(file: 2, final: true)
        #expect(buffer.isEmpty)
        // Read back: announcing line, exactly the bytes, a line feed.
        var rest = Array(out.utf8)[...], joined: [UInt8] = [], sizes: [Int] = []
        while let feed = rest.firstIndex(of: 0x0A), let block = ShardTextBlock.parse(rest[..<feed]) {
            #expect(block.file == 2)
            let bytes = rest[(feed + 1)..<(feed + 1 + block.count)]
            #expect(String(validating: bytes, as: UTF8.self) != nil)
            #expect(rest[feed + 1 + block.count] == 0x0A)
            joined += bytes
            sizes.append(block.count)
            rest = rest[(feed + 2 + block.count)...]
        }
        #expect(rest.isEmpty)
        #expect(joined == Array(text.utf8))
        // "ab€" is 5 bytes; "cdé😀" 8, cut before the emoji's 4 (not inside it); "😀g" 5; "\nh" at the end.
        #expect(sizes == [5, 4, 5, 2])
        for bad in ["{\"file\":01,\"text\":3}", "{\"file\":1,\"text\":3} ", "{\"file\": 1,\"text\":3}", "{\"file\":1,\"text\":-3}",
                    "{\"file\":1,\"text\":\(ShardTextBlock.maxBytes + 1)}", "{\"file\":1234567890123456,\"text\":3}", "{\"text\":3,\"file\":1}", ""] {
            #expect(ShardTextBlock.parse(Array(bad.utf8)[...]) == nil, "\(bad)")
        }
        #expect(ShardTextBlock.parse(Array("{\"file\":0,\"text\":0}".utf8)[...]).map { [$0.file, $0.count] } == [0, 0])
    }

    // MARK: Shard surgery

    /// Where a shard's first text block is: its announcing line's number and offset, the
    /// file it belongs to, and the range of its text.
    static func firstBlock(_ bytes: [UInt8]) -> (line: Int, offset: Int, file: Int, text: Range<Int>)? {
        var at = 0, line = 1
        while at < bytes.count, let feed = bytes[at...].firstIndex(of: 0x0A) {
            if let block = ShardTextBlock.parse(bytes[at..<feed]) { return (line, at, block.file, (feed + 1)..<(feed + 1 + block.count)) }
            at = feed + 1
            line += 1
        }
        return nil
    }

    /// The shard with every file's text cut again into blocks of `size` bytes (backed off
    /// to a scalar's start), and its checksum made right.
    static func reblock(_ bytes: [UInt8], size: Int) -> [UInt8] {
        var out: [UInt8] = [], pending: [UInt8] = [], file = 0, at = 0
        func flush() {
            while !pending.isEmpty {
                var cut = min(size, pending.count)
                while cut < pending.count, pending[cut] & 0xC0 == 0x80 { cut += 1 }  // forward: a size below a scalar's
                out += Array(ShardTextBlock.line(file: file, count: cut).utf8) + pending[..<cut] + [0x0A]
                pending.removeFirst(cut)
            }
        }
        while at < bytes.count, let feed = bytes[at...].firstIndex(of: 0x0A) {
            if let block = ShardTextBlock.parse(bytes[at..<feed]) {
                file = block.file
                pending += bytes[(feed + 1)..<(feed + 1 + block.count)]
                at = feed + 2 + block.count
                continue
            }
            flush()
            out += bytes[at...feed]
            at = feed + 1
        }
        return resummed(out)
    }

    /// `bytes` with its completion line's checksum made right for what comes before it.
    static func resummed(_ bytes: [UInt8]) -> [UInt8] {
        let body = bytes.dropLast()
        let last = (body.lastIndex(of: 0x0A) ?? -1) + 1
        var sum = ShardChecksum()
        bytes[..<last].withUnsafeBytes { sum.add($0) }
        let trailer = String(decoding: bytes[last...], as: UTF8.self).replacingOccurrences(of: #"fnv1a64:[0-9a-f]{16}"#, with: sum.digest, options: .regularExpression)
        return Array(bytes[..<last]) + Array(trailer.utf8)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: ShardDataset.made.folder + "/" + path))
    }
}
