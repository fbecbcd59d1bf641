import EEGCore
import EEGFormats
import EEGLSL

/// The session's one clock for everything it stamps: the device's sample counter
/// anchored to LSL's clock and de-jittered (``DejitteredClock``), observed once per
/// delivered batch, before the batch is recorded or published. The LSL outlets and an
/// XDF recording both read it, so a sample's LSL timestamp and its XDF timestamp are the
/// same number.
///
/// Threading: the session's thread only (it observes, stamps, records and publishes).
/// No allocation, no lock.
final class SessionClock {
    private var dejittered: DejitteredClock

    init(nominalRate: Double) {
        dejittered = DejitteredClock(nominalRate: nominalRate)
    }

    /// The batch whose newest sample is `index` was seen now; returns now (LSL's clock).
    @discardableResult
    func observe(newestIndex index: Int64) -> Double {
        let arrival = LSLClock.now()
        dejittered.observe(index: index, arrival: arrival)
        return arrival
    }

    /// The timestamp of device sample `index` (LSL's clock now before any batch was seen).
    func timestamp(of index: Int64) -> Double {
        dejittered.timestamp(of: index) ?? LSLClock.now()
    }

    /// This clock as one recording sees it: frames counted from the device sample the
    /// recording begins at.
    func forRecording() -> RecordingView { RecordingView(session: self) }

    /// A recording's view of the session clock (``RecordingOptions/clock``).
    /// `@unchecked Sendable`: options travel between threads before the recording opens,
    /// but the view is read only on the session's thread, as the clock is.
    final class RecordingView: RecordingClock, @unchecked Sendable {
        private let session: SessionClock
        private var origin: Int64 = 0

        init(session: SessionClock) { self.session = session }

        func recordingBegins(atSampleIndex index: Int64) { origin = index }
        func timestamp(ofFrame frame: Int64) -> Double { session.timestamp(of: origin + frame) }
        func now() -> Double { LSLClock.now() }
    }
}
