import Foundation

/// The pre-filter every analysis path applies before its band powers, designed in one
/// place so live (causal), analyze (zero-phase) and any later path agree on it.
public enum AnalysisFilter {
    /// Butterworth order of the band-pass (DESIGN.md: order 4).
    public static let bandPassOrder = 4
    /// Quality factor of the mains notch (DESIGN.md: Q 30).
    public static let notchQuality = 30.0

    /// The band-pass (order 4) followed by the notch (Q 30), as one cascade of second-order
    /// sections equal to `scipy.signal.butter(4, band, 'bandpass', output='sos')` stacked
    /// on `iirnotch(mains, 30)`; `nil` when neither is asked for. How the cascade is run
    /// (causally live, forward-backward offline) is the caller's choice.
    public static func design(bandPass: ClosedRange<Double>?, notch mains: Double?, sampleRate: Double) throws(DSPError) -> SecondOrderSections? {
        var sections: [[Double]] = []
        if let band = bandPass {
            sections += try Butterworth.design(.bandpass, order: bandPassOrder, cutoff: [band.lowerBound, band.upperBound], sampleRate: sampleRate).sections
        }
        if let mains {
            sections += try Butterworth.notch(frequency: mains, quality: notchQuality, sampleRate: sampleRate).sections
        }
        return sections.isEmpty ? nil : try SecondOrderSections(sections)
    }
}
