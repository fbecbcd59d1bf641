import EEGCore
import Foundation
import Synchronization
import Testing
@testable import EEGDevices

/// Counts per packet i, channel c: distinct and covering negative and large values.
func scriptedCounts(_ i: Int) -> [Int32] {
    (0..<8).map { c in Int32((i * 7919 + c * 104_729) % 8_000_000) - 4_000_000 }
}

func scriptedStream(_ count: Int, firstNumber: Int = 0) -> [UInt8] {
    (0..<count).flatMap { cytonPacket(UInt8((firstNumber + $0) % 256), counts: scriptedCounts($0)) }
}

func expectedMicrovolts(_ i: Int) -> [Float] {
    scriptedCounts(i).map { Float(Double($0) * 4.5 / 24 / Double((1 << 23) - 1) * 1_000_000) }
}

/// Reads frames until `count` arrived (or 10 s passed).
func collect(_ consumer: FrameRing.Consumer, _ count: Int) -> [(Int64, [Float])] {
    var frames: [(Int64, [Float])] = []
    let deadline = ContinuousClock.now + .seconds(10)
    while frames.count < count && ContinuousClock.now < deadline {
        _ = consumer.waitForFrames(1, timeout: .milliseconds(100))
        consumer.read(upTo: consumer.capacity) { f in
            for span in [f.first, f.second] {
                for i in 0..<span.frameCount {
                    frames.append((span.sampleIndices[i], Array(span.samples[(i * 8)..<(i * 8 + 8)])))
                }
            }
        }
    }
    return frames
}

@Suite("Cyton driver over a serial tty (pseudo-terminal)", .serialized)
struct CytonDriverTests {
    @Test("configures, streams every packet's exact µV values, and sends s on stop")
    func streamsAndStops() throws {
        let board = try FakeCytonBoard(packets: scriptedStream(600))
        let path = board.slavePath
        let driver = CytonDriver(name: "test Cyton") { () throws(DeviceError) in try SerialPortTransport(path: path) }
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        let events = DeviceEvents()
        try driver.start(into: producer, events: events)
        #expect(driver.state == .streaming)
        let frames = collect(consumer, 600)
        driver.stop()
        driver.stop()
        #expect(driver.state == .closed)
        try #require(frames.count == 600)
        #expect(frames.map(\.0) == (0..<600).map(Int64.init))
        var mismatches = 0
        for (i, frame) in frames.enumerated() where frame.1 != expectedMicrovolts(i) { mismatches += 1 }
        #expect(mismatches == 0)
        // Stop any old stream, soft reset, start; and `s` on the way out (written before
        // stop returned; the fake board's thread may still be reading it on a busy machine).
        let deadline = ContinuousClock.now + .seconds(5)
        while board.commands.count < 4 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(String(decoding: board.commands, as: UTF8.self) == "svbs")
        let states = events.drain().compactMap { if case .state(let s) = $0 { return s } else { return nil } }
        #expect(states == [.opening, .configuring, .streaming, .stopping, .closed])
        #expect(consumer.producerFinished)
    }

