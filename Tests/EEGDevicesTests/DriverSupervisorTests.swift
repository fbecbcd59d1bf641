import EEGCore
import Foundation
import Synchronization
import Testing
@testable import EEGDevices

/// A second driver — an in-memory headset that is not the Cyton — gets reconnect
/// supervision from ``DriverSupervisor`` by supplying only ``SupervisedHardware``.
@Suite("Driver supervisor with a fake in-memory headset", .serialized)
struct DriverSupervisorTests {
    /// One link to the fake headset: what was done to it, and how to end its stream.
    final class FakeLink: @unchecked Sendable {
        let number: Int
        /// Every action that ended this link, in order: close, abandon, drop, release.
        let ends = Mutex<[String]>([])
        let started = Atomic<Bool>(false)
        let onEnd = Mutex<(@Sendable (DeviceError) -> Void)?>(nil)
        init(number: Int) { self.number = number }

        /// The headset vanished: the stream ends by itself, as a receive thread reports it.
        func vanish() { onEnd.withLock { $0 }?(.disconnected("fake headset")) }
        var endCount: Int { ends.withLock { $0.count } }
    }

    /// Opens links from a script of outcomes (then always succeeds); each link pushes
    /// `framesPerLink` frames of two channels at start, indices from `firstIndex`.
    final class FakeHeadset: SupervisedHardware, @unchecked Sendable {
        let sampleRate = 250.0
        let framesPerLink = 10
        private let lastIndex = Atomic<Int64>(-1)
        private let openScript: Mutex<[DeviceError?]>
        let links = Mutex<[FakeLink]>([])
        /// While set, `configure` of a link after the first waits for it (a slow reconnection).
        let holdReconfigure = Mutex<DispatchSemaphore?>(nil)
        let configuring = DispatchSemaphore(value: 0)

        init(openScript: [DeviceError?] = []) { self.openScript = Mutex(openScript) }

        var lastSampleIndex: Int64 { lastIndex.load(ordering: .acquiring) }

        func openLink() throws(DeviceError) -> FakeLink {
            if let failure = openScript.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
            return links.withLock { links in
                links.append(FakeLink(number: links.count))
                return links[links.count - 1]
            }
        }

        func configure(_ link: FakeLink) throws(DeviceError) {
            guard link.number > 0, let hold = holdReconfigure.withLock({ $0 }) else { return }
            configuring.signal()
            hold.wait()
        }

        func startStreaming(_ link: FakeLink, firstIndex: Int64, session: DriverSession,
                            onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
            link.onEnd.withLock { $0 = onEnd }
            link.started.store(true, ordering: .releasing)
            for i in 0..<Int64(framesPerLink) {
                [Float(link.number), Float(i)].withUnsafeBufferPointer { _ = session.producer.push(frame: $0, sampleIndex: firstIndex + i) }
                lastIndex.store(firstIndex + i, ordering: .releasing)
            }
        }

        func close(_ link: FakeLink) { end(link, "close") }
        func abandon(_ link: FakeLink) { end(link, "abandon") }
        func drop(_ link: FakeLink) { end(link, "drop") }
        func release(_ link: FakeLink) { end(link, "release") }

        /// A link that has ended reports nothing more, as a closed transport's receive
        /// thread does: its end handler (which holds the supervisor) is let go.
        private func end(_ link: FakeLink, _ how: String) {
            link.ends.withLock { $0.append(how) }
            link.onEnd.withLock { $0 = nil }
        }

        func link(_ number: Int) -> FakeLink? { links.withLock { $0.count > number ? $0[number] : nil } }
    }

