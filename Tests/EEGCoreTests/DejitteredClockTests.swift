import Testing
@testable import EEGCore

/// The de-jittered clock against a simulated device whose true sampling instants are
/// known: a crystal 0.04 % fast, batches seen up to 8 ms late, a counter gap.
@Suite("De-jittered sample clock")
struct DejitteredClockTests {
    /// A deterministic generator (no Foundation randomness: the same jitter every run).
    struct Lcg { var state: UInt64; mutating func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) } }

    /// Runs `seconds` of a 250 Hz device (true rate `trueRate`) in batches of `batch`
    /// samples; returns every sample's (index, timestamp, true time).
    func run(seconds: Double, trueRate: Double, batch: Int, jitter: Double, skip: Range<Int64>? = nil) -> [(Int64, Double, Double)] {
        var clock = DejitteredClock(nominalRate: 250)
        var random = Lcg(state: 42)
        var stamped: [(Int64, Double, Double)] = []
        var index: Int64 = 1000
        let start = 777.0
        while Double(index - 1000) < seconds * 250 {
            let batchIndices = (index..<(index + Int64(batch))).filter { !(skip?.contains($0) ?? false) }
            index += Int64(batch)
            guard let last = batchIndices.last else { continue }
            let trueTime = { (i: Int64) in start + Double(i - 1000) / trueRate }
            clock.observe(index: last, arrival: trueTime(last) + 0.001 + jitter * random.next())
            for i in batchIndices { stamped.append((i, clock.timestamp(of: i)!, trueTime(i))) }
        }
        return stamped
    }

    @Test("timestamps are evenly spaced and follow the true rate, not the nominal one")
    func evenAndTrue() {
        let trueRate = 250.1
        let stamped = run(seconds: 120, trueRate: trueRate, batch: 5, jitter: 0.008)
        var worstSpacing = 0.0
        for (a, b) in zip(stamped, stamped.dropFirst()) {
            let spacing = (b.1 - a.1) / Double(b.0 - a.0)
            worstSpacing = max(worstSpacing, abs(spacing - 1 / trueRate))
        }
        // Consecutive timestamps never jump by more than the slew allows over a batch
        // (0.5 ms/s × 20 ms) plus the rate's own difference (0.04 % of 4 ms).
        #expect(worstSpacing < 0.000012, "spacing off by \(worstSpacing * 1e6) µs")
        // After it settled (a minute: the rate is learnt slowly on purpose, so scheduling
        // noise cannot bend the timestamps), the error against the true instants is the
        // mean delay (1 ms + half the 8 ms jitter) within a millisecond: no drift at
        // 0.04 % off nominal, four times a typical crystal's tolerance. Before that it
        // stays within 2 ms of it.
        #expect(stamped.allSatisfy { abs($0.1 - $0.2 - 0.005) < 0.002 })
        let settled = stamped.filter { Double($0.0 - 1000) > 60 * 250 }
        let errors = settled.map { $0.1 - $0.2 }
        #expect(errors.allSatisfy { abs($0 - 0.005) < 0.001 }, "error range \(errors.min()!)…\(errors.max()!)")
    }

    @Test("a large contiguous batch after a stall, with the line above the fit: strictly increasing, evenly spaced")
    func largeBatchAfterStall() {
        // 16 kHz; the first batch is seen 20 ms late, so the stamped line starts above the
        // fit and is slewed down at the limit. Then the session stalls 150 ms and one
        // 2400-sample batch arrives: the whole correction for 150 ms (75 µs) exceeds a
        // period (62.5 µs), and must be spread over the batch, not taken at its start.
        let rate = 16_000.0
        var clock = DejitteredClock(nominalRate: rate)
        var stamps: [Double] = []
        var index: Int64 = 0
        func batch(_ count: Int64, lateBy delay: Double) {
            index += count
            clock.observe(index: index - 1, arrival: 100 + Double(index - 1) / rate + 0.001 + delay)
            for i in (index - count)..<index { stamps.append(clock.timestamp(of: i)!) }
        }
        batch(64, lateBy: 0.020)
        for _ in 0..<250 { batch(64, lateBy: 0) } // 1 s of 4 ms batches
        batch(2400, lateBy: 0)                     // after a 150 ms stall
        for _ in 0..<50 { batch(64, lateBy: 0) }
        let spacings = zip(stamps, stamps.dropFirst()).map { $1 - $0 }
        #expect(spacings.allSatisfy { $0 > 0 }, "first backward step \(spacings.firstIndex { $0 <= 0 } ?? -1): \(spacings.min()! * 1e6) µs")
        // Spacing stays within the slew (0.05 %) plus the period's own change (≤ 50 ppm/s × 2 s).
        let worst = spacings.map { abs($0 * rate - 1) }.max()!
        #expect(worst < 0.0006, "spacing off by \(worst * 100) %")
    }

    @Test("a counter gap moves the timestamps by the lost time")
    func gap() {
        let stamped = run(seconds: 30, trueRate: 250, batch: 5, jitter: 0.002, skip: 4000..<4250)
        let before = stamped.last { $0.0 < 4000 }!, after = stamped.first { $0.0 >= 4250 }!
        #expect(after.0 == 4250 && before.0 == 3999)
        // 251 sample periods apart, as the counter says (one second lost plus one period).
        #expect(abs((after.1 - before.1) - 251.0 / 250) < 0.0005)
    }

    @Test("before any observation there is no timestamp; the first batch is anchored at its arrival")
    func first() {
        var clock = DejitteredClock(nominalRate: 100)
        #expect(clock.timestamp(of: 5) == nil)
        clock.observe(index: 9, arrival: 50)
        #expect(clock.timestamp(of: 9) == 50)
        #expect(clock.timestamp(of: 0) == 50 - 0.09)
        clock.observe(index: 9, arrival: 80) // repeated index: ignored
        #expect(clock.timestamp(of: 9) == 50)
    }
}