    @Test("a board that never answers the soft reset times out, and the port is released")
    func resetTimeout() throws {
        let board = try FakeCytonBoard(packets: [], silent: true)
        let path = board.slavePath
        var configuration = CytonDriver.Configuration()
        configuration.resetTimeout = .milliseconds(300)
        let driver = CytonDriver(name: "silent Cyton", configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: path) }
        let (producer, _) = try FrameRing.create(channels: 8, capacity: 1024)
        #expect(throws: DeviceError.timeout("waiting for the board's reply to a soft reset (v)")) {
            try driver.start(into: producer, events: DeviceEvents())
        }
        #expect(driver.state == .closed)
        // Released: the port can be opened again at once.
        _ = try SerialPortTransport(path: path)
    }

    @Test("a missing port, and a port already in use, give errors that say so")
    func openErrors() throws {
        #expect(throws: DeviceError.notFound("serial port /dev/ttyEEGKitNone")) { try SerialPortTransport(path: "/dev/ttyEEGKitNone") }
        let board = try FakeCytonBoard(packets: [])
        let first = try SerialPortTransport(path: board.slavePath)
        #expect(throws: DeviceError.busy(board.slavePath)) { try SerialPortTransport(path: board.slavePath) }
        first.close()
        _ = try SerialPortTransport(path: board.slavePath)
        #expect(DeviceError.busy("/dev/ttyUSB0").description.contains("another program"))
    }

    @Test("unplugged mid-stream: disconnected, reconnected when it returns, the gap reported, nothing lost")
    func unplugAndReplug() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let link = directory.appendingPathComponent("ttyCyton").path
        let first = try FakeCytonBoard(packets: scriptedStream(300))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: first.slavePath)

        var configuration = CytonDriver.Configuration()
        configuration.reconnectInterval = .milliseconds(50)
        let driver = CytonDriver(name: "test Cyton", configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: link) }
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 8192)
        let events = DeviceEvents()
        try driver.start(into: producer, events: events)
        let before = collect(consumer, 300)
        try #require(before.count == 300)

        // Pull the plug, wait, plug a "new" dongle in at the same path.
        try FileManager.default.removeItem(atPath: link)
        first.unplug()
        Thread.sleep(forTimeInterval: 0.3)
        let second = try FakeCytonBoard(packets: scriptedStream(200, firstNumber: 17))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: second.slavePath)
        let after = collect(consumer, 200)
        driver.stop()
        try #require(after.count == 200)

        #expect(before.map(\.0) == (0..<300).map(Int64.init))
        let states = events.drain()
        #expect(states.contains(.state(.disconnected)))
        #expect(states.contains(.state(.reconnecting)))
        let gaps = states.compactMap { if case .gap(let gap) = $0 { return (gap.frames, gap.beforeSampleIndex) } else { return nil } }
        try #require(gaps.count == 1)
        // Indices continue after the gap the driver reported; samples after it are exact.
        #expect(after[0].0 == gaps[0].1)
        #expect(gaps[0].0 >= 50)  // ≥ 0.2 s away at 250 Hz
        #expect(after.map(\.0) == (0..<200).map { gaps[0].1 + Int64($0) })
        #expect(after.enumerated().allSatisfy { $0.element.1 == expectedMicrovolts($0.offset) })
        #expect(String(decoding: second.commands, as: UTF8.self).hasPrefix("svb"))
        #expect(driver.state == .closed)
    }
}

@Suite("Raw capture", .serialized)
struct RawCaptureTests {
    @Test("the capture holds exactly the bytes the board streamed, and replays to the same frames")
    func captureAndReplay() throws {
        // Garbage and a sample-number jump in the stream, to be reproduced exactly.
        let stream = scriptedStream(200) + [0x13, 0x37] + scriptedStream(100, firstNumber: 210)
        let board = try FakeCytonBoard(packets: stream)
        let path = board.slavePath
        let capturePath = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).raw").path
        let driver = CytonDriver(name: "test Cyton") { () throws(DeviceError) in try SerialPortTransport(path: path) }
        driver.rawCapture = try RawCapture(path: capturePath)
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        try driver.start(into: producer, events: DeviceEvents())
        let live = collect(consumer, 300)
        driver.stop()
        try #require(live.count == 300)
        let captured = try Data(contentsOf: URL(fileURLWithPath: capturePath))
        #expect(Array(captured) == stream)

        let replay = try RawCytonReplay(path: capturePath, speed: .infinity)
        let (p2, c2) = try FrameRing.create(channels: 8, capacity: 4096)
        let events = DeviceEvents()
        try replay.start(into: p2, events: events)
        let again = collect(c2, 300)
        replay.stop()
        #expect(again.map(\.0) == live.map(\.0))
        #expect(again.map(\.1) == live.map(\.1))
        #expect(events.drain().contains(.skippedBytes(2)))
    }
}

