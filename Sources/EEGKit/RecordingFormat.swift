import Foundation

/// The file formats `eeg record` writes, chosen by the path's extension: the one place a
/// new format is added, as a ``RecordingSink`` (EDF+/BDF+, XDF).
public enum RecordingFormat {
    /// A new sink for `options.path` holding a stream of `layout`: XDF for a `.xdf` name
    /// (the streams of ``RecordingOptions/streams``, by default ``SessionStreamInfos/make``'s), else EDF+ or BDF+.
    ///
    /// - Throws: ``EDFError`` when the layout does not fit the format (a rate that is not
    ///   a whole number of samples per second) or the file cannot be created;
    ///   ``XDFError`` for an XDF file that cannot be created.
    public static func sink(for options: RecordingOptions, layout: StreamLayout, start: Date) throws -> any RecordingSink {
        if options.isXDF {
            let streams = options.streams ?? SessionStreamInfos.make(layout: layout, sourceID: options.sourceID ?? layout.source,
                                                                     hopSeconds: LiveAnalyzerConfiguration(layout: layout).hopSeconds)
            return try XDFRecordingSink(path: options.path, layout: layout, streams: streams, overwrite: options.overwrite, clock: options.clock)
        }
        return try edfWriter(options, flavor: EDFFlavor(path: options.path), layout: layout, start: start)
    }

    /// An EDF+ (16-bit, `options.edfRange`) or BDF+ (24-bit over the layout's full scale)
    /// writer with 1 s records.
    static func edfWriter(_ options: RecordingOptions, flavor: EDFFlavor, layout: StreamLayout, start: Date) throws -> EDFWriter {
        let rate = layout.sampleRate
        guard rate == rate.rounded(), rate >= 1, rate <= Double(Int32.max) else {
            throw EDFError.invalidSpec("EDF/BDF with 1 s records needs a whole number of samples per second, not \(rate) Hz")
        }
        let channels: [EDFSignal] = layout.labels.enumerated().map { index, label in
            var signal: EDFSignal
            switch flavor {
            case .bdf:
                // ±8388607 counts over the device's full scale: for a Cyton exactly its ADC grid.
                signal = EDFSignal(label: label, physicalMinimum: -layout.fullScale, physicalMaximum: layout.fullScale,
                                   digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: Int(rate))
            case .edf:
                signal = EDFSignal(label: label, physicalMinimum: -options.edfRange - 0.1, physicalMaximum: options.edfRange,
                                   digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: Int(rate))
            }
            // Header fields are 80 ASCII characters: what the device says about the
            // channel (its gain and input) after the electrode.
            let acquisition = layout.acquisition.flatMap { index < $0.count ? $0[index] : nil }
            signal.transducer = acquisition.map { "EEG electrode; \($0)" } ?? "EEG electrode"
            signal.prefiltering = "None"
            return signal
        }
        let auxiliary = try layout.auxiliary.map { aux throws(EDFError) -> EDFSignal in
            guard Int(rate) % aux.framesPerSample == 0 else {
                throw .invalidSpec("aux signal \(aux.label): one sample per \(aux.framesPerSample) frames does not divide \(Int(rate)) samples per second")
            }
            var signal = EDFSignal(label: aux.label, physicalMinimum: aux.minimum, physicalMaximum: aux.maximum,
                                   digitalMinimum: aux.digitalMinimum, digitalMaximum: aux.digitalMaximum, samplesPerRecord: Int(rate) / aux.framesPerSample)
            signal.physicalDimension = aux.unit
            signal.transducer = aux.transducer
            signal.prefiltering = "None"
            return signal
        }
        let calendar = Calendar(identifier: .gregorian)
        let components = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start)
        let fields = headerFields(options, source: layout.source, start: components)
        return try EDFWriter(path: options.path, flavor: flavor, channels: channels, auxiliary: auxiliary, start: components,
                             patient: fields.patient, recording: fields.recording, overwrite: options.overwrite)
    }

    /// The EDF+ patient and recording fields: subfields without spaces, "X" when unknown.
    private static func headerFields(_ options: RecordingOptions, source: String, start: DateComponents) -> (patient: String, recording: String) {
        func subfield(_ text: String) -> String {
            let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "_")
            return cleaned.isEmpty ? "X" : cleaned
        }
        var patient = "X X X X"
        if let given = options.patient {
            patient = given.split(separator: " ").count >= 4 ? given : "X X X \(subfield(given))"
        }
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let equipment = subfield(options.recording ?? "EEGKit \(source)")
        let recording = String(format: "Startdate %02d-%@-%04d X X ", start.day ?? 1, months[((start.month ?? 1) - 1 + 12) % 12], start.year ?? 2000) + equipment
        return (patient, recording)
    }
}
