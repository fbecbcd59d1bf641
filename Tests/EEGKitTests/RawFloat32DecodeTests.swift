import EEGKit
import Foundation
import Testing

/// The float32 reader decodes a chunk with one bulk copy and one branch-free scan for
/// non-finite values: every bit pattern with an all-ones exponent (NaN of any payload or
/// sign, ±∞) must still be found, at the right frame and channel, wherever it sits in a
/// large chunk — and no finite value (the largest, subnormals, −0) may be taken for one.
@Suite("Raw float32 decoding")
struct RawFloat32DecodeTests {
    static let channels = 3, frames = 10_000

    func file(_ values: [Float]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-raw-\(UUID().uuidString).f32").path
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    func readAll(_ path: String) throws -> [Float] {
        var reader = RawFloat32Reader(input: try InputFile(path: path), channelCount: Self.channels)
        var all: [Float] = [], chunk: [Float] = []
        while try reader.nextChunk(into: &chunk) > 0 { all += chunk }
        return all
    }

    @Test("non-finite bit patterns are found at their frame and channel anywhere in a chunk",
          arguments: [0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFFFF_FFFF, 0x7F80_0000, 0xFF80_0000] as [UInt32])
    func nonFinite(bits: UInt32) throws {
        for position in [0, 1, 4_999 * Self.channels + 2, Self.frames * Self.channels - 1] {
            var values = (0..<(Self.frames * Self.channels)).map { Float($0 % 97) - 40 }
            values[position] = Float(bitPattern: bits)
            let path = try file(values)
            defer { unlink(path) }
            #expect(throws: InputError.nonFinite(source: path, frame: position / Self.channels, channel: position % Self.channels)) {
                _ = try readAll(path)
            }
        }
    }

    @Test("finite extremes come back bit for bit")
    func finiteExtremes() throws {
        let extremes: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 .leastNormalMagnitude, -0.0, 0, 1, -1]
        let values = (0..<(Self.frames * Self.channels)).map { extremes[$0 % extremes.count] }
        let path = try file(values)
        defer { unlink(path) }
        #expect(try readAll(path).map(\.bitPattern) == values.map(\.bitPattern))
    }
}
