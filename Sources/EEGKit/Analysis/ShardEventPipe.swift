import Foundation

/// The merge's hand-over between the thread that reads shard lines into events and the
/// thread that renders them, so that reading (most of `eeg merge`) and rendering run on
/// two cores. Bounded twice: the reader waits when `capacity` events are waiting, or when
/// the next one would take the waiting events' `size` past `byteBudget` (a rendered
/// shard's text blocks reach 256 KiB each), so memory holds at most that much whatever
/// the files' lengths. One event is always let through, however large. One reader, one
/// taker.
final class ShardEventPipe<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every stored property is touched only with `condition` locked.
    private let condition = NSCondition()
    private var waiting: [Item] = []
    private var ended = false
    private var failure: ShardError?
    private var waitingBytes = 0
    private let capacity: Int
    private let byteBudget: Int
    private let size: @Sendable (Item) -> Int

    /// - Parameter size: the bytes an event holds, roughly (counted against `byteBudget`).
    init(capacity: Int, byteBudget: Int = .max, size: @escaping @Sendable (Item) -> Int = { _ in 0 }) {
        self.capacity = capacity
        self.byteBudget = byteBudget
        self.size = size
    }

    /// Hands `event` over; waits while the pipe is full.
    func put(_ event: Item) {
        let bytes = size(event)
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= capacity || (!waiting.isEmpty && waitingBytes > byteBudget - bytes) { condition.wait() }
        waiting.append(event)
        waitingBytes += bytes
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
        waitingBytes = 0
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
