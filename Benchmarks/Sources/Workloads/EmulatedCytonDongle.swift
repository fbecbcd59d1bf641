import EEGCore
import EEGDevices
import Foundation
import Synchronization

/// Cyton packets (33 bytes: 0xA0, sample number, 8 × 24-bit big-endian counts, 6 aux
/// bytes, footer 0xC0), laid end to end.
public enum CytonPacketStream {
    /// Appends one packet with `counts` (8 values, clamped to 24 bits) to `stream`.
    public static func append(sampleNumber: Int, counts: some Collection<Int32>, to stream: inout [UInt8]) {
        stream += [0xA0, UInt8(sampleNumber & 0xFF)]
        for count in counts {
            let v = UInt32(bitPattern: min(max(count, -8_388_608), 8_388_607))
            stream += [UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        stream += [0, 0, 0, 0, 0, 0, 0xC0]
    }

    /// `packets` packets of the simulated headset's 8-channel signal (seed 1) as a Cyton
    /// at gain 24 would send them.
    public static func simulated(packets: Int) -> [UInt8] {
        var signal = SimulatedSignal(channelCount: 8, sampleRate: Cyton.sampleRate, seed: 1)
        let microvolts = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8 * packets)
        defer { microvolts.deallocate() }
        signal.generate(into: microvolts)
        let perCount = Cyton.microvoltsPerCount(gain: Cyton.defaultGain)
        var stream: [UInt8] = []
        stream.reserveCapacity(packets * Cyton.packetLength)
        for p in 0..<packets {
            let counts = (0..<8).map { Int32((Double(microvolts[p * 8 + $0]) / perCount).rounded()) }
            append(sampleNumber: p, counts: counts, to: &stream)
        }
        return stream
    }
}

/// A Cyton board behind an FT231X dongle, emulated as the byte transport the Cyton driver
/// reads (what the FTDI transport hands on once it has removed the modem-status bytes).
///
/// The board starts sending on `b`: packet k leaves it at k / 250 s and crosses the
/// 115200-baud radio/UART link at 11,520 bytes/s, so its last byte is in the chip 2.9 ms
/// later. The chip hands the host what it holds every millisecond (the latency timer at
/// 1 ms, as the driver sets it). For every packet the link notes when the chunk holding
/// its last byte was handed to the decoder (``decodedAt``): the start of decode → line
/// latency. `v` is answered with a firmware banner ending `$$$`.
public final class EmulatedCytonDongle: ByteTransport, @unchecked Sendable {
    // @unchecked Sendable: the command state is behind a Mutex; the delivery thread owns
    // the stream position; `decodedAt` slots are each written once by that thread before
    // their packet's frame enters the ring, and read by the session thread after.
    public let name = "emulated Cyton dongle (FT231X, latency timer 1 ms)"
    public let packets: Int
    private let stream: [UInt8]
    private let reply = Mutex<[UInt8]>([])
    private let streamingSince = Mutex<ContinuousClock.Instant?>(nil)
    private let delivering = Atomic<Bool>(false)
    private let delivered = DispatchSemaphore(value: 0)
    /// Nanoseconds on `DispatchTime`'s clock when each packet's last byte was handed over.
    public let decodedAt: UnsafeMutableBufferPointer<UInt64>

    public init(packets: Int) {
        self.packets = packets
        stream = CytonPacketStream.simulated(packets: packets)
        decodedAt = .allocate(capacity: packets)
        decodedAt.initialize(repeating: 0)
    }

    deinit { decodedAt.deallocate() }

    public func write(_ bytes: [UInt8], timeout: Duration) throws(DeviceError) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "v"): reply.withLock { $0 += Array("OpenBCI V3 8-16 channel\nFirmware: v3.1.2\n$$$".utf8) }
            case UInt8(ascii: "b"): streamingSince.withLock { $0 = $0 ?? .now }
            default: break
            }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration) throws(DeviceError) -> Int {
        let n = reply.withLock { waiting -> Int in
            let n = min(waiting.count, buffer.count)
            buffer.copyBytes(from: waiting[0..<n])
            waiting.removeFirst(n)
            return n
        }
        if n == 0 { Thread.sleep(forTimeInterval: min(timeout.inSeconds, 0.001)) }
        return n
    }

    public func purge() throws(DeviceError) { reply.withLock { $0.removeAll() } }

    public func startReceiving(onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
                               onEnd: @escaping @Sendable (DeviceError) -> Void) throws(DeviceError) {
        delivering.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            deliver(onBytes)
            delivered.signal()
        }
        thread.name = "emulated-dongle"
        thread.start()
    }

    /// One hand-over per millisecond tick, of every byte the UART has carried by then.
    private func deliver(_ onBytes: (UnsafeRawBufferPointer) -> Void) {
        let packetLength = Cyton.packetLength, bytesPerSecond = 11_520.0, packetRate = Cyton.sampleRate
        var sent = 0
        var tick = 0
        stream.withUnsafeBytes { all in
            while delivering.load(ordering: .acquiring) && sent < all.count {
                tick += 1
                guard let start = streamingSince.withLock({ $0 }) else { Thread.sleep(forTimeInterval: 0.001); continue }
                let due = start + .microseconds(tick * 1000)
                let wait = due - .now
                if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
                let elapsed = (ContinuousClock.now - start).inSeconds
                // Bytes through the UART by now: whole packets, plus the one in flight.
                let packet = Int(elapsed * packetRate)
                let inFlight = min(packetLength, Int((elapsed - Double(packet) / packetRate) * bytesPerSecond))
                let ready = min(all.count, packet * packetLength + inFlight)
                guard ready > sent else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                for completed in (sent / packetLength)..<(ready / packetLength) { decodedAt[completed] = now }
                onBytes(UnsafeRawBufferPointer(rebasing: all[sent..<ready]))
                sent = ready
            }
        }
    }

    public func stopReceiving() {
        guard delivering.exchange(false, ordering: .acquiringAndReleasing) else { return }
        delivered.wait()
    }

    public func close() { stopReceiving() }
}
