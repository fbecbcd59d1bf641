import Foundation

/// Builds EDF/BDF files byte by byte, field by field, so a test can put any text in any
/// header field and know its exact byte offset. Independent of EDFWriter: the layout is
/// written out here from the EDF specification.
public struct HostileEDF {
    public struct Signal {
        public var label = "C3"
        public var physicalMinimum = "-100"
        public var physicalMaximum = "100"
        public var digitalMinimum = "-32768"
        public var digitalMaximum = "32767"
        public var samplesPerRecord = "10"
        public init() {}
        public static func annotations(_ bytes: Int) -> Signal {
            var s = Signal()
            s.label = "EDF Annotations"
            s.physicalMinimum = "-1"
            s.physicalMaximum = "1"
            s.samplesPerRecord = "\(bytes / 2)"
            return s
        }
    }

    public var version = "0"
    public var startDate = "26.11.26"
    public var startTime = "09.30.05"
    public var headerBytes: String?
    public var reserved = "EDF+C"
    public var recordCount = "2"
    public var recordDuration = "1"
    public var signalCount: String?
    public var signals: [Signal] = [Signal(), .annotations(60)]
    /// Each record's annotation-signal bytes (padded with zeros); default: the
    /// time-keeping TAL `+r\u{14}\u{14}\0`.
    public var annotationBytes: ((Int) -> [UInt8])?
    /// Records written (default: the declared count, or 2).
    public var recordsWritten: Int?

    public init() {}

    /// Byte offsets of the per-signal fields for `ns` signals (EDF spec column order).
    public static func offset(of column: String, signal i: Int, signals ns: Int) -> Int {
        let widths: [(String, Int)] = [("label", 16), ("transducer", 80), ("dimension", 8), ("physical minimum", 8), ("physical maximum", 8),
                                       ("digital minimum", 8), ("digital maximum", 8), ("prefiltering", 80), ("samples per record", 8), ("reserved", 32)]
        var offset = 256
        for (name, width) in widths {
            if name == column { return offset + i * width }
            offset += width * ns
        }
        fatalError("no column \(column)")
    }

    static func field(_ text: String, _ width: Int) -> [UInt8] {
        var bytes = Array(text.utf8.prefix(width))
        bytes += Array(repeating: UInt8(ascii: " "), count: width - bytes.count)
        return bytes
    }

    public func header() -> [UInt8] {
        let ns = signals.count
        var out = version == "BIOSEMI" ? [0xFF] + Array("BIOSEMI".utf8) : Self.field(version, 8)
        out += Self.field("X X X X", 80) + Self.field("Startdate X", 80)
        out += Self.field(startDate, 8) + Self.field(startTime, 8)
        out += Self.field(headerBytes ?? "\(256 * (ns + 1))", 8)
        out += Self.field(reserved, 44) + Self.field(recordCount, 8) + Self.field(recordDuration, 8)
        out += Self.field(signalCount ?? "\(ns)", 4)
        for s in signals { out += Self.field(s.label, 16) }
        for _ in signals { out += Self.field("", 80) }
        for _ in signals { out += Self.field("uV", 8) }
        for s in signals { out += Self.field(s.physicalMinimum, 8) }
        for s in signals { out += Self.field(s.physicalMaximum, 8) }
        for s in signals { out += Self.field(s.digitalMinimum, 8) }
        for s in signals { out += Self.field(s.digitalMaximum, 8) }
        for _ in signals { out += Self.field("", 80) }
        for s in signals { out += Self.field(s.samplesPerRecord, 8) }
        for _ in signals { out += Self.field("", 32) }
        return out
    }

    /// Header plus records: ordinary signals hold a ramp, annotation signals a TAL.
    public func bytes(bytesPerSample: Int = 2) -> [UInt8] {
        var out = header()
        let records = recordsWritten ?? Int(recordCount).flatMap { $0 >= 0 ? $0 : nil } ?? 2
        for r in 0..<records {
            for s in signals {
                let n = max(0, Int(s.samplesPerRecord) ?? 0)
                if s.label.hasSuffix("Annotations") {
                    var tal = annotationBytes?(r) ?? Array("+\(r)\u{14}\u{14}\u{0}".utf8)
                    tal = Array(tal.prefix(n * bytesPerSample))
                    out += tal + Array(repeating: 0, count: n * bytesPerSample - tal.count)
                } else {
                    for i in 0..<n {
                        let v = UInt32(bitPattern: Int32(i * 100 - 500))
                        out += (0..<bytesPerSample).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
                    }
                }
            }
        }
        return out
    }

