import Foundation

// Records from the analysis values a run computes, and back. Reading back checks that the
// parts agree (channel and band counts, spectrum lengths) so a damaged or hand-edited
// shard is refused with a message, never indexed out of range by a renderer.

extension LayoutRecord {
    init(_ layout: StreamLayout) {
        self.init(labels: layout.labels, unit: layout.unit, sampleRate: layout.sampleRate, fullScale: layout.fullScale, source: layout.source)
    }

    var value: StreamLayout { StreamLayout(labels: labels, sampleRate: sampleRate, fullScale: fullScale, source: source, unit: unit) }
}

extension BandRecord {
    static func records(_ bands: BandSet) -> [BandRecord] { bands.bands.map { BandRecord(name: $0.name, low: $0.low, high: $0.high) } }

    static func bandSet(_ records: [BandRecord]) throws(ShardError.Problem) -> BandSet {
        do {
            return try BandSet(records.map { FrequencyBand($0.name, $0.low, $0.high) })
        } catch {
            throw .malformed("its bands are not a band set: \(error)")
        }
    }
}

extension AnnotationRecord {
    init(_ a: Annotation) { self.init(onset: a.onset, duration: a.duration, text: a.text) }
    var value: Annotation { Annotation(onset: onset, duration: duration, text: text) }
}

extension FileInfoRecord {
    init(_ info: FileInfo) {
        self.init(path: info.path, layout: LayoutRecord(info.layout), duration: info.duration, bands: BandRecord.records(info.bands), epochCount: info.epochCount)
    }

    func value() throws(ShardError.Problem) -> FileInfo {
        FileInfo(path: path, layout: layout.value, duration: duration, bands: try BandRecord.bandSet(bands), epochCount: epochCount)
    }
}

extension QualityRecord {
    init(_ q: SignalQuality) {
        self.init(peakToPeak: q.peakToPeak, rms: q.rms, railedFraction: q.railedFraction, lineNoiseRatio: q.lineNoiseRatio,
                  artifactFraction: q.artifactFraction, isFlat: q.isFlat, isRailed: q.isRailed, hasLineNoise: q.hasLineNoise, hasArtifacts: q.hasArtifacts)
    }

    var value: SignalQuality {
        var q = SignalQuality()
        q.peakToPeak = peakToPeak
        q.rms = rms
        q.railedFraction = railedFraction
        q.lineNoiseRatio = lineNoiseRatio
        q.artifactFraction = artifactFraction
        q.isFlat = isFlat
        q.isRailed = isRailed
        q.hasLineNoise = hasLineNoise
        q.hasArtifacts = hasArtifacts
        return q
    }
}

extension EpochRecord {
    init(_ e: EpochResult) {
        self.init(index: e.index, start: e.start,
                  channels: e.channels.map { ChannelRecord(label: $0.label, absolute: $0.absolute, relative: $0.relative, quality: QualityRecord($0.quality)) },
                  engagement: e.ratios.engagement, thetaBeta: e.ratios.thetaBeta, relaxation: e.ratios.relaxation, workload: e.ratios.workload,
                  asymmetry: e.asymmetry, attentionScore: e.scores.attention, relaxationScore: e.scores.relaxation, workloadScore: e.scores.workload,
                  annotations: e.annotations.map(AnnotationRecord.init), reasons: e.rejectionReasons, spectrum: e.spectrum)
    }

    /// The epoch, checked against its file's channels and bands.
    func value(of info: FileInfo) throws(ShardError.Problem) -> EpochResult {
        guard channels.map(\.label) == info.labels else {
            throw .malformed("epoch \(index) has channels \(channels.map(\.label).joined(separator: ",")), its file \(info.labels.joined(separator: ","))")
        }
        let bandCount = info.bands.bands.count
        guard channels.allSatisfy({ $0.absolute.count == bandCount && $0.relative.count == bandCount }) else {
            throw .malformed("epoch \(index) does not have \(bandCount) band powers per channel")
        }
        return EpochResult(index: index, start: start,
                           channels: channels.map { ChannelEpoch(label: $0.label, absolute: $0.absolute, relative: $0.relative, quality: $0.quality.value) },
                           ratios: BandRatios(engagement: engagement, thetaBeta: thetaBeta, relaxation: relaxation, workload: workload),
                           asymmetry: asymmetry, scores: Scores(attention: attentionScore, relaxation: relaxationScore, workload: workloadScore),
                           annotations: annotations.map(\.value), rejectionReasons: reasons, spectrum: spectrum)
    }
}

extension SummaryRecord {
    init(_ s: AnalysisSummary) {
        self.init(epochs: s.epochs, goodEpochs: s.goodEpochs, means: s.means.map { NamedValue(key: $0.0, value: $0.1) },
                  medians: s.medians.map { NamedValue(key: $0.0, value: $0.1) },
                  bandPowers: s.bandPowers.map { ChannelPowers(label: $0.label, values: $0.values) }, attentionPerMinute: s.attentionPerMinute)
    }

    var value: AnalysisSummary {
        AnalysisSummary(epochs: epochs, goodEpochs: goodEpochs, means: means.map { ($0.key, $0.value) }, medians: medians.map { ($0.key, $0.value) },
                        bandPowers: bandPowers.map { (label: $0.label, values: $0.values) }, attentionPerMinute: attentionPerMinute)
    }
}

extension FileAnalysisRecord {
    init(_ a: FileAnalysis) {
        self.init(path: a.path, sampleRate: a.sampleRate, duration: a.duration, labels: a.labels, bands: BandRecord.records(a.bands),
                  summary: SummaryRecord(a.summary), calibration: a.calibration, annotations: a.annotations.map(AnnotationRecord.init),
                  omittedAnnotations: a.omittedAnnotations,
                  gaps: a.gaps.map { GapRecord(record: $0.record, from: $0.from, to: $0.to, frames: $0.missing.frames, beforeSampleIndex: $0.missing.beforeSampleIndex) },
                  spectrumFrequencies: a.spectrumFrequencies, channelSpectra: a.channelSpectra)
    }

    /// The analysis with `epochs` (those the merge kept for a report), checked for
    /// agreeing counts.
    func value(epochs: [EpochResult]) throws(ShardError.Problem) -> FileAnalysis {
        let bands = try BandRecord.bandSet(bands)
        guard channelSpectra.count == labels.count, channelSpectra.allSatisfy({ $0.count == spectrumFrequencies.count }) else {
            throw .malformed("the summary of \(path) has spectra that do not match its \(labels.count) channels")
        }
        guard summary.bandPowers.allSatisfy({ $0.values.count == bands.bands.count }), summary.goodEpochs >= 0, summary.epochs >= summary.goodEpochs else {
            throw .malformed("the summary of \(path) does not add up")
        }
        var analysis = FileAnalysis(path: path, sampleRate: sampleRate, duration: duration, labels: labels, bands: bands, epochs: epochs,
                                    summary: summary.value, calibration: calibration, annotations: annotations.map(\.value),
                                    spectrumFrequencies: spectrumFrequencies, channelSpectra: channelSpectra)
        analysis.omittedAnnotations = omittedAnnotations
        // An EDF+D gap is time the recording did not record, by definition.
        analysis.gaps = gaps.map {
            EDFReader.RecordGap(record: $0.record, from: $0.from, to: $0.to,
                                missingFrames: FrameGap(frames: $0.frames, beforeSampleIndex: $0.beforeSampleIndex, cause: .notRecorded))
        }
        return analysis
    }
}
