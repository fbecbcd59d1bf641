// The marker inlet's parsers on arbitrary bytes, as a hostile outlet could send them: the
// streamfeed reply (header, test patterns, samples) cut into pieces at arbitrary points,
// a shortinfo reply and a time-service reply. The first byte picks the parser and, for
// the feed, the stream's format and channel count. No trap; the bytes held back stay
// within one sample's bound; a piecewise parse gives what the whole parse gives: the same
// samples and, when it fails, the same samples before the same error.
@testable import EEGLSL
import EEGFormats
import FuzzSupport

runFuzzer { data, size in
    guard size > 1, let data else { return 0 }
    let selector = data[0], cut = Int(data[1])
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    switch selector % 4 {
    case 0, 1:
        let formats = StreamInfo.ChannelFormat.allCases
        let format = formats[Int(selector / 4) % formats.count]
        let channels = 1 + Int(selector / 32) % 3
        guard let parser = try? LSLFeedParser(channelCount: channels, format: format, nominalRate: selector % 4 == 0 ? 0 : 250) else { return 0 }
        var whole = parser, pieces = parser
        // A call with no bytes surfaces an error deferred behind samples; the samples the
        // first call returned before it are kept, to be compared with the pieces'.
        var wholeSamples: [LSLInletSample] = []
        var wholeError: LSLInletError?
        do throws(LSLInletError) {
            wholeSamples = try whole.consume(bytes)
            wholeSamples += try whole.consume([])
        } catch { wholeError = error }
        var pieceSamples: [LSLInletSample] = []
        var pieceError: LSLInletError?
        let step = max(1, cut)
        var start = 0
        while start < bytes.count, pieceError == nil {
            let end = min(bytes.count, start + step)
            do throws(LSLInletError) { pieceSamples += try pieces.consume(bytes[start..<end]) } catch { pieceError = error }
            start = end
        }
        if pieceError == nil {
            do throws(LSLInletError) { pieceSamples += try pieces.consume([]) } catch { pieceError = error }
        }
        // Failing or not, the pieces return the same samples (before the same error).
        invariant(pieceSamples == wholeSamples, "pieces of \(step) bytes return other samples")
        invariant(pieceError == wholeError, "pieces of \(step) bytes end otherwise: \(String(describing: pieceError)) vs \(String(describing: wholeError))")
        invariant(wholeSamples.allSatisfy { $0.values.count == channels && $0.timestamp.isFinite }, "a sample of the wrong shape")
    case 2:
        if let info = LSLReplyParser.shortInfo(bytes, queryID: "42") {
            invariant(info.channelCount <= StreamInfo.maxChannels && (0...65535).contains(info.v4DataPort), "\(info)")
        }
    default:
        if let reply = LSLReplyParser.timeReply(bytes) {
            invariant(reply.t0.isFinite && reply.t1.isFinite && reply.t2.isFinite, "non-finite time")
            _ = LSLTimeCorrection.fromProbe(t0: reply.t0, t1: reply.t1, t2: reply.t2, t3: reply.t0)
        }
    }
    return 0
}