    public func write(_ ext: String = "edf") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-hostile-\(UUID().uuidString).\(ext)").path
        try Data(bytes(bytesPerSample: ext == "bdf" ? 3 : 2)).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Offsets for the builder's default layout: one EEG signal and the annotations signal.
/// Signal 1's fields: physical minimum 256 + 2 × (16 + 80 + 8) = 464, physical maximum
/// 480, digital minimum 496, digital maximum 512, samples per record 496 + 2 × (8 + 8 + 80) = 688.
public enum Offset {
    public static let physicalMinimum = 464, physicalMaximum = 480, digitalMinimum = 496, digitalMaximum = 512, samples = 688
}

/// A crafted file and what must be said about it.
public struct HostileCase: CustomStringConvertible, Sendable {
    public let name: String
    public let build: @Sendable () -> HostileEDF
    /// The error's kind (the EDFError case name), field and byte offset.
    public let kind: String
    public let field: String
    public let offset: Int

    public var description: String { name }

    static func edf(_ name: String, kind: String = "badField", field: String, offset: Int, _ change: @escaping @Sendable (inout HostileEDF) -> Void) -> HostileCase {
        HostileCase(name: name, build: { var f = HostileEDF(); change(&f); return f }, kind: kind, field: field, offset: offset)
    }

