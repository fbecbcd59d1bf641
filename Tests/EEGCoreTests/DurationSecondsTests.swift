import Testing
@testable import EEGCore

/// The one Duration→number conversion: exact parts, rounding toward zero, clamping
/// instead of a trap.
@Suite("Duration conversions")
struct DurationSecondsTests {
    @Test("seconds include the attosecond part")
    func seconds() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration(secondsComponent: 2, attosecondsComponent: 250_000_000_000_000_000).inSeconds == 2.25)
        #expect(Duration.microseconds(-500).inSeconds == -0.0005)
        #expect(Duration.zero.inSeconds == 0)
    }

    @Test("whole units round toward zero and stay in range")
    func wholeUnits() {
        #expect(Duration.nanoseconds(1_999_999).whole(unitsPerSecond: 1000, clampedTo: 0...1000) == 1)
        #expect(Duration.milliseconds(2500).whole(unitsPerSecond: 1000, clampedTo: 0...10_000) == 2500)
        #expect(Duration.milliseconds(2500).whole(unitsPerSecond: 1_000_000_000, clampedTo: 0...Int64.max) == 2_500_000_000)
        #expect(Duration.milliseconds(50).whole(unitsPerSecond: 1000, clampedTo: 100...200) == 100)
        #expect(Duration.seconds(-3).whole(unitsPerSecond: 1000, clampedTo: 0...1000) == 0)
    }

    @Test("a duration too long for the unit clamps instead of overflowing")
    func overflow() {
        let huge = Duration.seconds(Int64.max)
        #expect(huge.whole(unitsPerSecond: 1000, clampedTo: 0...Int64(Int32.max)) == Int64(Int32.max))
        #expect(Duration.seconds(Int64.min).whole(unitsPerSecond: 1_000_000_000, clampedTo: -5...5) == -5)
    }
}
