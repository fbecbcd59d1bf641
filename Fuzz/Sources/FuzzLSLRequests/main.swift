// The LSL outlet's request parsers on arbitrary bytes, as the network delivers them: a
// UDP datagram, a TCP request, a discovery query and an lsl_api.cfg text. The first byte
// picks the parser. No trap; what is accepted stays within the parsers' stated bounds.
@testable import EEGLSL
import FuzzSupport

runFuzzer { data, size in
    guard size > 0, let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0:
        if let request = LSLDatagramRequest.parse(bytes) {
            invariant(bytes.count <= LSLDatagramRequest.maximumBytes, "a datagram of \(bytes.count) bytes accepted")
            if case .shortinfo(_, let port, let id) = request { invariant(port > 0 && id.utf8.count <= 64, "return port \(port), id \(id.utf8.count) bytes") }
        }
    case 1:
        if case .complete(let request)? = try? LSLRequestParser.parse(bytes) {
            invariant(bytes.count <= LSLRequestParser.maximumRequestBytes + LSLRequestParser.maximumLineBytes, "a request of \(bytes.count) bytes accepted")
            if case .streamfeed(let feed) = request { invariant(feed.protocolVersion >= 110 && feed.maxBufferedSamples >= 0 && feed.chunkLength >= 0, "\(feed)") }
        }
    case 2:
        let fields = ["name": "EEG", "type": "EEG", "source_id": "s", "session_id": "default", "channel_count": "8"]
        _ = LSLQuery.matches(String(decoding: bytes, as: UTF8.self), fields: fields)
    default:
        if let configuration = try? LSLConfiguration(iniText: String(decoding: bytes, as: UTF8.self)) {
            invariant((1...65535).contains(configuration.basePort) && (1...65535).contains(configuration.multicastPort), "ports \(configuration.basePort), \(configuration.multicastPort)")
            invariant(configuration.allowIPv4 || configuration.allowIPv6, "neither IPv4 nor IPv6")
        }
    }
    return 0
}
