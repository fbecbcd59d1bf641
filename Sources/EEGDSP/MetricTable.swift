import Foundation

/// What a metric needs besides band powers, which decides the outputs it can appear in:
/// `eeg bandpower` has band powers only, `stream`/`replay` add calibrated scores, and
/// `analyze` adds the asymmetry of a `--pair`.
public enum MetricRequirement: Sendable, Equatable {
    /// Band powers alone (the ratios).
    case bands
    /// A named left/right channel pair.
    case channelPair
    /// A score baseline (calibration period or a saved calibration).
    case calibration
}

/// The values of every metric for one window, epoch or summary. Read and written by
/// ``Metric`` so code that walks the table never names a metric.
public struct MetricValues: Sendable, Equatable {
    public var ratios: BandRatios
    public var asymmetry: Double?
    public var scores: Scores

    public init(ratios: BandRatios = BandRatios(), asymmetry: Double? = nil, scores: Scores = Scores()) {
        self.ratios = ratios
        self.asymmetry = asymmetry
        self.scores = scores
    }

    public subscript(metric: Metric) -> Double? {
        get { metric.read(self) }
        set { metric.write(&self, newValue) }
    }
}

/// One row of the metric table: what every renderer (JSON lines, CSV, tables, the HTML
/// report, the dashboard) needs to show a metric. The table, ``Metric/all``, is the only
/// list of metrics: renderers walk it in its order.
public struct Metric: Sendable {
    /// Position in ``all``.
    public let index: Int
    /// The key in JSON objects and the CSV column name, e.g. `theta_beta`.
    public let key: String
    /// A label for people, e.g. "engagement β/(α+θ)".
    public let name: String
    /// A short column heading, e.g. "θ/β".
    public let symbol: String
    /// "ratio", "ln ratio" or "score 0–100".
    public let unit: String
    public let formula: String
    public let description: String
    public let requirement: MetricRequirement
    /// Decimals in people's tables.
    public let digits: Int
    /// Shown in the narrow tables (analyze's epoch lines, the all-files table).
    public let overview: Bool
    fileprivate let read: @Sendable (MetricValues) -> Double?
    fileprivate let write: @Sendable (inout MetricValues, Double?) -> Void

    /// Metrics an output can show, given what it has besides band powers; table order.
    public static func available(_ has: Set<MetricRequirement>) -> [Metric] {
        all.filter { $0.requirement == .bands || has.contains($0.requirement) }
    }

    /// The metric table, in output order.
    public static let all: [Metric] = {
        typealias V = MetricValues
        let rows: [(String, String, String, String, String, String, MetricRequirement, Int, Bool,
                    @Sendable (V) -> Double?, @Sendable (inout V, Double?) -> Void)] = [
            ("engagement", "engagement β/(α+θ)", "engagement", "ratio", "β / (α + θ)",
             "Engagement index (Pope, Bogart & Bartolome 1995), band powers averaged over the metric channels first.",
             .bands, 3, true, { $0.ratios.engagement }, { $0.ratios.engagement = $1 }),
            ("theta_beta", "θ/β", "θ/β", "ratio", "θ / β", "Theta/beta ratio.",
             .bands, 3, true, { $0.ratios.thetaBeta }, { $0.ratios.thetaBeta = $1 }),
            ("relaxation", "relaxation α/β", "α/β", "ratio", "α / β", "Relaxation index.",
             .bands, 3, true, { $0.ratios.relaxation }, { $0.ratios.relaxation = $1 }),
            ("workload", "workload θ/α", "θ/α", "ratio", "θ / α", "Workload index: frontal theta up, alpha down with mental load (after Gevins & Smith).",
             .bands, 3, true, { $0.ratios.workload }, { $0.ratios.workload = $1 }),
            ("asymmetry", "frontal alpha asymmetry", "asymmetry", "ln ratio", "ln α(right) − ln α(left)",
             "Frontal alpha asymmetry of the --pair channels (e.g. F4/F3).",
             .channelPair, 3, false, { $0.asymmetry }, { $0.asymmetry = $1 }),
            ("attention", "attention (0–100)", "attention", "score 0–100", "100·Φ((ln E − μ) / σ)",
             "Attention score: the engagement index E against its calibration baseline μ, σ of ln E.",
             .calibration, 1, true, { $0.scores.attention }, { $0.scores.attention = $1 }),
            ("relaxation_score", "relaxation (0–100)", "relaxation", "score 0–100", "100·Φ((ln(α/β) − μ) / σ)",
             "Relaxation score: α/β against its calibration baseline.",
             .calibration, 1, false, { $0.scores.relaxation }, { $0.scores.relaxation = $1 }),
            ("workload_score", "workload (0–100)", "workload", "score 0–100", "100·Φ((ln(θ/α) − μ) / σ)",
             "Workload score: θ/α against its calibration baseline.",
             .calibration, 1, false, { $0.scores.workload }, { $0.scores.workload = $1 }),
        ]
        return rows.enumerated().map { i, r in
            Metric(index: i, key: r.0, name: r.1, symbol: r.2, unit: r.3, formula: r.4, description: r.5,
                   requirement: r.6, digits: r.7, overview: r.8, read: r.9, write: r.10)
        }
    }()

    /// Looks a metric up by its output key.
    public static func named(_ key: String) -> Metric? { all.first { $0.key == key } }
}
