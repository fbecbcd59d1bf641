import EEGCore

/// A file format a recording is written to: frames, gaps and annotations in, a valid
/// file out. EDF+ and BDF+ implement it (``EDFWriter``); the next format (XDF) is one new
/// type conforming to it, and the recorder does not change.
///
/// Used from one consumer thread; `append` must not allocate per frame.
public protocol RecordingSink: AnyObject {
    /// The file written.
    var path: String { get }
    /// Seconds of signal written so far (gaps included).
    var duration: Double { get }
    /// Samples that were outside the stored range and stored at its limit.
    var clippedSamples: Int { get }
    /// Bytes the file holds on disk so far (for progress).
    var bytesWritten: Int { get }
    /// Replaces each interleaved value by the one the file will hold for it (quantised,
    /// clipped), so that what is computed live from it equals what a replay computes.
    func storedValues(_ samples: UnsafeMutableBufferPointer<Float>)
    /// Appends whole interleaved frames, in the layout's unit.
    func append(_ frames: UnsafeBufferPointer<Float>) throws(WriteError)
    /// Appends frames with the layout's aux values (``StreamLayout/auxiliary``, one per
    /// signal per frame, interleaved). A format without aux signals ignores them (the
    /// default).
    func append(_ frames: UnsafeBufferPointer<Float>, auxiliary: UnsafeBufferPointer<Float>) throws(WriteError)
    /// Records `frames` missing frames at the current end: filler annotated as
    /// ``AnnotationKind/samplesLost(count:cause:)``, never stitched.
    func gap(frames: Int, cause: SampleLossCause) throws(WriteError)
    /// Adds an annotation at its onset; `essential` ones are never dropped (see
    /// ``AnnotationKind/mayBeDropped``).
    @discardableResult
    func annotate(_ annotation: Annotation, essential: Bool) -> AnnotationStorage
    /// Gives up a file that holds nothing yet (a session that never started).
    func discard()
    /// Finishes the file. Idempotent.
    func close() throws(WriteError)
}

extension RecordingSink {
    public func append(_ frames: UnsafeBufferPointer<Float>, auxiliary: UnsafeBufferPointer<Float>) throws(WriteError) {
        try append(frames)
    }

    /// Adds an annotation of `kind` at the current end (or `onset`), essential unless the
    /// kind may be dropped.
    @discardableResult
    public func annotate(_ kind: AnnotationKind, onset: Double? = nil, duration: Double? = nil) -> AnnotationStorage {
        annotate(Annotation(onset: onset ?? self.duration, duration: duration, kind: kind), essential: !kind.mayBeDropped)
    }
}

extension EDFWriter: RecordingSink {
    public var bytesWritten: Int { header.headerBytes + recordsWritten * header.recordBytes }

    public func storedValues(_ samples: UnsafeMutableBufferPointer<Float>) {
        let channels = channelCount
        for f in 0..<(samples.count / channels) {
            for c in 0..<channels {
                let signal = header.signals[c]
                let i = f * channels + c
                samples[i] = signal.physical(signal.digital(samples[i]).0)
            }
        }
    }
}