@Suite("Cyton driver: hotplug wake-up", .serialized)
struct HotplugWakeTests {
    @Test("a hotplug arrival wakes a reconnecting driver at once instead of at its next poll")
    func arrivalWakesReconnect() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let link = directory.appendingPathComponent("ttyCyton").path
        let first = try FakeCytonBoard(packets: scriptedStream(100))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: first.slavePath)
        var configuration = CytonDriver.Configuration()
        configuration.reconnectInterval = .seconds(30)  // polling alone would take this long
        let driver = CytonDriver(name: "test Cyton", configuration: configuration) { () throws(DeviceError) in try SerialPortTransport(path: link) }
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        try driver.start(into: producer, events: DeviceEvents())
        #expect(collect(consumer, 100).count == 100)
        try FileManager.default.removeItem(atPath: link)
        first.unplug()
        // Let the driver see the unplug and make its first (failing) attempt.
        let deadline = ContinuousClock.now + .seconds(5)
        while driver.state != .reconnecting && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.2)
        let second = try FakeCytonBoard(packets: scriptedStream(50))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: second.slavePath)
        let plugged = ContinuousClock.now
        driver.deviceMayHaveArrived()
        let after = collect(consumer, 50)
        let waited = ContinuousClock.now - plugged
        driver.stop()
        #expect(after.count == 50)
        #expect(waited < .seconds(5), "reconnected after \(waited), not woken by the arrival")
    }
}

/// The driver's state machine over an in-memory link (no I/O): link failures, a failing
/// start, and the threads (receive, supervisor, hotplug wake-ups, stop) racing. Run under
/// ThreadSanitizer too: `swift test --sanitize=thread --filter CytonDriverLinkTests`.
@Suite("Cyton driver over an in-memory link", .serialized)
struct CytonDriverLinkTests {
    static let stall = DeviceError.usb(code: -9, name: "LIBUSB_TRANSFER_STALL", operation: "streaming from fake")

    func driver(_ links: FakeLinks, reconnectInterval: Duration = .milliseconds(10)) -> CytonDriver {
        var configuration = CytonDriver.Configuration()
        configuration.reconnectInterval = reconnectInterval
        return CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
    }

    @Test("a USB stall mid-stream is reported and takes the reconnect path; every frame on both sides exact")
    func stallReconnects() throws {
        let links = FakeLinks([FakeLink.Script(packets: scriptedStream(300), endWith: Self.stall),
                               FakeLink.Script(packets: scriptedStream(200, firstNumber: 40))])
        let driver = driver(links)
        let capturePath = FileManager.default.temporaryDirectory.appendingPathComponent("eegkit-\(UUID().uuidString).raw").path
        driver.rawCapture = try RawCapture(path: capturePath)
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        let events = DeviceEvents()
        try driver.start(into: producer, events: events)
        let frames = collect(consumer, 500)
        driver.stop()
        try #require(frames.count == 500, "\(events.drain())")
        // Both connections' bytes, in order, in the raw capture.
        #expect(FileManager.default.contents(atPath: capturePath) == Data(scriptedStream(300) + scriptedStream(200, firstNumber: 40)))
        let posted = events.drain()
        #expect(posted.contains(.failed("\(Self.stall.description); reconnecting")))
        let states = posted.compactMap { if case .state(let s) = $0 { return s } else { return nil } }
        #expect(states == [.opening, .configuring, .streaming, .disconnected, .reconnecting, .streaming, .stopping, .closed])
        let gaps = posted.compactMap { if case .gap(let gap) = $0 { return (gap.frames, gap.beforeSampleIndex) } else { return nil } }
        try #require(gaps.count == 1)
        #expect(frames.prefix(300).map(\.0) == (0..<300).map(Int64.init))
        #expect(frames[300].0 == gaps[0].1 && gaps[0].1 == 300 + Int64(gaps[0].0))
        #expect(frames.dropFirst(300).map(\.0) == (0..<200).map { gaps[0].1 + Int64($0) })
        #expect(frames.prefix(300).enumerated().allSatisfy { $0.element.1 == expectedMicrovolts($0.offset) })
        #expect(frames.dropFirst(300).enumerated().allSatisfy { $0.element.1 == expectedMicrovolts($0.offset) })
        // The failed link was stopped and closed before the new one was opened.
        let first = links.links[0].state.withLock { $0 }
        #expect(first.closed && first.stopReceivingCalls >= 1)
        #expect(links.links.count == 2 && consumer.producerFinished)
    }

