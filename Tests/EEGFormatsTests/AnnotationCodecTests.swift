import EEGCore
import Foundation
import Testing
@testable import EEGFormats

/// Annotation kinds ↔ EDF+ text: one codec, every kind round-trips (as text and through a
/// file), and the texts EEGKit wrote before kinds existed decode to the same kinds.
@Suite("Annotation codec")
struct AnnotationCodecTests {
    static let everyKind: [AnnotationKind] = [
        .marker("eyes closed"), .marker(""), .marker("EEGKit: 3 samples lost (x); zeros here are not data"),
        .samplesLost(count: 30, cause: .ringOverflow), .samplesLost(count: 1, cause: .notReceived),
        .samplesLost(count: 300, cause: .notRecorded), .samplesLost(count: 7, cause: .other("cable pulled")), .padding, .disconnected, .reconnected,
        .deviceFailed("USB error while reading: LIBUSB_ERROR_IO (libusb -1)"),
        .recordingStarted(source: "simulated headset (8 ch, 250.0 Hz, seed 1)"), .recordingStarted(source: nil),
        .recordingEnded, .annotationsNotStored(count: 1), .annotationsNotStored(count: 9717), .markersDropped(count: 12),
        .note("eyes open"), .note("Stimulus: tone 1 kHz"),
    ]

    @Test("every kind survives text and back")
    func textRoundTrip() {
        for kind in Self.everyKind {
            #expect(AnnotationCodec.kind(of: AnnotationCodec.text(for: kind)) == kind, "\(kind)")
        }
    }

    @Test("every kind survives an EDF+ file: written as TALs, read back, decoded")
    func fileRoundTrip() throws {
        let path = temporaryPath("bdf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try EDFWriter(path: path, flavor: .bdf, channels: cytonChannels(1, rate: 10), start: start)
        for (i, kind) in Self.everyKind.enumerated() { writer.annotate(kind, onset: Double(i) * 0.1) }
        try [Float](repeating: 1, count: 30).withUnsafeBufferPointer { try writer.append($0) }
        try writer.close()
        let read = try EDFReader(path: path).allAnnotations().map(\.kind)
        #expect(Array(read.prefix(Self.everyKind.count)) == Self.everyKind)
        #expect(read.count == Self.everyKind.count)
    }

    /// The exact texts earlier versions wrote (EDFWriter, Recorder, StreamSession,
    /// AnnotationQueue), typed out here rather than produced by the codec.
    @Test("a paused recording's loss is written in words a person reads")
    func notRecordedText() {
        #expect(AnnotationCodec.text(for: .samplesLost(count: 300, cause: .notRecorded))
                == "EEGKit: 300 samples lost (the recording paused); zeros here are not data")
    }

    @Test("texts written before kinds existed are recognised")
    func earlierProse() {
        let earlier: [(String, AnnotationKind)] = [
            ("EEGKit: 250 samples lost (the ring buffer was full); zeros here are not data", .samplesLost(count: 250, cause: .ringOverflow)),
            ("EEGKit: 4 samples lost (not received from the device); zeros here are not data", .samplesLost(count: 4, cause: .notReceived)),
            ("EEGKit: 30 samples lost (ring buffer full); zeros here are not data", .samplesLost(count: 30, cause: .other("ring buffer full"))),
            ("EEGKit: recording ended; the rest of this record is padding, not data", .padding),
            ("Recording starts (EEGKit, simulated headset (8 ch, 250.0 Hz, seed 1))", .recordingStarted(source: "simulated headset (8 ch, 250.0 Hz, seed 1)")),
            ("Recording starts (EEGKit, OpenBCI Cyton on /dev/ttyUSB0)", .recordingStarted(source: "OpenBCI Cyton on /dev/ttyUSB0")),
            ("Recording ends", .recordingEnded),
            ("Device disconnected", .disconnected), ("Device reconnected", .reconnected),
            ("Device failed: the board stopped sending; reconnecting", .deviceFailed("the board stopped sending; reconnecting")),
            ("Marker: eyes closed", .marker("eyes closed")),
            ("Marker: a long one [part 1 of 2]", .marker("a long one [part 1 of 2]")),
            ("EEGKit: 1 annotation not stored (they came faster than the file's annotation space could hold them)", .annotationsNotStored(count: 1)),
            ("EEGKit: 5 annotations not stored (they came faster than the file's annotation space could hold them)", .annotationsNotStored(count: 5)),
            ("EEGKit: 3 markers dropped (they came faster than they could be stored)", .markersDropped(count: 3)),
        ]
        for (text, kind) in earlier {
            #expect(AnnotationCodec.kind(of: text) == kind, "\(text)")
            #expect(AnnotationCodec.text(for: kind) == text, "the codec still writes \(text)")
        }
    }

    @Test("as lenient as the readers were: any EEGKit text about lost samples or padding keeps its meaning")
    func lenientOwnTexts() {
        #expect(AnnotationCodec.kind(of: "EEGKit: samples lost somewhere") == .samplesLost(count: 0, cause: .other("EEGKit: samples lost somewhere")))
        #expect(AnnotationCodec.kind(of: "EEGKit: 99999999999999999999999 samples lost (x); zeros here are not data").marksFillerSamples)
        #expect(AnnotationCodec.kind(of: "EEGKit: the rest is padding").marksFillerSamples)
        #expect(AnnotationCodec.kind(of: "EEGKit: something else") == .note("EEGKit: something else"))
        // Other tools' texts are notes, whatever words they use.
        #expect(AnnotationCodec.kind(of: "samples lost (EDFbrowser)") == .note("samples lost (EDFbrowser)"))
        #expect(AnnotationCodec.kind(of: "Recording starts soon") == .note("Recording starts soon"))
        #expect(!AnnotationCodec.kind(of: "padding").marksFillerSamples)
    }

    @Test("categories and drop policy follow the kind")
    func categories() {
        #expect(AnnotationKind.marker("x").category == .marker && AnnotationKind.note("x").category == .marker)
        #expect(AnnotationKind.samplesLost(count: 1, cause: .ringOverflow).category == .gap && AnnotationKind.padding.category == .gap)
        for kind: AnnotationKind in [.disconnected, .reconnected, .deviceFailed("x"), .recordingStarted(source: nil), .recordingEnded,
                                     .annotationsNotStored(count: 1), .markersDropped(count: 1)] {
            #expect(kind.category == .recording && !kind.mayBeDropped && !kind.marksFillerSamples, "\(kind)")
        }
        #expect(AnnotationKind.marker("x").mayBeDropped && !AnnotationKind.padding.mayBeDropped)
    }

    /// What makes rewording safe: replay, analyze and the report decide from kinds, so the
    /// words live in the codec alone. Scans the package's sources for annotation prose or
    /// text matching anywhere else.
    @Test("no source outside the codec writes or matches annotation prose")
    func codecIsTheOnlyPlaceWithTheWords() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let patterns = [#"\.text\.(hasPrefix|hasSuffix|contains|range|starts)"#, #"\.text ==|== [a-z]+\.text\b"#,
                        #""EEGKit: "#, "zeros here are not data", "padding, not data", #""Device (dis|re)connected""#,
                        #""Recording (starts|ends)"#, #""Marker: "#, "markers dropped \\(", "not stored \\(they"]
        var scanned = 0
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        for file in files where !file.hasSuffix("AnnotationCodec.swift") {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
            scanned += 1
            for pattern in patterns {
                #expect(text.range(of: pattern, options: .regularExpression) == nil, "\(file) matches \(pattern)")
            }
        }
        #expect(scanned > 50, "the scan found the sources (\(sources.path))")
    }
}
