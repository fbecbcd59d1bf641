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

    /// Parses and checks a header. `fileSize` lets it check the record count.
    /// - Throws: ``EDFError`` naming the field, its byte offset and what was expected.
    public static func parse(_ bytes: [UInt8], path: String) throws(EDFError) -> EDFHeader {
        guard bytes.count >= 256 else { throw .truncated(path: path, need: 256, have: bytes.count, what: "the fixed header") }
        func text(_ offset: Int, _ width: Int) -> String {
            String(decoding: bytes[offset..<(offset + width)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func integer(_ field: String, _ offset: Int, _ width: Int, expected: String) throws(EDFError) -> Int {
            let t = text(offset, width)
            guard let v = Int(t) else { throw .badField(path: path, field: field, offset: offset, found: t, expected: expected) }
            return v
        }
        func number(_ field: String, _ offset: Int, _ width: Int) throws(EDFError) -> Double {
            let t = text(offset, width)
            guard let v = Double(t), v.isFinite else { throw .badField(path: path, field: field, offset: offset, found: t, expected: "a number") }
            return v
        }
        let flavor: EDFFlavor
        if bytes[0] == 0xFF && String(decoding: bytes[1..<8], as: UTF8.self) == "BIOSEMI" {
            flavor = .bdf
        } else if text(0, 8) == "0" {
            flavor = .edf
        } else {
            throw .badField(path: path, field: "version", offset: 0, found: text(0, 8), expected: "'0' (EDF) or 0xFF 'BIOSEMI' (BDF) — is this an EDF/BDF file?")
        }
        let ns = try integer("number of signals", 252, 4, expected: "an integer")
        guard ns >= 1 && ns <= 4096 else {
            throw .badField(path: path, field: "number of signals", offset: 252, found: "\(ns)", expected: "1 to 4096")
        }
        let headerBytes = try integer("number of bytes in header", 184, 8, expected: "an integer")
        guard headerBytes == 256 * (ns + 1) else {
            throw .badField(path: path, field: "number of bytes in header", offset: 184, found: "\(headerBytes)",
                            expected: "\(256 * (ns + 1)) (256 × (1 + \(ns) signals))")
        }
        guard bytes.count >= headerBytes else {
            throw .truncated(path: path, need: headerBytes, have: bytes.count, what: "the signal headers")
        }
        let dateText = text(168, 8), timeText = text(176, 8)
        let dateParts = dateText.split(separator: ".").compactMap { Int($0) }
        let timeParts = timeText.split(separator: ".").compactMap { Int($0) }
        guard dateParts.count == 3, (1...31).contains(dateParts[0]), (1...12).contains(dateParts[1]) else {
            throw .badField(path: path, field: "startdate", offset: 168, found: dateText, expected: "dd.mm.yy")
        }
        guard timeParts.count == 3, (0...23).contains(timeParts[0]), (0...59).contains(timeParts[1]), (0...60).contains(timeParts[2]) else {
            throw .badField(path: path, field: "starttime", offset: 176, found: timeText, expected: "hh.mm.ss")
        }
        let start = DateComponents(year: dateParts[2] >= 85 ? 1900 + dateParts[2] : 2000 + dateParts[2], month: dateParts[1], day: dateParts[0],
                                   hour: timeParts[0], minute: timeParts[1], second: timeParts[2])
        let reserved = text(192, 44)
        let recordCount = try integer("number of data records", 236, 8, expected: "an integer (−1 while recording)")
        guard recordCount >= -1 else {
            throw .badField(path: path, field: "number of data records", offset: 236, found: "\(recordCount)", expected: "−1 or more")
        }
        let duration = try number("duration of a data record", 244, 8)
        guard duration >= 0 else { throw .badField(path: path, field: "duration of a data record", offset: 244, found: "\(duration)", expected: "not negative") }

        var signals: [EDFSignal] = []
        var offset = 256
        func column(_ width: Int) -> [(String, Int)] {
            defer { offset += width * ns }
            return (0..<ns).map { (text(offset + $0 * width, width), offset + $0 * width) }
        }
        let labels = column(16), transducers = column(80), dimensions = column(8)
        let pmins = column(8), pmaxs = column(8), dmins = column(8), dmaxs = column(8), prefilters = column(80), counts = column(8)
        for i in 0..<ns {
            func num(_ c: (String, Int), _ name: String) throws(EDFError) -> Double {
                guard let v = Double(c.0), v.isFinite else { throw .badField(path: path, field: "\(name) of signal \(i + 1)", offset: c.1, found: c.0, expected: "a number") }
                return v
            }
            func int(_ c: (String, Int), _ name: String) throws(EDFError) -> Int {
                guard let v = Int(c.0) else { throw .badField(path: path, field: "\(name) of signal \(i + 1)", offset: c.1, found: c.0, expected: "an integer") }
                return v
            }
            let pmin = try num(pmins[i], "physical minimum"), pmax = try num(pmaxs[i], "physical maximum")
            let dmin = try int(dmins[i], "digital minimum"), dmax = try int(dmaxs[i], "digital maximum")
            let n = try int(counts[i], "samples per record")
            guard n >= 1 else { throw .badField(path: path, field: "samples per record of signal \(i + 1)", offset: counts[i].1, found: counts[i].0, expected: "at least 1") }
            let limit = Int(flavor.digitalLimit)
            guard dmin < dmax, dmin >= -limit - 1, dmax <= limit else {
                throw .badField(path: path, field: "digital minimum/maximum of signal \(i + 1)", offset: dmins[i].1, found: "\(dmin)/\(dmax)",
                                expected: "minimum < maximum within \(-limit - 1)…\(limit)")
            }
            guard pmin != pmax else {
                throw .badField(path: path, field: "physical minimum/maximum of signal \(i + 1)", offset: pmins[i].1, found: "\(pmin)/\(pmax)", expected: "two different values")
            }
            var signal = EDFSignal(label: labels[i].0, physicalMinimum: pmin, physicalMaximum: pmax, digitalMinimum: Int32(dmin), digitalMaximum: Int32(dmax), samplesPerRecord: n)
            signal.transducer = transducers[i].0
            signal.physicalDimension = dimensions[i].0
            signal.prefiltering = prefilters[i].0
            signals.append(signal)
        }
        var header = EDFHeader(flavor: flavor, start: start, signals: signals)
        header.isPlus = reserved.hasPrefix("EDF+") || reserved.hasPrefix("BDF+")
        header.isDiscontinuous = reserved.hasPrefix("EDF+D") || reserved.hasPrefix("BDF+D")
        header.patient = text(8, 80)
        header.recording = text(88, 80)
        header.recordCount = recordCount
        header.recordDuration = duration
        return header
    }
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
