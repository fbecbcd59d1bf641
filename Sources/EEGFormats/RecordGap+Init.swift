import EEGCore

extension EDFReader.RecordGap {
    /// A gap as a reader found it: for code that stores gaps and reads them back (a
    /// shard file that `eeg merge` reads). `missing.cause` is `.notRecorded` for an EDF+D file.
    public init(record: Int, from: Double, to: Double, missingFrames missing: FrameGap) {
        self.record = record
        self.from = from
        self.to = to
        self.missing = missing
    }
}
