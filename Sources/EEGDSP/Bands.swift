import Foundation

/// A named frequency band `[low, high)` in Hz.
public struct FrequencyBand: Sendable, Hashable {
    public let name: String
    public let low: Double
    public let high: Double

    public init(_ name: String, _ low: Double, _ high: Double) {
        self.name = name
        self.low = low
        self.high = high
    }
}

/// The bands band powers are reported for, in order.
public struct BandSet: Sendable, Hashable {
    public let bands: [FrequencyBand]

    /// delta [1,4), theta [4,8), alpha [8,13), beta [13,30), gamma [30,45) Hz.
    public static let standard = BandSet(unchecked: [
        FrequencyBand("delta", 1, 4), FrequencyBand("theta", 4, 8), FrequencyBand("alpha", 8, 13),
        FrequencyBand("beta", 13, 30), FrequencyBand("gamma", 30, 45),
    ])

    private init(unchecked bands: [FrequencyBand]) { self.bands = bands }

    /// Bands in order. Names must be unique and non-empty, and `0 ≤ low < high`.
    public init(_ bands: [FrequencyBand]) throws(DSPError) {
        var seen = Set<String>()
        for band in bands {
            guard !band.name.isEmpty else { throw .invalidBand(name: "(unnamed)", low: band.low, high: band.high, reason: "a band needs a name") }
            guard seen.insert(band.name).inserted else {
                throw .invalidBand(name: band.name, low: band.low, high: band.high, reason: "the name is used twice")
            }
            guard band.low.isFinite, band.high.isFinite, band.low >= 0 else {
                throw .invalidBand(name: band.name, low: band.low, high: band.high, reason: "edges must be finite and not negative")
            }
            guard band.high > band.low else {
                throw .invalidBand(name: band.name, low: band.low, high: band.high, reason: "the high edge must be above the low edge")
            }
        }
        guard !bands.isEmpty else { throw .malformedBandList("") }
        self.bands = bands
    }

    /// Parses `delta:1-4,theta:4-8,...` (Hz; decimals allowed, e.g. `sigma:12.5-15`).
    public init(parsing text: String) throws(DSPError) {
        var bands: [FrequencyBand] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw .malformedBandList(text) }
            let edges = parts[1].split(separator: "-", maxSplits: 1)
            guard edges.count == 2, let low = Double(edges[0]), let high = Double(edges[1]) else {
                throw .malformedBandList(text)
            }
            bands.append(FrequencyBand(String(parts[0]), low, high))
        }
        try self.init(bands)
    }

    /// The band called `name`, if configured.
    public func index(of name: String) -> Int? { bands.firstIndex { $0.name == name } }

    /// Checks every band against a spectrum: below Nyquist and wide enough to hold at
    /// least one frequency bin.
    public func validate(for parameters: WelchParameters) throws(DSPError) {
        let nyquist = parameters.sampleRate / 2
        for band in bands {
            guard band.high <= nyquist else {
                throw .invalidBand(name: band.name, low: band.low, high: band.high,
                                   reason: "above the Nyquist frequency \(nyquist) Hz of a \(parameters.sampleRate) Hz signal")
            }
            let range = BandBins(band, parameters)
            guard !range.isEmpty else {
                throw .invalidBand(name: band.name, low: band.low, high: band.high,
                                   reason: "holds no frequency bin at a resolution of \(parameters.frequencyResolution) Hz (use longer segments)")
            }
        }
    }
}

/// The PSD bins `k` with `low ≤ f_k < high` for one band and one spectrum layout.
struct BandBins: Sendable {
    let lower: Int
    let upper: Int  // exclusive
    var isEmpty: Bool { upper <= lower }

    init(_ band: FrequencyBand, _ parameters: WelchParameters) {
        var lower = parameters.binCount, upper = 0
        for k in 0..<parameters.binCount {
            let f = parameters.frequency(ofBin: k)
            if f >= band.low && f < band.high {
                lower = Swift.min(lower, k)
                upper = Swift.max(upper, k + 1)
            }
        }
        self.lower = lower
        self.upper = Swift.max(upper, lower)
    }
}

/// Integrates a PSD over bands: Σ PSD[k]·Δf over the bins of each band, µV² for a
/// µV²/Hz spectrum. Precomputes the bin ranges once per spectrum layout.
public struct BandIntegrator: Sendable {
    public let bands: BandSet
    public let parameters: WelchParameters
    private let ranges: [BandBins]

    public init(bands: BandSet, parameters: WelchParameters) throws(DSPError) {
        try bands.validate(for: parameters)
        self.bands = bands
        self.parameters = parameters
        self.ranges = bands.bands.map { BandBins($0, parameters) }
    }

    /// Absolute band powers, in band order, into `powers` (count = number of bands).
    /// Does not allocate.
    public func absolutePowers(psd: UnsafeBufferPointer<Double>, into powers: UnsafeMutableBufferPointer<Double>) {
        precondition(psd.count == parameters.binCount && powers.count == ranges.count, "PSD or band buffer has the wrong size")
        let df = parameters.frequencyResolution
        ranges.withUnsafeBufferPointer { ranges in
            for (b, range) in ranges.enumerated() {
                var sum = 0.0
                for k in range.lower..<range.upper { sum += psd[k] }
                powers[b] = sum * df
            }
        }
    }

    /// Relative band powers: each band over the sum of the configured bands (0 when that
    /// sum is 0).
    public static func relativePowers(_ absolute: UnsafeBufferPointer<Double>, into relative: UnsafeMutableBufferPointer<Double>) {
        var total = 0.0
        for value in absolute { total += value }
        for i in 0..<absolute.count { relative[i] = total > 0 ? absolute[i] / total : 0 }
    }
}
