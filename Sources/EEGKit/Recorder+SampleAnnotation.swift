import EEGCore
import EEGFormats

extension Recorder {
    /// An annotation of `kind` at the sample with device index `index` (a marker whose
    /// time is known, such as one from an LSL marker stream), rather than at the current
    /// end: its onset is the sample's position over the nominal rate, gaps included, as
    /// every stored sample's. Before the recording's first frame it goes at the current
    /// end; an index before the recording's start goes at its start (onset 0) — callers
    /// that must not move a marker there (the LSL marker intake) check ``originIndex``
    /// first and store a note at the start instead.
    @discardableResult
    func annotate(_ kind: AnnotationKind, atSampleIndex index: Int64, sampleRate: Double) -> AnnotationStorage {
        guard let origin = originIndex, index >= origin else { return sink.annotate(kind, onset: originIndex == nil ? nil : 0) }
        return sink.annotate(kind, onset: Double(index - origin) / sampleRate)
    }
}
