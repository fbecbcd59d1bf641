import Foundation

/// The epoch line of a shard file, written and read by hand: the bulk of a shard (one line
/// per epoch) and, through JSONEncoder/JSONDecoder, most of the cost of `eeg analyze
/// --format shard` and `eeg merge`.
///
/// The bytes are exactly those JSONEncoder writes for ``ShardLine`` with sorted keys
/// (`{"epoch":{…},"file":N}`), so shard files stay one format whoever wrote them: numbers
/// in Swift's shortest round-trip form without a trailing `.0` (`-0` kept), NaN and ±∞
/// as the strings "nan", "inf", "-inf", nil values left out, strings escaped as
/// JSONEncoder escapes them. Reading is strict: the keys in that order, no white space,
/// only the JSON grammar's numbers (a number too large for a Double is refused), valid
/// UTF-8; any other byte is a ``ShardLineError`` naming the column. A line is bounded by
/// ``ShardFileLines/maxLineBytes``, so nothing read allocates beyond the line's size.
enum ShardEpochLine {
    /// The line (without its line feed) for epoch `record` of the file at place `file`.
    static func encode(_ record: EpochRecord, file: Int) -> [UInt8] {
        var out = ShardLineWriter()
        out.reserve(256 + 24 * (record.spectrum.count + record.channels.count * 24))
        out.raw("{\"epoch\":{\"annotations\":[")
        for (i, a) in record.annotations.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{")
            if let duration = a.duration {
                out.raw("\"duration\":")
                out.number(duration)
                out.raw(",")
            }
            out.raw("\"onset\":")
            out.number(a.onset)
            out.raw(",\"text\":")
            out.string(a.text)
            out.raw("}")
        }
        out.raw("]")
        out.optional("asymmetry", record.asymmetry)
        out.optional("attentionScore", record.attentionScore)
        out.raw(",\"channels\":[")
        for (i, c) in record.channels.enumerated() {
            if i > 0 { out.raw(",") }
            encode(c, into: &out)
        }
        out.raw("]")
        out.optional("engagement", record.engagement)
        out.raw(",\"index\":")
        out.integer(record.index)
        out.raw(",\"reasons\":[")
        for (i, reason) in record.reasons.enumerated() {
            if i > 0 { out.raw(",") }
            out.string(reason)
        }
        out.raw("]")
        out.optional("relaxation", record.relaxation)
        out.optional("relaxationScore", record.relaxationScore)
        out.raw(",\"spectrum\":")
        out.numbers(record.spectrum)
        out.raw(",\"start\":")
        out.number(record.start)
        out.optional("thetaBeta", record.thetaBeta)
        out.optional("workload", record.workload)
        out.optional("workloadScore", record.workloadScore)
        out.raw("},\"file\":")
        out.integer(file)
        out.raw("}")
        return out.bytes
    }

    private static func encode(_ c: ChannelRecord, into out: inout ShardLineWriter) {
        out.raw("{\"absolute\":")
        out.numbers(c.absolute)
        out.raw(",\"label\":")
        out.string(c.label)
        let q = c.quality
        out.raw(",\"quality\":{\"artifactFraction\":")
        out.number(q.artifactFraction)
        out.raw(",\"hasArtifacts\":")
        out.raw(q.hasArtifacts ? "true" : "false")
        out.raw(",\"hasLineNoise\":")
        out.raw(q.hasLineNoise ? "true" : "false")
        out.raw(",\"isFlat\":")
        out.raw(q.isFlat ? "true" : "false")
        out.raw(",\"isRailed\":")
        out.raw(q.isRailed ? "true" : "false")
        out.optional("lineNoiseRatio", q.lineNoiseRatio)
        out.raw(",\"peakToPeak\":")
        out.number(q.peakToPeak)
        out.raw(",\"railedFraction\":")
        out.number(q.railedFraction)
        out.raw(",\"rms\":")
        out.number(q.rms)
        out.raw("},\"relative\":")
        out.numbers(c.relative)
        out.raw("}")
    }

