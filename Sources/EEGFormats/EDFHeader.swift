import EEGCore
import Foundation

/// EDF (16-bit) or BDF (24-bit) samples.
public enum EDFFlavor: Sendable, Equatable {
    case edf, bdf

    public var bytesPerSample: Int { self == .edf ? 2 : 3 }
    public var digitalLimit: Int32 { self == .edf ? 32767 : 8_388_607 }
    public var annotationLabel: String { self == .edf ? "EDF Annotations" : "BDF Annotations" }

    /// `.bdf` → BDF, anything else → EDF.
    public init(path: String) { self = path.lowercased().hasSuffix(".bdf") ? .bdf : .edf }
}

/// One signal of an EDF file: an EEG channel, or the annotations signal.
public struct EDFSignal: Sendable, Equatable {
    public var label: String
    public var transducer = ""
    public var physicalDimension = "uV"
    public var physicalMinimum: Double
    public var physicalMaximum: Double
    public var digitalMinimum: Int32
    public var digitalMaximum: Int32
    public var prefiltering = ""
    public var samplesPerRecord: Int

    public init(label: String, physicalMinimum: Double, physicalMaximum: Double, digitalMinimum: Int32, digitalMaximum: Int32, samplesPerRecord: Int) {
        self.label = label
        self.physicalMinimum = physicalMinimum
        self.physicalMaximum = physicalMaximum
        self.digitalMinimum = digitalMinimum
        self.digitalMaximum = digitalMaximum
        self.samplesPerRecord = samplesPerRecord
    }

    public var isAnnotations: Bool { label == "EDF Annotations" || label == "BDF Annotations" }

    /// Physical units per digital step.
    public var gain: Double { (physicalMaximum - physicalMinimum) / Double(digitalMaximum - digitalMinimum) }

    /// The physical value of a digital sample: (d − dmin)·gain + pmin, as the EDF
    /// specification (and MNE, pyedflib, edfio) compute it.
    @inline(__always)
    public func physical(_ digital: Int32) -> Float {
        Float(Double(digital - digitalMinimum) * gain + physicalMinimum)
    }

    /// The nearest digital value for a physical one, clamped to the digital range.
    /// Returns whether it had to be clamped.
    @inline(__always)
    public func digital(_ physical: Float) -> (Int32, clipped: Bool) {
        let d = ((Double(physical) - physicalMinimum) / gain).rounded() + Double(digitalMinimum)
        if d > Double(digitalMaximum) { return (digitalMaximum, true) }
        if d < Double(digitalMinimum) { return (digitalMinimum, true) }
        return (Int32(d), false)
    }
}

/// The fixed header of an EDF/EDF+/BDF/BDF+ file.
public struct EDFHeader: Sendable, Equatable {
    public var flavor: EDFFlavor
    /// EDF+/BDF+ (with an annotations signal) rather than plain EDF/BDF.
    public var isPlus = true
    /// EDF+D / BDF+D: records are not contiguous in time.
    public var isDiscontinuous = false
    public var patient = "X X X X"
    public var recording = ""
    /// Start of the recording (local time, to the second).
    public var start: DateComponents
    /// −1 while recording (unknown).
    public var recordCount: Int = -1
    /// Seconds per data record.
    public var recordDuration: Double = 1
    public var signals: [EDFSignal]

    public init(flavor: EDFFlavor, start: DateComponents, signals: [EDFSignal]) {
        self.flavor = flavor
        self.start = start
        self.signals = signals
    }

    public var headerBytes: Int { 256 * (signals.count + 1) }
    /// Bytes of one data record.
    public var recordBytes: Int { signals.reduce(0) { $0 + $1.samplesPerRecord } * flavor.bytesPerSample }
    public var annotationSignalIndex: Int? { signals.firstIndex(where: \.isAnnotations) }

    // MARK: Encoding

