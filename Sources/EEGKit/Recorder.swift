import Foundation

/// How to record a stream.
public struct RecordingOptions: Sendable {
    public var path: String
    public var overwrite = false
    /// EDF+/BDF+ patient field; a plain name becomes the name subfield ("X X X Name").
    public var patient: String?
    /// Free text for the equipment subfield of the EDF+ recording field.
    public var recording: String?
    /// EDF only: the physical range stored (µV). 16 bits over ±3276.7 µV give 0.1 µV steps;
    /// values outside are clipped and counted. BDF stores the device's full scale.
    public var edfRange = 3276.7

    public init(path: String) { self.path = path }
}

/// Writes frames to EDF+/BDF+ from the consumer side of the ring (never the device
/// thread). Gaps are found from jumps in the device sample index — ring drops, decoder
/// gaps, disconnects — and written as annotated zero spans, never stitched.
///
/// ``store(_:count:)`` replaces each value with the one the file holds, so a live analyzer
/// fed from it computes exactly what a replay of the file will.
public final class Recorder {
    public let writer: EDFWriter
    private var expectedIndex: Int64?
    public private(set) var gapFrames = 0

    public init(options: RecordingOptions, device: any EEGDevice, start: Date = Date()) throws {
        let flavor = EDFFlavor(path: options.path)
        let rate = device.sampleRate
        guard rate == rate.rounded() else {
            throw EDFError.invalidSpec("EDF/BDF with 1 s records needs a whole number of samples per second, not \(rate) Hz")
        }
        let channels: [EDFSignal] = device.channelLabels.map { label in
            var signal: EDFSignal
            switch flavor {
            case .bdf:
                // ±8388607 counts over the device's full scale: for a Cyton exactly its ADC grid.
                signal = EDFSignal(label: label, physicalMinimum: -device.fullScale, physicalMaximum: device.fullScale,
                                   digitalMinimum: -8_388_607, digitalMaximum: 8_388_607, samplesPerRecord: Int(rate))
            case .edf:
                signal = EDFSignal(label: label, physicalMinimum: -options.edfRange - 0.1, physicalMaximum: options.edfRange,
                                   digitalMinimum: -32768, digitalMaximum: 32767, samplesPerRecord: Int(rate))
            }
            signal.transducer = "EEG electrode"
            signal.prefiltering = "None"
            return signal
        }
        let calendar = Calendar(identifier: .gregorian)
        let components = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start)
        func subfield(_ text: String) -> String {
            let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "_")
            return cleaned.isEmpty ? "X" : cleaned
        }
        var patient = "X X X X"
        if let given = options.patient {
            patient = given.split(separator: " ").count >= 4 ? given : "X X X \(subfield(given))"
        }
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let equipment = subfield(options.recording ?? "EEGKit \(device.name)")
        let recording = String(format: "Startdate %02d-%@-%04d X X ", components.day!, months[components.month! - 1], components.year!) + equipment
        writer = try EDFWriter(path: options.path, flavor: flavor, channels: channels, start: components,
                               patient: patient, recording: recording, overwrite: options.overwrite)
        writer.annotate(Annotation(onset: 0, text: "Recording starts (EEGKit, \(device.name))"), essential: true)
    }

    /// Seconds recorded so far.
    public var duration: Double { writer.duration }

    /// Sets the device sample index the recording starts at, if no frame was stored yet:
    /// frames missing between it and the first frame stored are then written as a gap.
    public func begin(atSampleIndex index: Int64) {
        if expectedIndex == nil { expectedIndex = index }
    }

    /// Writes `frames` lost frames at the current end (an annotated zero span): frames
    /// the stream knows are gone but that no later frame stored here reveals, such as
    /// ring drops at the very end or a gap cut by the end of the requested duration.
    public func lost(frames: Int, ringFull: Bool) throws {
        guard frames > 0 else { return }
        gapFrames += frames
        try writer.gap(frames: frames, reason: Self.gapReason(ringFull: ringFull))
        if let expected = expectedIndex { expectedIndex = expected + Int64(frames) }
    }

    static func gapReason(ringFull: Bool) -> String {
        ringFull ? "the ring buffer was full" : "not received from the device"
    }

    /// Writes `count` frames: `samples` (interleaved, replaced in place by the stored
    /// values), their device sample indices and ring drop counts.
    public func store(_ samples: UnsafeMutableBufferPointer<Float>, indices: UnsafeBufferPointer<Int64>,
                      droppedBefore: UnsafeBufferPointer<UInt32>) throws {
        let channels = writer.channelCount
        var runStart = 0
        for i in 0..<indices.count {
            if let expected = expectedIndex, indices[i] != expected {
                try flush(samples, from: runStart, to: i, channels: channels)
                runStart = i
                let missing = Int(indices[i] - expected)
                if missing > 0 {
                    gapFrames += missing
                    try writer.gap(frames: missing, reason: Self.gapReason(ringFull: droppedBefore[i] > 0))
                }
            }
            expectedIndex = indices[i] + 1
        }
        try flush(samples, from: runStart, to: indices.count, channels: channels)
    }

    private func flush(_ samples: UnsafeMutableBufferPointer<Float>, from: Int, to: Int, channels: Int) throws {
        guard to > from else { return }
        for f in from..<to {
            for c in 0..<channels {
                let signal = writer.header.signals[c]
                let i = f * channels + c
                samples[i] = signal.physical(signal.digital(samples[i]).0)
            }
        }
        try writer.append(UnsafeBufferPointer(rebasing: samples[(from * channels)..<(to * channels)]))
    }

    /// A user marker or a device event, at the current end of the recording. The result
    /// says whether it had to be split, truncated or dropped (see ``AnnotationStorage``).
    /// A device event or a note of EEGKit's (`essential`) is never dropped; a marker may
    /// be, when markers come faster than records can carry them.
    @discardableResult
    public func annotate(_ text: String, essential: Bool = false) -> AnnotationStorage {
        writer.annotate(Annotation(onset: writer.duration, text: text), essential: essential)
    }

    /// Removes a recording the session never started (no record written); see
    /// ``EDFWriter/discard()``.
    public func discard() { writer.discard() }

    public func close() throws {
        writer.annotate(Annotation(onset: writer.duration, text: "Recording ends"), essential: true)
        try writer.close()
    }
}
