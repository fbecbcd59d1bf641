import Foundation

/// Running means, medians (from the good epochs' values only) and per-minute attention.
/// One list of values per row of the metric table, so a new metric is summarised with
/// no change here.
struct SummaryAccumulator {
    var epochs = 0
    var good = 0
    var values = [[Double]](repeating: [], count: Metric.all.count)
    var bandSums: [[Double]]
    var minuteSums: [Double] = []
    var minuteCounts: [Int] = []
    var lastMinute = -1

    init(channels: Int, bands: Int) { bandSums = Array(repeating: Array(repeating: 0, count: bands), count: channels) }

    /// Attention-by-minute covers at most this many minutes (about 69 days): an EDF+D
    /// file's timeline may be long while holding little signal.
    static let maxMinutes = 100_000

    mutating func add(_ e: EpochResult) {
        epochs += 1
        let minute = CheckedNumber.roundedInt((e.start / 60).rounded(.down), clampedTo: 0...Self.maxMinutes)
        if minute < Self.maxMinutes {
            lastMinute = max(lastMinute, minute)
            while minuteSums.count <= minute { minuteSums.append(0); minuteCounts.append(0) }
        }
        guard !e.rejected else { return }
        good += 1
        let metrics = e.metrics
        for metric in Metric.all { if let v = metrics[metric] { values[metric.index].append(v) } }
        for (c, channel) in e.channels.enumerated() { for b in channel.absolute.indices { bandSums[c][b] += channel.absolute[b] } }
        if let a = e.scores.attention, minute < Self.maxMinutes {
            minuteSums[minute] += a
            minuteCounts[minute] += 1
        }
    }

    func summary(labels: [String]) -> AnalysisSummary {
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        func median(_ v: [Double]) -> Double? {
            guard !v.isEmpty else { return nil }
            let s = v.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return AnalysisSummary(
            epochs: epochs, goodEpochs: good,
            means: Metric.all.map { ($0.key, mean(values[$0.index])) }, medians: Metric.all.map { ($0.key, median(values[$0.index])) },
            bandPowers: labels.indices.map { c in (label: labels[c], values: bandSums[c].map { good > 0 ? $0 / Double(good) : 0 }) },
            attentionPerMinute: (0..<(lastMinute + 1)).map { minuteCounts[$0] > 0 ? minuteSums[$0] / Double(minuteCounts[$0]) : nil })
    }
}