    /// Every class the reader must refuse: header numbers that parse but are absurd,
    /// that overflow when combined, garbage, inconsistent sizes, malformed TALs.
    public static let all: [HostileCase] = [
        edf("record duration 1e308", field: "duration of a data record", offset: 244) { $0.recordDuration = "1e308" },
        edf("record duration 1e-300 (infinite rate)", field: "duration of a data record", offset: 244) { $0.recordDuration = "1e-300" },
        edf("record duration subnormal", field: "duration of a data record", offset: 244) { $0.recordDuration = "4.9e-324" },
        edf("record duration 0 with signals", field: "duration of a data record", offset: 244) { $0.recordDuration = "0" },
        edf("annotations only", field: "label of signal 1", offset: 256) { $0.signals = [.annotations(60)] },
        edf("record duration negative", field: "duration of a data record", offset: 244) { $0.recordDuration = "-1" },
        edf("record duration NaN", field: "duration of a data record", offset: 244) { $0.recordDuration = "nan" },
        edf("record duration inf", field: "duration of a data record", offset: 244) { $0.recordDuration = "inf" },
        edf("record duration hex float", field: "duration of a data record", offset: 244) { $0.recordDuration = "0x1p-3" },
        edf("record duration garbage", field: "duration of a data record", offset: 244) { $0.recordDuration = "1,5" },
        edf("huge records × duration", field: "duration of a data record", offset: 244) { $0.recordDuration = "1000000"; $0.recordCount = "2000" ; $0.recordsWritten = 2000 },
        edf("physical range overflows", field: "physical minimum of signal 1", offset: Offset.physicalMinimum) { $0.signals[0].physicalMinimum = "-1e308"; $0.signals[0].physicalMaximum = "1e308" },
        edf("physical maximum infinite", field: "physical maximum of signal 1", offset: Offset.physicalMaximum) { $0.signals[0].physicalMaximum = "1e999" },
        edf("physical minimum = maximum", field: "physical minimum/maximum of signal 1", offset: Offset.physicalMinimum) { $0.signals[0].physicalMaximum = "-100" },
        edf("physical range vanishing", field: "physical minimum/maximum of signal 1", offset: Offset.physicalMinimum) { $0.signals[0].physicalMinimum = "0"; $0.signals[0].physicalMaximum = "1e-300" },
        edf("digital minimum = maximum", field: "digital minimum/maximum of signal 1", offset: Offset.digitalMinimum) { $0.signals[0].digitalMaximum = "-32768" },
        edf("digital range reversed", field: "digital minimum/maximum of signal 1", offset: Offset.digitalMinimum) { $0.signals[0].digitalMinimum = "100"; $0.signals[0].digitalMaximum = "-100" },
        edf("digital maximum beyond 16 bits", field: "digital maximum of signal 1", offset: Offset.digitalMaximum) { $0.signals[0].digitalMaximum = "40000" },
        edf("digital minimum garbage", field: "digital minimum of signal 1", offset: Offset.digitalMinimum) { $0.signals[0].digitalMinimum = "-3\u{0}768" },
        edf("digital maximum with a fraction", field: "digital maximum of signal 1", offset: Offset.digitalMaximum) { $0.signals[0].digitalMaximum = "32767.5" },
        edf("samples per record 0", field: "samples per record of signal 1", offset: Offset.samples) { $0.signals[0].samplesPerRecord = "0" },
        edf("samples per record negative", field: "samples per record of signal 1", offset: Offset.samples) { $0.signals[0].samplesPerRecord = "-10" },
        edf("samples per record huge (rate)", field: "samples per record of signal 1", offset: Offset.samples) { $0.signals[0].samplesPerRecord = "99999999"; $0.recordsWritten = 0 },
        edf("one record larger than the file, never closed", field: "samples per record of signal 1", offset: Offset.samples) {
            $0.signals[0].samplesPerRecord = "99999"; $0.recordCount = "-1"; $0.recordsWritten = 0
        },
        edf("one record larger than the file, no records", field: "samples per record of signal 2", offset: Offset.samples + 8) {
            $0.signals[1].samplesPerRecord = "900000"; $0.recordCount = "0"; $0.recordsWritten = 0
        },
        edf("samples × records beyond the file", field: "samples per record of signal 1", offset: Offset.samples) {
            $0.recordDuration = "100"; $0.signals[0].samplesPerRecord = "99999999"; $0.recordCount = "99999999"; $0.recordsWritten = 0
        },
        edf("record count beyond the file", kind: "recordCountMismatch", field: "number of data records", offset: 236) { $0.recordCount = "5"; $0.recordsWritten = 2 },
        edf("record count below -1", field: "number of data records", offset: 236) { $0.recordCount = "-2" },
        edf("record count garbage", field: "number of data records", offset: 236) { $0.recordCount = "２" },
        edf("header bytes disagree with signals", field: "number of bytes in header", offset: 184) { $0.headerBytes = "1024" },
        edf("signal count 0", field: "number of signals", offset: 252) { $0.signalCount = "0" },
        edf("signal count huge", field: "number of signals", offset: 252) { $0.signalCount = "9999" },
        edf("signal count garbage", field: "number of signals", offset: 252) { $0.signalCount = "2a" },
        edf("EDF+D without an annotations signal", field: "reserved", offset: 192) { $0.reserved = "EDF+D"; $0.signals = [HostileEDF.Signal()] },
        edf("TAL without terminators", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 4) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100) } },
        edf("TAL onset NaN", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+nan\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL onset infinite", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+inf\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL onset negative", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}-5\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL onset absurd", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+99999999999\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL onset with exponent", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+1e308\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL duration negative", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 10) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+0.5\u{15}-3\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL duration NaN", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 10) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}+0.5\u{15}nan\u{14}x\u{14}\u{0}".utf8) } },
        edf("TAL garbage between lists", kind: "badAnnotation", field: "annotations", offset: 768 + 20 + 5) { $0.annotationBytes = { r in Array("+\(r)\u{14}\u{14}\u{0}junk".utf8) } },
        edf("EDF+D record without time-keeping", kind: "badAnnotation", field: "annotations", offset: 768 + 20) { $0.reserved = "EDF+D"; $0.annotationBytes = { _ in [] } },
        edf("EDF+D records overlapping", kind: "badAnnotation", field: "annotations", offset: 768 + 80 + 20) { $0.reserved = "EDF+D"; $0.annotationBytes = { r in Array("+\(Double(r) * 0.5)\u{14}\u{14}\u{0}".utf8) } },
    ]
}