    /// Polls until `condition` holds (or 10 s pass); returns whether it did.
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.002) }
        return condition()
    }

    func indices(_ consumer: FrameRing.Consumer) -> [Int64] {
        var indices: [Int64] = []
        _ = consumer.read(upTo: consumer.capacity) { frames in
            for span in [frames.first, frames.second] { indices += span.sampleIndices }
        }
        return indices
    }

    @Test("link lost → disconnected → reconnecting (a denied reopen said once, absence never) → streaming, the gap reported where the indices resume")
    func reconnectsWithGap() throws {
        let denied = DeviceError.permissionDenied("fake headset")
        let headset = FakeHeadset(openScript: [nil, .notFound("fake headset"), denied, denied, .notFound("fake headset")])
        let supervisor = DriverSupervisor(hardware: headset, reconnectInterval: .milliseconds(5), threadName: "eeg-fake")
        let (producer, consumer) = try FrameRing.create(channels: 2, capacity: 256)
        let events = DeviceEvents()
        try supervisor.start(DriverSession(producer: producer, events: events))
        #expect(supervisor.state == .streaming)
        #expect(indices(consumer) == Array(0..<10))
        let lostAt = ContinuousClock.now
        try #require(headset.link(0)).vanish()
        try #require(eventually { headset.link(1)?.started.load(ordering: .acquiring) == true && supervisor.state == .streaming })
        let away = ContinuousClock.now - lostAt
        supervisor.stop()

        #expect(supervisor.state == .closed && consumer.producerFinished)
        let posted = events.drain()
        let states: [DeviceState] = posted.compactMap { if case .state(let s) = $0 { return s } else { return nil } }
        #expect(states == [.opening, .configuring, .streaming, .disconnected, .reconnecting, .streaming, .stopping, .closed])
        #expect(posted.filter { if case .failed = $0 { return true } else { return false } } == [.failed("\(denied.description); still reconnecting")])
        let gaps: [(Int, Int64)] = posted.compactMap { if case .gap(let gap) = $0 { return (gap.frames, gap.beforeSampleIndex) } else { return nil } }
        try #require(gaps.count == 1)
        let (missing, resumedAt) = gaps[0]
        // At least one frame, at most the time away at 250 Hz; the indices resume after it.
        #expect(missing >= 1 && Double(missing) <= (away.inSeconds * headset.sampleRate).rounded() + 1)
        #expect(resumedAt == 9 + 1 + Int64(missing))
        #expect(indices(consumer) == Array(resumedAt..<(resumedAt + 10)))
        // Each link ended exactly once: the lost one dropped, the resumed one released.
        #expect(headset.link(0)?.ends.withLock { $0 } == ["drop"])
        #expect(headset.link(1)?.ends.withLock { $0 } == ["release"])
        #expect(headset.links.withLock { $0.count } == 2)
    }

    @Test("stop while a reconnection is configuring: that link is released exactly once and never started")
    func stopDuringReconnect() throws {
        let headset = FakeHeadset()
        let hold = DispatchSemaphore(value: 0)
        headset.holdReconfigure.withLock { $0 = hold }
        let supervisor = DriverSupervisor(hardware: headset, reconnectInterval: .milliseconds(5), threadName: "eeg-fake")
        let (producer, consumer) = try FrameRing.create(channels: 2, capacity: 256)
        let events = DeviceEvents()
        try supervisor.start(DriverSession(producer: producer, events: events))
        try #require(headset.link(0)).vanish()
        headset.configuring.wait()  // the supervisor is inside configure of link 1
        #expect(supervisor.state == .reconnecting)
        let stopped = DispatchSemaphore(value: 0)
        Thread { supervisor.stop(); stopped.signal() }.start()
        try #require(eventually { supervisor.state == .stopping })
        hold.signal()  // the reconnection finishes its step while stopping
        stopped.wait()

        #expect(supervisor.state == .closed && consumer.producerFinished)
        let reopened = try #require(headset.link(1))
        #expect(reopened.ends.withLock { $0 } == ["release"])
        let started = reopened.started.load(ordering: .acquiring)
        #expect(!started)
        #expect(headset.link(0)?.ends.withLock { $0 } == ["drop"])
        #expect(headset.links.withLock { $0.count } == 2)
        #expect(!events.drain().contains { if case .gap = $0 { return true } else { return false } })
    }

    @Test("a failed start releases what it opened and throws; the driver is closed and can start again")
    func failedStartThenStart() throws {
        let busy = DeviceError.busy("fake headset")
        let headset = FakeHeadset(openScript: [busy])
        let supervisor = DriverSupervisor(hardware: headset, reconnectInterval: .milliseconds(5), threadName: "eeg-fake")
        let (producer, _) = try FrameRing.create(channels: 2, capacity: 256)
        #expect(throws: busy) { try supervisor.start(DriverSession(producer: producer, events: DeviceEvents())) }
        #expect(supervisor.state == .closed && headset.links.withLock { $0.isEmpty })
        try supervisor.start(DriverSession(producer: producer, events: DeviceEvents()))
        #expect(supervisor.state == .streaming)
        supervisor.stop()
        supervisor.stop()
        #expect(headset.link(0)?.ends.withLock { $0 } == ["release"])
    }
}
