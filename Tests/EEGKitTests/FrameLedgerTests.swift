import Testing
@testable import EEGKit

/// The session's frame ledger, frame by frame: delivered + lost = device time.
@Suite("Frame ledger")
struct FrameLedgerTests {
    static func Gap(frames: Int, beforeSampleIndex: Int64, ringFull: Bool) -> FrameGap {
        FrameGap(frames: frames, beforeSampleIndex: beforeSampleIndex, cause: ringFull ? .ringOverflow : .notReceived)
    }

    @Test("index jumps are gaps; ring drops are not counted a second time")
    func jumps() {
        var ledger = FrameLedger(limit: nil)
        #expect(ledger.admit(index: 0, droppedBefore: 0) == (true, nil))
        #expect(ledger.admit(index: 1, droppedBefore: 0) == (true, nil))
        // 5 frames the ring dropped, then 3 the device never sent.
        #expect(ledger.admit(index: 7, droppedBefore: 5) == (true, Self.Gap(frames: 5, beforeSampleIndex: 7, ringFull: true)))
        #expect(ledger.admit(index: 11, droppedBefore: 0) == (true, Self.Gap(frames: 3, beforeSampleIndex: 11, ringFull: false)))
        #expect(ledger.delivered == 4 && ledger.lost == 8 && ledger.ringDropsSeen == 5)
    }

    @Test("device time starts at the first frame offered: drops before the first frame read are a gap")
    func leadingDrops() {
        var ledger = FrameLedger(limit: 10)
        #expect(ledger.admit(index: 4, droppedBefore: 4) == (true, Self.Gap(frames: 4, beforeSampleIndex: 4, ringFull: true)))
        #expect(ledger.origin == 0 && ledger.end == 10)
    }

    @Test("a gap across the end of the requested time is cut at the end; later frames are not the stream's")
    func clippedAtEnd() {
        var ledger = FrameLedger(limit: 100)
        for i in 0..<60 { _ = ledger.admit(index: Int64(i), droppedBefore: 0) }
        #expect(ledger.admit(index: 5000, droppedBefore: 4940) == (false, Self.Gap(frames: 40, beforeSampleIndex: 100, ringFull: true)))
        #expect(ledger.reachedEnd && ledger.delivered + ledger.lost == 100)
        #expect(ledger.admit(index: 5001, droppedBefore: 0) == (false, nil))
        #expect(ledger.ringDropsSeen == 4940)
        // Drops after the end are not the stream's.
        #expect(ledger.trailingGap(totalRingDrops: 6000) == nil)
    }

    @Test("ring drops after the last frame read, known only by count, become a gap at the end")
    func trailing() {
        var ledger = FrameLedger(limit: nil)
        for i in 0..<10 { _ = ledger.admit(index: Int64(i), droppedBefore: 0) }
        #expect(ledger.trailingGap(totalRingDrops: 7) == Self.Gap(frames: 7, beforeSampleIndex: 17, ringFull: true))
        #expect(ledger.lost == 7)
        #expect(ledger.trailingGap(totalRingDrops: 7) == nil, "counted once")
        // With a limit, cut at its end.
        var limited = FrameLedger(limit: 12)
        for i in 0..<10 { _ = limited.admit(index: Int64(i), droppedBefore: 0) }
        #expect(limited.trailingGap(totalRingDrops: 7) == Self.Gap(frames: 2, beforeSampleIndex: 12, ringFull: true))
        #expect(limited.delivered + limited.lost == 12)
    }

    @Test("a counter that jumps back loses nothing countable and the stream goes on")
    func backwards() {
        var ledger = FrameLedger(limit: nil)
        _ = ledger.admit(index: 100, droppedBefore: 0)
        #expect(ledger.admit(index: 3, droppedBefore: 0) == (true, nil))
        #expect(ledger.admit(index: 4, droppedBefore: 0) == (true, nil))
        #expect(ledger.lost == 0 && ledger.delivered == 3)
    }
}