    /// The header as bytes (ASCII fields, space padded; BDF's 0xFF "BIOSEMI" version).
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        func field(_ text: String, _ width: Int) {
            var bytes = Array(text.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? UInt8($0.value) : UInt8(ascii: "?") }.prefix(width))
            bytes += Array(repeating: UInt8(ascii: " "), count: width - bytes.count)
            out += bytes
        }
        if flavor == .bdf { out += [0xFF] + Array("BIOSEMI".utf8) } else { field("0", 8) }
        field(patient, 80)
        field(recording, 80)
        let day = start.day ?? 1, month = start.month ?? 1, year = (start.year ?? 2000) % 100
        field(String(format: "%02d.%02d.%02d", day, month, year), 8)
        field(String(format: "%02d.%02d.%02d", start.hour ?? 0, start.minute ?? 0, start.second ?? 0), 8)
        field("\(headerBytes)", 8)
        let reserved: String
        if isPlus { reserved = (flavor == .edf ? "EDF+" : "BDF+") + (isDiscontinuous ? "D" : "C") } else { reserved = flavor == .bdf ? "24BIT" : "" }
        field(reserved, 44)
        field("\(recordCount)", 8)
        field(formatNumber(recordDuration, width: 8), 8)
        field("\(signals.count)", 4)
        for s in signals { field(s.label, 16) }
        for s in signals { field(s.transducer, 80) }
        for s in signals { field(s.physicalDimension, 8) }
        for s in signals { field(formatNumber(s.physicalMinimum, width: 8), 8) }
        for s in signals { field(formatNumber(s.physicalMaximum, width: 8), 8) }
        for s in signals { field("\(s.digitalMinimum)", 8) }
        for s in signals { field("\(s.digitalMaximum)", 8) }
        for s in signals { field(s.prefiltering, 80) }
        for s in signals { field("\(s.samplesPerRecord)", 8) }
        for _ in signals { field("", 32) }
        return out
    }

    /// Byte offset of the "number of data records" field (for updating it in place).
    public static let recordCountOffset = 236

    // MARK: Parsing

    /// The header's size as its fixed part (the first 256 bytes) states it:
    /// 256 × (1 + the number of signals at byte 252) — how much to read before
    /// ``parse(_:path:)``. 256 when the fixed part is short or the count is not valid;
    /// parsing then names the field.
    static func statedSize(fixedPart: [UInt8]) -> Int {
        guard fixedPart.count >= 256,
              let signals = try? CheckedNumber.integer(fixedPart[252..<256], field: "", offset: 252, in: 1...EDFLimits.maxSignals, expected: "")
        else { return 256 }
        return 256 * (signals + 1)
    }

    /// Parses and checks a header: every number is finite and within ``EDFLimits``, the
    /// fields agree with each other, and each error names the field and its byte offset.
    /// The file's size is checked against the header by ``EDFReader``.
    /// - Throws: ``EDFError`` naming the field, its byte offset and what was expected.
    public static func parse(_ bytes: [UInt8], path: String) throws(EDFError) -> EDFHeader {
        do {
            return try parseFields(bytes, path: path)
        } catch let error as NumberFieldError {
            throw EDFError(error, path: path)
        } catch let error as EDFError {
            throw error
        } catch {
            throw .unsupported(path: path, reason: "\(error)")
        }
    }

    private static func parseFields(_ bytes: [UInt8], path: String) throws -> EDFHeader {
        guard bytes.count >= 256 else { throw EDFError.truncated(path: path, need: 256, have: bytes.count, what: "the fixed header") }
        func raw(_ offset: Int, _ width: Int) -> ArraySlice<UInt8> { bytes[offset..<(offset + width)] }
        func text(_ offset: Int, _ width: Int) -> String {
            String(decoding: raw(offset, width), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func bad(_ field: String, _ offset: Int, _ width: Int, _ expected: String) -> EDFError {
            .badField(path: path, field: field, offset: offset, found: CheckedNumber.printable(raw(offset, width)), expected: expected)
        }
        let flavor: EDFFlavor
        if bytes[0] == 0xFF && String(decoding: bytes[1..<8], as: UTF8.self) == "BIOSEMI" {
            flavor = .bdf
        } else if text(0, 8) == "0" {
            flavor = .edf
        } else {
            throw bad("version", 0, 8, "'0' (EDF) or 0xFF 'BIOSEMI' (BDF) — is this an EDF/BDF file?")
        }
        let ns = try CheckedNumber.integer(raw(252, 4), field: "number of signals", offset: 252,
                                           in: 1...EDFLimits.maxSignals, expected: "an integer from 1 to \(EDFLimits.maxSignals)")
        let headerBytes = try CheckedNumber.integer(raw(184, 8), field: "number of bytes in header", offset: 184,
                                                    in: 0...Int.max, expected: "\(256 * (ns + 1)) (256 × (1 + \(ns) signals))")
        guard headerBytes == 256 * (ns + 1) else {
            throw bad("number of bytes in header", 184, 8, "\(256 * (ns + 1)) (256 × (1 + \(ns) signals))")
        }
        guard bytes.count >= headerBytes else {
            throw EDFError.truncated(path: path, need: headerBytes, have: bytes.count, what: "the signal headers")
        }
        let start = try parseStart(raw(168, 8), raw(176, 8), bad: bad)
        let reserved = text(192, 44)
        let recordCount = try CheckedNumber.integer(raw(236, 8), field: "number of data records", offset: 236,
                                                    in: -1...EDFLimits.maxRecords, expected: "an integer from -1 (still recording) to \(EDFLimits.maxRecords)")
        let duration = try CheckedNumber.decimal(raw(244, 8), field: "duration of a data record", offset: 244,
                                                 in: 0...EDFLimits.recordDuration.upperBound, expected: EDFLimits.durationExpectation)
        guard duration == 0 || duration >= EDFLimits.recordDuration.lowerBound else {
            throw bad("duration of a data record", 244, 8, EDFLimits.durationExpectation)
        }
        let signals = try parseSignals(bytes, path: path, count: ns, flavor: flavor, duration: duration, bad: bad)
        var header = EDFHeader(flavor: flavor, start: start, signals: signals)
        header.isPlus = reserved.hasPrefix("EDF+") || reserved.hasPrefix("BDF+")
        header.isDiscontinuous = reserved.hasPrefix("EDF+D") || reserved.hasPrefix("BDF+D")
        header.patient = text(8, 80)
        header.recording = text(88, 80)
        header.recordCount = recordCount
        header.recordDuration = duration
        return header
    }

    private static func parseStart(_ date: ArraySlice<UInt8>, _ time: ArraySlice<UInt8>,
                                   bad: (String, Int, Int, String) -> EDFError) throws(EDFError) -> DateComponents {
        // dd.mm.yy and hh.mm.ss: three 2-digit numbers separated by dots.
        func parts(_ field: ArraySlice<UInt8>) -> [Int]? {
            let pieces = field.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard pieces.count == 3 else { return nil }
            let values = pieces.map { try? CheckedNumber.integer($0, field: "", offset: 0, in: 0...99, expected: "") }
            return values.contains(where: { $0 == nil }) ? nil : values.compactMap { $0 }
        }
        guard let d = parts(date), (1...31).contains(d[0]), (1...12).contains(d[1]) else { throw bad("startdate", 168, 8, "dd.mm.yy") }
        guard let t = parts(time), (0...23).contains(t[0]), (0...59).contains(t[1]), (0...60).contains(t[2]) else {
            throw bad("starttime", 176, 8, "hh.mm.ss")
        }
        return DateComponents(year: d[2] >= 85 ? 1900 + d[2] : 2000 + d[2], month: d[1], day: d[0], hour: t[0], minute: t[1], second: t[2])
    }

    /// The per-signal fields, stored column by column after the fixed header.
    private static func parseSignals(_ bytes: [UInt8], path: String, count ns: Int, flavor: EDFFlavor, duration: Double,
                                     bad: (String, Int, Int, String) -> EDFError) throws -> [EDFSignal] {
        // Column start offsets: label 16, transducer 80, dimension 8, pmin 8, pmax 8,
        // dmin 8, dmax 8, prefiltering 80, samples per record 8, reserved 32.
        var columns: [Int] = []
        var offset = 256
        for width in [16, 80, 8, 8, 8, 8, 8, 80, 8] {
            columns.append(offset)
            offset += width * ns
        }
        func field(_ column: Int, _ width: Int, _ i: Int) -> (bytes: ArraySlice<UInt8>, offset: Int) {
            let at = columns[column] + i * width
            return (bytes[at..<(at + width)], at)
        }
        func text(_ f: (bytes: ArraySlice<UInt8>, offset: Int)) -> String {
            String(decoding: f.bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        let limit = Int(flavor.digitalLimit)
        let physical = -EDFLimits.physicalMagnitude...EDFLimits.physicalMagnitude
        var signals: [EDFSignal] = []
        for i in 0..<ns {
            let name = "of signal \(i + 1)"
            let label = text(field(0, 16, i))
            let pminField = field(3, 8, i), pmaxField = field(4, 8, i), dminField = field(5, 8, i), dmaxField = field(6, 8, i)
            let physicalExpectation = "a number from \(-EDFLimits.physicalMagnitude) to \(EDFLimits.physicalMagnitude)"
            let pmin = try CheckedNumber.decimal(pminField.bytes, field: "physical minimum \(name)", offset: pminField.offset, in: physical, expected: physicalExpectation)
            let pmax = try CheckedNumber.decimal(pmaxField.bytes, field: "physical maximum \(name)", offset: pmaxField.offset, in: physical, expected: physicalExpectation)
            let digitalExpectation = "an integer from \(-limit - 1) to \(limit)"
            let dmin = try CheckedNumber.integer(dminField.bytes, field: "digital minimum \(name)", offset: dminField.offset, in: (-limit - 1)...limit, expected: digitalExpectation)
            let dmax = try CheckedNumber.integer(dmaxField.bytes, field: "digital maximum \(name)", offset: dmaxField.offset, in: (-limit - 1)...limit, expected: digitalExpectation)
            guard dmin < dmax else {
                throw EDFError.badField(path: path, field: "digital minimum/maximum \(name)", offset: dminField.offset, found: "\(dmin)/\(dmax)",
                                        expected: "minimum < maximum within \(-limit - 1)…\(limit)")
            }
            // Physical units per digital step: never zero, never so small that samples
            // vanish in single precision (the difference of two checked values cannot overflow).
            guard abs(pmax - pmin) / Double(dmax - dmin) >= EDFLimits.smallestGain else {
                throw EDFError.badField(path: path, field: "physical minimum/maximum \(name)", offset: pminField.offset, found: "\(pmin)/\(pmax)",
                                        expected: "two values at least \(EDFLimits.smallestGain) apart per digital step")
            }
            let countField = field(8, 8, i)
            let n = try CheckedNumber.integer(countField.bytes, field: "samples per record \(name)", offset: countField.offset,
                                              in: 1...EDFLimits.maxRecords, expected: "an integer from 1 to \(EDFLimits.maxRecords)")
            var signal = EDFSignal(label: label, physicalMinimum: pmin, physicalMaximum: pmax, digitalMinimum: Int32(dmin), digitalMaximum: Int32(dmax), samplesPerRecord: n)
            if !signal.isAnnotations && duration > 0 && Double(n) / duration > EDFLimits.maxSampleRate {
                throw EDFError.badField(path: path, field: "samples per record \(name)", offset: countField.offset, found: text(countField),
                                        expected: "at most \(EDFLimits.maxSampleRate) samples per second (records last \(duration) s)")
            }
            signal.transducer = text(field(1, 80, i))
            signal.physicalDimension = text(field(2, 8, i))
            signal.prefiltering = text(field(7, 80, i))
            signals.append(signal)
        }
        return signals
    }
}

/// What the reader accepts: every number from a file is checked against these before it
/// is used, so no arithmetic on it can overflow, trap or allocate without bound.
public enum EDFLimits {
    /// Signals in one file (the header field has room for 9999).
    public static let maxSignals = 4096
    /// Records, and samples of one signal per record (what 8 ASCII digits hold).
    public static let maxRecords = 99_999_999
    /// Seconds per data record, when not 0 (annotation-only files).
    public static let recordDuration: ClosedRange<Double> = 1e-6...1e6
    static let durationExpectation = "0 (annotations only) or a number of seconds from 0.000001 to 1000000"
    /// Samples per second of an ordinary signal.
    public static let maxSampleRate = 1e6
    /// |physical minimum| and |physical maximum|: any value written without an exponent
    /// in 8 characters fits; beyond, samples or their powers could overflow single precision.
    public static let physicalMagnitude = 1e9
    /// The smallest |physical range| per digital step.
    public static let smallestGain = 1e-30
    /// Seconds: annotation onsets and durations, record start times, and the whole
    /// recording (about 31.7 years) — larger values are absurd, not data.
    public static let maxSeconds = 1e9
    /// Bytes in one data record (all signals): 256 MiB. A record is read and converted
    /// whole, so this bounds the memory a header can ask for even in a sparse file of
    /// terabytes. A BioSemi record of 1 s at 16 kHz × 280 channels is 13 MB; a whole
    /// hour of 64 channels at 256 Hz in one EDF record is 118 MB.
    public static let maxRecordBytes = 1 << 28
}

/// The shortest decimal text of `value` that fits `width` characters (EDF header numbers
/// are 8 ASCII characters).
func formatNumber(_ value: Double, width: Int) -> String {
    if value == value.rounded(), abs(value) < 1e15 {
        let text = String(Int64(value))
        if text.count <= width { return text }
    }
    for digits in stride(from: width, through: 0, by: -1) {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if text.count <= width { return text }
    }
    return String(String(format: "%.0f", value).prefix(width))
}
