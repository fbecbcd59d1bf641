import Foundation

/// The merge's hand-over between the thread that reads shard lines into events and the
/// thread that renders them, so that reading (most of `eeg merge`) and rendering run on
/// two cores. Bounded: the reader waits when `capacity` events are waiting, so memory
/// holds at most that many whatever the files' lengths. One reader, one taker.
final class ShardEventPipe<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every stored property is touched only with `condition` locked.
    private let condition = NSCondition()
    private var waiting: [Item] = []
    private var ended = false
    private var failure: ShardError?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Hands `event` over; waits while the pipe is full.
    func put(_ event: Item) {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity { condition.wait() }
        waiting.append(event)
        if waiting.count == 1 { condition.broadcast() }
    }

    /// No more events; `failure` is what stopped the reader, if anything did.
    func end(_ failure: ShardError?) {
        condition.lock()
        defer { condition.unlock() }
        ended = true
        self.failure = failure
        condition.broadcast()
    }

    /// Every event waiting (at least one), or nil once the reader ended and all were
    /// taken — then `failure` says whether it read everything.
    func take() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !ended { condition.wait() }
        guard !waiting.isEmpty else { return nil }
        let taken = waiting
        waiting.removeAll(keepingCapacity: true)
        condition.broadcast()
        return taken
    }

    /// What stopped the reader (read after `take` returned nil).
    var readFailure: ShardError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }
}
