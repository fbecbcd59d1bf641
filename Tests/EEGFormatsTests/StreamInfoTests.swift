import Foundation
import TestSupport
import Testing
@testable import EEGFormats

/// The LSL/XDF stream description against liblsl's own rendering (Fixtures/lsl, written by
/// pylsl 1.18 through Fixtures/lsl/generate.py), and the XML parser against hostile input.
@Suite("Stream description (LSL info / XDF stream header)")
struct StreamInfoTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Fixtures.url("lsl/\(name)")))
    }

    static var eeg: StreamInfo {
        var info = StreamInfo(name: "Cyton & <Daisy>", type: "EEG", channelCount: 3, nominalRate: 250,
                              channelFormat: .float32, sourceID: "DM00EEGK",
                              channels: ["Fp1", "Fp2", "C3"].map { .init(label: $0, unit: "microvolts", type: "EEG") })
        info.sessionID = ""
        info.descriptionExtras = [XMLElement(name: "acquisition", children: [XMLElement(name: "manufacturer", text: "OpenBCI")])]
        return info
    }

    @Test("rendered byte for byte as liblsl renders the same description (full and with an empty desc)")
    func rendersAsLiblsl() throws {
        #expect(Self.eeg.xml(includingDescription: true) == String(decoding: try Self.fixture("eeg-info.xml"), as: UTF8.self))
        var markers = StreamInfo(name: "Markers", type: "Markers", channelCount: 1, nominalRate: 0, channelFormat: .string, sourceID: "psychopy-1")
        markers.sessionID = ""
        #expect(markers.xml(includingDescription: false) == String(decoding: try Self.fixture("markers-info.xml"), as: UTF8.self))
    }

    @Test("liblsl's document reads back into every field, entities resolved, other desc children kept")
    func readsLiblsl() throws {
        let info = try StreamInfo(xml: Self.fixture("eeg-info.xml"))
        #expect(info == Self.eeg)
        #expect(info.name == "Cyton & <Daisy>" && info.channels.map(\.label) == ["Fp1", "Fp2", "C3"])
        let markers = try StreamInfo(xml: Self.fixture("markers-info.xml"))
        #expect(markers.channelFormat == .string && markers.nominalRate == 0 && markers.channels.isEmpty)
    }

    @Test("a description survives rendering and reading with every field set")
    func roundTrip() throws {
        var info = Self.eeg
        info.createdAt = 12345.678901234
        info.uid = "6e1a5a3c-0000-4000-8000-000000000001"
        info.hostname = "lab-pc"
        info.v4Address = "127.0.0.1"
        info.v4DataPort = 16572
        info.v4ServicePort = 16573
        info.v6DataPort = 65535
        #expect(try StreamInfo(xml: Array(info.xml(includingDescription: true).utf8)) == info)
        var short = info
        short.channels = []
        short.descriptionExtras = []
        #expect(try StreamInfo(xml: Array(info.xml(includingDescription: false).utf8)) == short)
    }

    @Test("missing and out-of-range fields are refused by kind, naming the field",
          arguments: [
              ("<info><type>EEG</type></info>", StreamInfoError.missingField("name")),
              ("<info><name>x</name><channel_format>float32</channel_format><nominal_srate>1</nominal_srate></info>", .missingField("channel_count")),
              ("<info><name>x</name><channel_count>1</channel_count><channel_format>float128</channel_format><nominal_srate>1</nominal_srate></info>",
               .badValue(field: "channel_format", found: "float128", expected: "one of float32, double64, string, int32, int16, int8, int64")),
              ("<info><name>x</name><channel_count>99999999999</channel_count><channel_format>float32</channel_format><nominal_srate>1</nominal_srate></info>",
               .badValue(field: "channel_count", found: "99999999999", expected: "a whole number in 0…65535")),
              ("<info><name>x</name><channel_count>1</channel_count><channel_format>float32</channel_format><nominal_srate>nan</nominal_srate></info>",
               .badValue(field: "nominal_srate", found: "nan", expected: "a finite number ≥ 0")),
              ("<info><name>x</name><channel_count>1</channel_count><channel_format>float32</channel_format><nominal_srate>1e-300</nominal_srate><v4data_port>70000</v4data_port></info>",
               .badValue(field: "v4data_port", found: "70000", expected: "a whole number in 0…65535")),
          ])
    func refusesFields(xml: String, error: StreamInfoError) {
        #expect(throws: error) { try StreamInfo(xml: Array(xml.utf8)) }
    }

    @Test("malformed XML is refused with the byte where reading stopped",
          arguments: [
              ("<info><name>x</name>", 20, "the document ends inside <info>"),
              ("<info><name>x</nam></info>", 13, "</nam> closes <name>"),
              ("<!DOCTYPE info [<!ENTITY a \"b\">]><info/>", 0, "document type declarations are not accepted"),
              ("<info>&bogus;</info>", 6, "an unknown reference '&bogus;'"),
              ("<info>&#0;</info>", 6, "an unknown reference '&#0;'"),
              ("<info/><info/>", 7, "content after the root element"),
              ("<info><!-- never closed </info>", 6, "an unterminated comment"),
              ("", 0, "no root element"),
          ])
    func refusesMalformed(xml: String, offset: Int, reason: String) {
        #expect(throws: StreamInfoError.malformedXML(offset: offset, reason: reason)) { try XMLTree.parse(Array(xml.utf8)) }
    }

    @Test("nesting and element counts beyond the bounds are refused, not recursed into")
    func bounded() {
        // The 33rd <a> starts at byte 32 × 3; the 11th element (the 10th <b/>) at 3 + 9 × 4.
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(throws: StreamInfoError.malformedXML(offset: 96, reason: "elements nested deeper than 32")) { try XMLTree.parse(Array(deep.utf8)) }
        let wide = "<a>" + String(repeating: "<b/>", count: 11) + "</a>"
        #expect(throws: StreamInfoError.malformedXML(offset: 39, reason: "more than 10 elements")) { try XMLTree.parse(Array(wide.utf8), maxElements: 10) }
    }

    @Test("text: references, CDATA and comments inside, whitespace-only layout dropped")
    func text() throws {
        let root = try XMLTree.parse(Array("<?xml version=\"1.0\"?>\n<!-- c --><a x='1'>\n\t<b>&lt;&#x3bc;V&#62; <![CDATA[<raw>]]></b><!-- c --><c/>\n</a>\n".utf8))
        #expect(root == XMLElement(name: "a", children: [XMLElement(name: "b", text: "<μV> <raw>"), XMLElement(name: "c")]))
    }
}
