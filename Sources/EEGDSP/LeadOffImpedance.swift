/// Electrode impedance from the Cyton's lead-off drive: the ADS1299 pushes a 6 nA AC
/// current at 31.2 Hz (its LOFF register as the OpenBCI firmware sets it; the OpenBCI
/// docs round it to 31.5 Hz) through the electrode, so the channel carries a sine whose
/// amplitude is the current times the impedance in its path.
///
/// The estimate follows the OpenBCI GUI (DataProcessing.pde, quoted in the OpenBCI
/// forum's "How to measure impedance using Cyton serial command protocol"): band-pass
/// the channel around the drive, take the RMS, and Z = √2 · Vrms / 6 nA − 2.2 kΩ — the
/// sine's peak over the current's, less the board's series resistor.
///
/// Pure: no I/O; `measure` allocates one copy of the samples.
public enum LeadOffImpedance {
    /// The drive current, A.
    public static let driveAmps = 6e-9
    /// The resistor in series with every Cyton input, Ω.
    public static let seriesOhms = 2_200.0
    /// The drive frequency, Hz (ADS1299: 31.2 Hz, f_CLK / 2¹⁶).
    public static let driveHertz = 31.25
    /// The band-pass around the drive: 8th order Butterworth, 27–36.17 Hz (geometric
    /// centre 31.25 Hz; scipy's design passes 31.2–31.5 Hz with gain 1 ± 10⁻⁶ at 250 Hz
    /// and removes 50 Hz mains to 0.6 %, 10 Hz EEG to 0.02 %, an offset entirely).
    public static let band = [27.0, 31.25 * 31.25 / 27]

    /// What one channel's measurement found.
    public struct Reading: Sendable, Equatable {
        /// RMS of the band-passed signal, µV.
        public var rmsMicrovolts: Double
        /// The electrode's impedance, Ω (never below 0).
        public var ohms: Double
    }

    /// Z = √2 · Vrms / 6 nA − 2.2 kΩ, at least 0.
    public static func ohms(rmsMicrovolts: Double) -> Double {
        max(0, 2.0.squareRoot() * rmsMicrovolts * 1e-6 / driveAmps - seriesOhms)
    }

    /// Measures one channel: `samples` in µV at `sampleRate`, of which the first
    /// `settleSeconds` only settle the filter (offset and start-up transient).
    ///
    /// - Throws: ``DSPError`` for a rate whose Nyquist frequency is below the band, a
    ///   non-finite sample, or fewer than one drive period after the settling time.
    public static func measure(_ samples: [Float], sampleRate: Double, settleSeconds: Double = 1) throws(DSPError) -> Reading {
        let sections = try Butterworth.design(.bandpass, order: 4, cutoff: band, sampleRate: sampleRate)
        let skip = Int((max(0, settleSeconds) * sampleRate).rounded(.up))
        let need = skip + Int((sampleRate / driveHertz).rounded(.up))
        guard samples.count >= need else { throw .tooFewSamples(have: samples.count, need: need) }
        if let bad = samples.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteSample(frame: bad, channel: 0) }
        let filter = CausalFilter(sections, channelCount: 1)
        // Start from the first sample's level, so an electrode offset of millivolts
        // does not ring through the window.
        filter.settle(at: [Double(samples[0])])
        var filtered = samples
        filtered.withUnsafeMutableBufferPointer { filter.process($0) }
        // A whole number of drive periods where the period is a whole number of samples
        // (8 at 250 Hz, 4 at 125 Hz), so the window holds no partial cycle.
        let period = max(1, Int((sampleRate / driveHertz).rounded()))
        let count = max(period, (filtered.count - skip) / period * period)
        var sum = 0.0
        for value in filtered[skip..<(skip + count)] { sum += Double(value) * Double(value) }
        let rms = (sum / Double(count)).squareRoot()
        return Reading(rmsMicrovolts: rms, ohms: ohms(rmsMicrovolts: rms))
    }
}
