@testable import EEGKit
import Foundation
import Testing

/// The merge's reader-to-renderer hand-over: every event, in order, none after the reader's
/// failure, with the reader held back when the pipe is full (run under TSan too).
@Suite("Shard event pipe: every event in order across two threads")
struct ShardEventPipeTests {
    static func event(_ i: Int) -> BatchAnalysis.Event { .failed(path: "f\(i)", message: "\(i)", kind: .badData) }

    /// The events a reader thread puts (`count`, then the end with `failure`), as taken.
    static func handOver(count: Int, capacity: Int, failure: ShardError?) -> (paths: [String], failure: ShardError?, mostWaiting: Int) {
        let pipe = ShardEventPipe<BatchAnalysis.Event>(capacity: capacity)
        let reader = Thread {
            for i in 0..<count { pipe.put(event(i)) }
            pipe.end(failure)
        }
        reader.start()
        var paths: [String] = [], mostWaiting = 0
        while let events = pipe.take() {
            mostWaiting = max(mostWaiting, events.count)
            for case .failed(let path, _, _) in events { paths.append(path) }
        }
        return (paths, pipe.readFailure, mostWaiting)
    }

    @Test("20 000 events through a pipe of 7: all of them, in order, never more than 7 waiting")
    func order() {
        let result = Self.handOver(count: 20_000, capacity: 7, failure: nil)
        #expect(result.paths == (0..<20_000).map { "f\($0)" })
        #expect(result.failure == nil)
        #expect(result.mostWaiting <= 7)
    }

    @Test("the reader's failure comes after the events it read before it")
    func failure() {
        let error = ShardError(path: "s.jsonl", .malformed("line 9 (byte 100) is not an epoch record: at column 3: expected a number"))
        let result = Self.handOver(count: 500, capacity: 16, failure: error)
        #expect(result.paths.count == 500)
        #expect(result.failure == error)
        #expect(Self.handOver(count: 0, capacity: 4, failure: nil).paths.isEmpty)
    }
}