    @Test("a dongle that cannot be opened again says why, once per reason, and streams again when it can")
    func reopenFailuresReported() throws {
        let links = FakeLinks([FakeLink.Script(packets: scriptedStream(100), endWith: Self.stall),
                               FakeLink.Script(packets: scriptedStream(50, firstNumber: 7))])
        let denied = DeviceError.permissionDenied("fake dongle")
        let attempts = Mutex(0)
        var configuration = CytonDriver.Configuration()
        configuration.reconnectInterval = .milliseconds(5)
        // The first open works; the next four are refused (a replug without the udev
        // rule), then the dongle can be used again.
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in
            let attempt = attempts.withLock { count -> Int in count += 1; return count }
            if (2...5).contains(attempt) { throw denied }
            return links.open()
        }
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 4096)
        let events = DeviceEvents()
        try driver.start(into: producer, events: events)
        let frames = collect(consumer, 150)
        driver.stop()
        try #require(frames.count == 150, "\(events.drain())")
        let failures = events.drain().compactMap { event -> String? in if case .failed(let message) = event { return message } else { return nil } }
        #expect(failures == ["\(Self.stall.description); reconnecting", "\(denied.description); still reconnecting"])
        #expect(attempts.withLock { $0 } == 6)
    }

    @Test("starting the stream fails (the b write): the error is thrown, the link stopped and closed, the driver closed")
    func startFailureReleases() throws {
        let failure = DeviceError.usb(code: -9, name: "LIBUSB_ERROR_PIPE", operation: "writing 1 bytes to fake")
        let links = FakeLinks([FakeLink.Script(packets: scriptedStream(10), failStart: failure)])
        let driver = driver(links)
        let (producer, _) = try FrameRing.create(channels: 8, capacity: 1024)
        let events = DeviceEvents()
        #expect(throws: failure) { try driver.start(into: producer, events: events) }
        #expect(driver.state == .closed)
        let link = try #require(links.links.first).state.withLock { $0 }
        #expect(link.closed && link.stopReceivingCalls >= 1)
        // s, v, b (failed), then s to be sure the board is quiet.
        #expect(String(decoding: link.commands, as: UTF8.self) == "svbs")
        // And it can start again: nothing was left half-open.
        driver.stop()
        #expect(links.links.count == 1)
    }

    @Test("a late reply to an earlier command is purged before each x…X, never taken for its acknowledgement")
    func lateReplyPurged() throws {
        let late = "Success: Channel set for 1$$$"
        let links = FakeLinks([FakeLink.Script(packets: scriptedStream(20), lateReply: late)])
        var configuration = CytonDriver.Configuration()
        configuration.channels = (1...8).map { var s = CytonCommand.ChannelSettings(channel: $0); s.gain = .x8; return s }
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 1024)
        // Without the purge, x1 takes the late reply, and x2 then takes x1's own reply:
        // "the board answered x2040110X with 'Success: Channel set for 1'".
        try driver.start(into: producer, events: DeviceEvents())
        let frames = collect(consumer, 20)
        driver.stop()
        #expect(frames.count == 20)
        let link = try #require(links.links.first).state.withLock { $0 }
        #expect(link.lateReplyQueued)
        let settings = (1...8).map { "^x\($0)040110X" }.joined()
        #expect(link.transcript.hasPrefix("s^v" + settings + "b"), "\(link.transcript)")
    }

    @Test("with the accelerometer, each frame carries the held reading in g after the EEG channels (11 values); the ring must be that wide")
    func accelerometerInFrames() throws {
        // Readings (16, −32, 8192 counts) in packet 3 and (−8, 0, 4096) in packet 13;
        // zeros in the others, as the board sends them between its 25 Hz readings.
        var stream: [UInt8] = []
        for i in 0..<20 {
            let aux: [UInt8] = i == 3 ? [0x00, 0x10, 0xFF, 0xE0, 0x20, 0x00] : i == 13 ? [0xFF, 0xF8, 0x00, 0x00, 0x10, 0x00] : [0, 0, 0, 0, 0, 0]
            stream += cytonPacket(UInt8(i), counts: scriptedCounts(i), aux: aux)
        }
        let links = FakeLinks([FakeLink.Script(packets: stream)])
        var configuration = CytonDriver.Configuration()
        configuration.accelerometer = true
        let driver = CytonDriver(name: "fake Cyton", configuration: configuration) { () throws(DeviceError) in links.open() }
        #expect(driver.layout.frameWidth == 11 && driver.layout.auxiliary.map(\.unit) == ["g", "g", "g"])
        let (narrow, _) = try FrameRing.create(channels: 8, capacity: 64)
        #expect(throws: DeviceError.invalidConfiguration("ring has 8 channels, the Cyton 11")) { try driver.start(into: narrow, events: DeviceEvents()) }
        let (producer, consumer) = try FrameRing.create(channels: 11, capacity: 1024)
        try driver.start(into: producer, events: DeviceEvents())
        var frames: [[Float]] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while frames.count < 20 && ContinuousClock.now < deadline {
            _ = consumer.waitForFrames(1, timeout: .milliseconds(100))
            consumer.read(upTo: consumer.capacity) { f in
                for span in [f.first, f.second] {
                    for i in 0..<span.frameCount { frames.append(Array(span.samples[(i * 11)..<(i * 11 + 11)])) }
                }
            }
        }
        driver.stop()
        try #require(frames.count == 20)
        for (i, frame) in frames.enumerated() {
            #expect(Array(frame[0..<8]) == expectedMicrovolts(i), "frame \(i)")
            let held: [Float] = i < 3 ? [0, 0, 0] : i < 13 ? [0.002, -0.004, 1.024] : [-0.001, 0, 0.512]
            #expect(Array(frame[8..<11]) == held, "frame \(i)")
        }
    }

    @Test("stress: 30 links that each end after 60 packets while hotplug wake-ups hammer the supervisor, then stop mid-stream")
    func reconnectStress() throws {
        let rounds = 30
        let links = FakeLinks([FakeLink.Script(packets: scriptedStream(60), endWith: .disconnected("fake"))])
        let driver = driver(links, reconnectInterval: .milliseconds(1))
        let (producer, consumer) = try FrameRing.create(channels: 8, capacity: 8192)
        let events = DeviceEvents()
        let hammering = Atomic<Bool>(true)
        let wakes = Atomic<Int>(0)
        let hammer = Thread {
            while hammering.load(ordering: .acquiring) {
                driver.deviceMayHaveArrived()
                wakes.add(1, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.0002)
            }
        }
        try driver.start(into: producer, events: events)
        hammer.start()
        let frames = collect(consumer, rounds * 60)
        driver.stop()
        hammering.store(false, ordering: .releasing)
        // (The last read may bring a few frames of the next link too.)
        try #require(frames.count >= rounds * 60, "\(links.links.count) links")
        // Every link's 60 frames are exact and consecutive; each new link starts after
        // the gap the driver reported.
        let gaps = events.drain().compactMap { if case .gap(let gap) = $0 { return (gap.frames, gap.beforeSampleIndex) } else { return nil } }
        #expect(gaps.count >= rounds - 1)
        var wrong = 0
        for (i, frame) in frames.prefix(rounds * 60).enumerated() {
            let round = i / 60, k = i % 60
            let start = round == 0 ? 0 : gaps[round - 1].1
            if frame.0 != start + Int64(k) || frame.1 != expectedMicrovolts(k) { wrong += 1 }
        }
        #expect(wrong == 0)
        // The stress happened, and everything was released.
        #expect(links.links.count >= rounds && wakes.load(ordering: .relaxed) > 100)
        #expect(links.links.allSatisfy { $0.state.withLock { $0.closed } })
        #expect(driver.state == .closed && consumer.producerFinished)
    }
}