    /// The file's place and the epoch of a line `encode` wrote (or JSONEncoder).
    static func decode(_ line: UnsafeBufferPointer<UInt8>) throws(ShardLineError) -> (file: Int, epoch: EpochRecord) {
        var r = ShardLineReader(line)
        try r.expect("{\"epoch\":{\"annotations\":")
        let annotations = try r.array { (r: inout ShardLineReader) throws(ShardLineError) in try annotation(&r) }
        let asymmetry = try r.optionalNumber(",\"asymmetry\":")
        let attentionScore = try r.optionalNumber(",\"attentionScore\":")
        try r.expect(",\"channels\":")
        let channels = try r.array { (r: inout ShardLineReader) throws(ShardLineError) in try channel(&r) }
        let engagement = try r.optionalNumber(",\"engagement\":")
        try r.expect(",\"index\":")
        let index = try r.integer()
        try r.expect(",\"reasons\":")
        let reasons = try r.array { (r: inout ShardLineReader) throws(ShardLineError) in try r.string() }
        let relaxation = try r.optionalNumber(",\"relaxation\":")
        let relaxationScore = try r.optionalNumber(",\"relaxationScore\":")
        try r.expect(",\"spectrum\":")
        let spectrum = try r.numbers()
        try r.expect(",\"start\":")
        let start = try r.number()
        let thetaBeta = try r.optionalNumber(",\"thetaBeta\":")
        let workload = try r.optionalNumber(",\"workload\":")
        let workloadScore = try r.optionalNumber(",\"workloadScore\":")
        try r.expect("},\"file\":")
        let file = try r.integer()
        try r.expect("}")
        try r.expectEnd()
        let epoch = EpochRecord(index: index, start: start, channels: channels, engagement: engagement, thetaBeta: thetaBeta,
                                relaxation: relaxation, workload: workload, asymmetry: asymmetry, attentionScore: attentionScore,
                                relaxationScore: relaxationScore, workloadScore: workloadScore, annotations: annotations,
                                reasons: reasons, spectrum: spectrum)
        return (file, epoch)
    }

    private static func annotation(_ r: inout ShardLineReader) throws(ShardLineError) -> AnnotationRecord {
        try r.expect("{")
        var duration: Double?
        if r.skip("\"duration\":") {
            duration = try r.number()
            try r.expect(",")
        }
        try r.expect("\"onset\":")
        let onset = try r.number()
        try r.expect(",\"text\":")
        let text = try r.string()
        try r.expect("}")
        return AnnotationRecord(onset: onset, duration: duration, text: text)
    }

    private static func channel(_ r: inout ShardLineReader) throws(ShardLineError) -> ChannelRecord {
        try r.expect("{\"absolute\":")
        let absolute = try r.numbers()
        try r.expect(",\"label\":")
        let label = try r.string()
        try r.expect(",\"quality\":{\"artifactFraction\":")
        let artifactFraction = try r.number()
        try r.expect(",\"hasArtifacts\":")
        let hasArtifacts = try r.boolean()
        try r.expect(",\"hasLineNoise\":")
        let hasLineNoise = try r.boolean()
        try r.expect(",\"isFlat\":")
        let isFlat = try r.boolean()
        try r.expect(",\"isRailed\":")
        let isRailed = try r.boolean()
        let lineNoiseRatio = try r.optionalNumber(",\"lineNoiseRatio\":")
        try r.expect(",\"peakToPeak\":")
        let peakToPeak = try r.number()
        try r.expect(",\"railedFraction\":")
        let railedFraction = try r.number()
        try r.expect(",\"rms\":")
        let rms = try r.number()
        try r.expect("},\"relative\":")
        let relative = try r.numbers()
        try r.expect("}")
        let quality = QualityRecord(peakToPeak: peakToPeak, rms: rms, railedFraction: railedFraction, lineNoiseRatio: lineNoiseRatio,
                                    artifactFraction: artifactFraction, isFlat: isFlat, isRailed: isRailed, hasLineNoise: hasLineNoise,
                                    hasArtifacts: hasArtifacts)
        return ChannelRecord(label: label, absolute: absolute, relative: relative, quality: quality)
    }
}
