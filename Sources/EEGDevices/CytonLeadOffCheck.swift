import Foundation

/// Drives the Cyton's lead-off impedance measurement, one channel at a time as the board
/// requires: for each channel, the 6 nA, 31.2 Hz drive on its N input (`z N 0 1 Z`, the
/// electrode side when SRB2 is the reference, which stays connected), a stretch of
/// streamed samples handed to the caller, then the drive off (`z N 0 0 Z`). Commands are
/// sent while the board is not streaming, so each is acknowledged.
///
/// Cleanup always runs — after the last channel, a failure, or a stop request (Ctrl-C):
/// streaming stopped, the drive of a channel left on turned off, and every channel's
/// settings sent again (`x…X`, the configuration's or the board's defaults), each
/// confirmed; then the link is closed.
///
/// Synchronous, on the caller's thread; reads the board through ``ByteTransport/read``.
/// Allocates the sample array per channel (a measurement, not the streaming hot path).
public final class CytonLeadOffCheck {
    public let configuration: CytonDriver.Configuration
    private let hardware: CytonDriver.Hardware

    public init(configuration: CytonDriver.Configuration, opener: @escaping CytonDriver.Opener) {
        self.configuration = configuration
        hardware = CytonDriver.Hardware(configuration: configuration, opener: opener)
    }

    /// Measures `channels` (1…8, or 1…16 with Daisy) in order.
    ///
    /// - Parameters:
    ///   - frames: frames to collect per channel with the drive on.
    ///   - stopRequested: polled while reading; when it returns true the check stops and
    ///     the cleanup runs.
    ///   - measured: called with each channel and its samples in µV.
    /// - Returns: false when stopped before every channel was measured.
    /// - Throws: ``DeviceError`` from the board (open, reset, a command not confirmed, no
    ///   samples), the first error `measured` throws, or — when measuring went well — a
    ///   failure to restore the settings.
    public func run(channels: [Int], frames: Int, stopRequested: () -> Bool,
                    measured: (Int, [Float]) throws -> Void) throws -> Bool {
        try configuration.validate()
        for channel in channels where !(1...configuration.channelCount).contains(channel) {
            throw DeviceError.invalidConfiguration("no channel \(channel) on the Cyton\(configuration.daisy ? " + Daisy" : "") (1…\(configuration.channelCount))")
        }
        let transport = try hardware.openLink()
        defer { transport.close() }
        var driven: Int?
        let outcome = Result { () throws -> Bool in
            try hardware.configure(transport)
            return try measure(channels, frames: frames, on: transport, driven: &driven, stopRequested: stopRequested, measured: measured)
        }
        let restored = Result { () throws(DeviceError) in try restore(transport, driven: driven) }
        let completed = try outcome.get()
        try restored.get()
        return completed
    }

    private func measure(_ channels: [Int], frames: Int, on transport: any ByteTransport, driven: inout Int?,
                         stopRequested: () -> Bool, measured: (Int, [Float]) throws -> Void) throws -> Bool {
        for channel in channels {
            if stopRequested() { return false }
            try hardware.send(.leadOff(channel: channel, positive: false, negative: true), transport, what: "the lead-off drive on channel \(channel)")
            driven = channel
            let samples = try stream(channel, frames: frames, from: transport, stopRequested: stopRequested)
            try stopStreaming(transport)
            try hardware.send(.leadOff(channel: channel, positive: false, negative: false), transport, what: "the lead-off drive off on channel \(channel)")
            driven = nil
            guard let samples else { return false }
            try measured(channel, samples)
        }
        return true
    }

    /// Streams until `frames` frames arrived; nil when stopped first.
    private func stream(_ channel: Int, frames: Int, from transport: any ByteTransport, stopRequested: () -> Bool) throws(DeviceError) -> [Float]? {
        var decoder = CytonDecoder(daisy: configuration.daisy, gains: hardware.confirmed)
        var samples: [Float] = []
        samples.reserveCapacity(frames)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 1)
        defer { buffer.deallocate() }
        try transport.purge()
        try transport.write(CytonCommand.startStreaming.bytes, timeout: .seconds(1))
        // Reset by frames, not bytes: a wrong device or a board printing text sends bytes
        // that never decode, and must time out like silence.
        var lastFrame = ContinuousClock.now
        while samples.count < frames {
            if stopRequested() { return nil }
            let n = try transport.read(into: buffer, timeout: .milliseconds(50))
            let before = samples.count
            if n > 0 {
                decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { event in
                    if case .frame(_, let values, _) = event, samples.count < frames { samples.append(values[channel - 1]) }
                }
            }
            if samples.count > before {
                lastFrame = .now
            } else if ContinuousClock.now - lastFrame > configuration.resetTimeout {
                throw .timeout("waiting for samples from channel \(channel) with its lead-off drive on")
            }
        }
        return samples
    }

    /// `s`, then drops what was still on its way.
    private func stopStreaming(_ transport: any ByteTransport) throws(DeviceError) {
        try transport.write(CytonCommand.stopStreaming.bytes, timeout: .seconds(1))
        Thread.sleep(forTimeInterval: 0.05)
        try transport.purge()
    }

    /// Streaming stopped, the drive off on `driven`, every channel's settings sent again.
    private func restore(_ transport: any ByteTransport, driven: Int?) throws(DeviceError) {
        try stopStreaming(transport)
        if let driven {
            try hardware.send(.leadOff(channel: driven, positive: false, negative: false), transport, what: "the lead-off drive off on channel \(driven)")
        }
        for setting in configuration.effectiveChannels {
            try hardware.send(.channelSettings(setting), transport, what: "channel \(setting.channel)'s settings")
        }
    }
}
