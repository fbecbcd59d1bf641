import EEGCore
import EEGDevices

/// The Cyton decoder on a long byte stream, pushing every frame into a ring that is
/// drained as it fills: the device thread's whole per-packet work.
public final class CytonDecodeWorkload {
    public let bytes: [UInt8]
    public let packets: Int

    public init(packets: Int) {
        self.packets = packets
        var stream: [UInt8] = []
        stream.reserveCapacity(packets * 33)
        for i in 0..<packets {
            let counts = (0..<8).map { c in Int32((i * 7919 + c * 104_729) % 8_000_000) - 4_000_000 }
            CytonPacketStream.append(sampleNumber: i, counts: counts, to: &stream)
        }
        bytes = stream
    }

    /// Decodes the stream in 62-byte pieces (one FTDI packet's payload each) and returns
    /// a checksum of the frames.
    public func run() -> Double {
        let (producer, consumer) = try! FrameRing.create(channels: 8, capacity: 4096)
        var decoder = CytonDecoder()
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8 * 4096)
        let indices = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 4096)
        defer { out.deallocate(); indices.deallocate() }
        var checksum = 0.0
        bytes.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + 62, all.count)
                decoder.decode(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { event in
                    if case .frame(let index, let samples, _) = event { producer.push(frame: samples, sampleIndex: index) }
                }
                offset = end
                if producer.freeFrameCount < 64 {
                    let n = consumer.pop(into: out, sampleIndices: indices)
                    checksum += Double(out[0]) + Double(indices[n - 1])
                }
            }
        }
        return checksum
    }
}
