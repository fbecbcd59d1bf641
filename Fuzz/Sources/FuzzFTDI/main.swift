// The FTDI payload splitter: for any transfer length and packet size, the payloads are
// each packet minus its two status bytes, in order, and nothing outside the transfer is
// touched.
@testable import EEGDevices
import FuzzSupport

runFuzzer { data, size in
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = bytes.first else { return 0 }
    let packetSize = Int(first) % 130 + 1
    let transfer = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    var delivered = 0
    var expectedStart = 0
    forEachFTDIPayload(transfer, packetSize: packetSize) { payload in
        let start = payload.baseAddress! - transfer.baseAddress!
        invariant(start == expectedStart + 2, "payload at \(start), packet at \(expectedStart)")
        invariant(start + payload.count <= transfer.count, "payload past the transfer's end")
        invariant(payload.count <= packetSize - 2, "payload of \(payload.count) bytes in a \(packetSize)-byte packet")
        delivered += payload.count
        expectedStart += packetSize
    }
    let whole = transfer.count / packetSize, tail = transfer.count % packetSize
    let expected = whole * max(0, packetSize - 2) + max(0, tail - 2)
    invariant(delivered == expected, "delivered \(delivered) bytes, expected \(expected)")
    return 0
}
