import Foundation
import Glibc
import Testing
import EEGCore
import TestSupport
@testable import EEGKit
@testable import EEGLSL

/// The session thread's cost of `--lsl`: the network thread is woken (a `write(2)` here,
/// a poll turn there) once per delivered batch, or per `--lsl-chunk` samples counted
/// across batches, and not at all while no inlet is being fed.
@Suite("LSL publisher wake-ups", .serialized)
struct LSLPublisherWakeTests {
    func makePublisher(chunk: Int, withAux: Bool = false) throws -> LSLPublisher {
        var options = LSLOptions(sourceID: "eegkit-wake-test-\(getpid())")
        options.name = "EEGKit-wake-\(getpid())"
        options.chunk = chunk
        options.environment = ["LSLAPICFG": LSLInterop.configuration]
        var layout = StreamLayout(labels: (1...8).map { "ch\($0)" }, sampleRate: 250, fullScale: 187_500, source: "test")
        if withAux {
            layout.auxiliary = [AuxiliarySignal(label: "board_time", unit: "ms", minimum: 0, maximum: 16_777_215, digitalMinimum: -(1 << 23),
                                                digitalMaximum: (1 << 23) - 1, framesPerSample: 1, transducer: "board clock", channelType: "SYSCLOCK")]
        }
        return try LSLPublisher(options: options, streams: .make(layout: layout, name: options.name, sourceID: options.sourceID, hopSeconds: 0.5),
                                clock: SessionClock(nominalRate: 250))
    }

    /// Pushes `batches` batches of `size` frames (8 channels), indices from 0.
    func push(_ publisher: LSLPublisher, batches: Int, size: Int) {
        let samples = [Float](repeating: 1, count: size * 8)
        for b in 0..<batches {
            let indices = (0..<size).map { Int64(b * size + $0) }
            samples.withUnsafeBufferPointer { s in indices.withUnsafeBufferPointer { publisher.publish(samples: s, indices: $0, channels: 8) } }
        }
    }

    /// Opens a streamfeed to the EEG outlet (or `outlet`), as an inlet would, and waits until it is fed.
    func connectInlet(to publisher: LSLPublisher, outlet: LSLOutlet? = nil) throws -> Int32 {
        let outlet = outlet ?? publisher.eeg
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(outlet.info.v4DataPort).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(connected == 0)
        let request = Array("LSL:streamfeed/110 \(outlet.info.uid)\r\nValue-Size: 4\r\nMax-Buffer-Length: 100000\r\n\r\n".utf8)
        try #require(send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count)
        for _ in 0..<3000 where outlet.streamingFeeds.load(ordering: .relaxed) == 0 { usleep(20_000) }
        try #require(outlet.streamingFeeds.load(ordering: .relaxed) == 1)
        return fd
    }

    @Test("with an inlet: one wake-up per batch of 8 (chunk 1), one per 32 samples (chunk 32), not one per sample")
    func oncePerBatch() throws {
        for (chunk, limit) in [(1, 4000 / 8), (32, 4000 / 32)] {
            let publisher = try makePublisher(chunk: chunk)
            defer { publisher.service.stop() }
            let inlet = try connectInlet(to: publisher)
            defer { close(inlet) }
            let before = publisher.service.wakeUps
            push(publisher, batches: 500, size: 8)
            let wakes = publisher.service.wakeUps - before
            #expect(wakes > 0 && wakes <= limit + 1, "chunk \(chunk): \(wakes) wake-ups for 4000 samples")
        }
    }

    @Test("EEG and aux outlets both fed: still one wake-up per batch, not one per outlet")
    func onceForEEGAndAux() throws {
        let publisher = try makePublisher(chunk: 1, withAux: true)
        defer { publisher.service.stop() }
        let aux = try #require(publisher.aux)
        let eegInlet = try connectInlet(to: publisher), auxInlet = try connectInlet(to: publisher, outlet: aux)
        defer { close(eegInlet); close(auxInlet) }
        let before = publisher.service.wakeUps
        let size = 8, batches = 500
        let samples = [Float](repeating: 1, count: size * 8), auxValues = [Float](repeating: 7, count: size)
        for b in 0..<batches {
            let indices = (0..<size).map { Int64(b * size + $0) }
            samples.withUnsafeBufferPointer { s in auxValues.withUnsafeBufferPointer { a in indices.withUnsafeBufferPointer {
                publisher.publish(samples: s, indices: $0, channels: 8, auxiliary: a, auxCount: 1)
            } } }
        }
        let wakes = publisher.service.wakeUps - before
        #expect(wakes > 0 && wakes <= batches + 1, "\(wakes) wake-ups for \(batches) batches feeding two outlets")
    }

    @Test("without an inlet: no wake-up at all")
    func noneWithoutInlet() throws {
        let publisher = try makePublisher(chunk: 1)
        defer { publisher.service.stop() }
        usleep(100_000) // the outlets' own adoption wake-ups are done
        let before = publisher.service.wakeUps
        push(publisher, batches: 500, size: 8)
        #expect(publisher.service.wakeUps == before)
    }
}

extension LSLPublisherWakeTests {
    @Test("when a later outlet cannot bind, the service is stopped: the EEG outlet's port closes")
    func stoppedOnPartialInit() throws {
        let port = 17300 + Int(getpid() % 100)
        let cfg = FileManager.default.temporaryDirectory.appendingPathComponent("lsl-partial-\(getpid()).cfg").path
        // One port for TCP and one for UDP: the EEG outlet takes both, the metrics outlet finds none.
        try "[multicast]\nResolveScope = machine\n[ports]\nBasePort = \(port)\nPortRange = 1\nAllowRandomPorts = 0\n".write(toFile: cfg, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: cfg) }
        var options = LSLOptions(sourceID: "eegkit-partial-\(getpid())")
        options.environment = ["LSLAPICFG": cfg]
        let layout = StreamLayout(labels: ["ch1"], sampleRate: 250, fullScale: 1, source: "test")
        #expect(throws: (any Error).self) {
            try LSLPublisher(options: options, streams: .make(layout: layout, sourceID: options.sourceID, hopSeconds: 0.5), clock: SessionClock(nominalRate: 250))
        }
        usleep(300_000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected != 0, "the EEG outlet still accepts connections after the publisher failed")
    }
}
