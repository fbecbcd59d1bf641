import ArgumentParser
import EEGKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the DSP core on this machine: samples per second and real-time factor.",
        discussion: """
            Runs the band-power task on synthetic EEG-like data: for each channel, \
            consecutive 4 s epochs, Welch PSD with 2 s Hann segments and 50 % overlap, \
            five band powers per epoch.

            Examples:
              eeg bench                       # 8 channels x 10 min at 250 Hz
              eeg bench --channel-count 64 --rate 512 --duration 5m

            --channels N and --minutes M, the old spellings, still work for one release \
            and say so on standard error.
            """
    )

    @Option(name: .customLong("channel-count"), help: "Channels of synthetic data (default 8).") var channelCount: Int?
    @Option(help: ArgumentHelp("Sample rate, Hz.", valueName: "hz")) var rate: Double = 250
    @Option(help: ArgumentHelp("Synthetic data to analyse, e.g. 10m or 90s (default 10m).", valueName: "duration")) var duration: DurationArgument?
    @Option(help: ArgumentHelp("The old spelling of --channel-count.", visibility: .hidden)) var channels: Int?
    @Option(help: ArgumentHelp("The old spelling of --duration, in minutes.", visibility: .hidden)) var minutes: Double?

    /// 1 s to a day of synthetic data.
    static let durationRange: ClosedRange<Double> = 1...86_400

    /// Channels: --channel-count, or the deprecated --channels.
    var channelValue: Int { channelCount ?? channels ?? 8 }

    /// Seconds of data: --duration, or the deprecated --minutes (checked in validate()).
    func seconds() throws -> Double {
        if let minutes { return try checked(minutes, flag: "--minutes", in: 0.1...1440) * 60 }
        return try duration?.seconds("--duration", in: Self.durationRange) ?? 600
    }

    /// The old spellings given, each said on standard error.
    var deprecations: [DeprecatedSpelling] {
        var spellings: [DeprecatedSpelling] = []
        if let channels { spellings.append(DeprecatedSpelling(command: "bench", old: "--channels \(channels)", new: "--channel-count \(channels)", reason: "--channels selects channels by label in other commands")) }
        if let minutes { spellings.append(DeprecatedSpelling(command: "bench", old: "--minutes \(CSVText.number(minutes))", new: "--duration \(CSVText.number(minutes))m")) }
        return spellings
    }

    func validate() throws {
        if channelCount != nil && channels != nil { throw ValidationError("give --channel-count or --channels (its older name), not both") }
        if duration != nil && minutes != nil { throw ValidationError("give --duration or --minutes (its older name), not both") }
        try checked(channelValue, flag: channels == nil ? "--channel-count" : "--channels", in: 1...1024)
        // At least 100 Hz: the gamma band reaches 45 Hz.
        try checked(rate, flag: "--rate", in: 100...100_000, unit: "Hz")
        let seconds = try seconds()
        // The synthetic data is held in memory: at most 2^28 samples (1 GiB of float32).
        let samples = Double(channelValue) * rate * seconds
        guard samples <= Double(1 << 28) else {
            throw ValidationError("--channel-count × --rate × --duration asks for \(Int(samples)) samples; at most \(1 << 28) (1 GiB) fit the benchmark")
        }
    }

    func run() throws {
        DeprecatedSpelling.warn(deprecations)
        let channels = channelValue, seconds = try seconds()
        do {
            let workload = try EpochBandpowerWorkload(channels: channels, sampleRate: rate, seconds: seconds)
            _ = workload.run()  // warm-up: plans, caches
            var best = Double.infinity
            for _ in 0..<3 {
                let start = ContinuousClock.now
                _ = workload.run()
                let elapsed = ContinuousClock.now - start
                best = min(best, elapsed.inSeconds)
            }
            let samples = Double(workload.frames * channels)
            print("band powers of \(channels) ch x \(Int(seconds)) s at \(rate) Hz, 4 s epochs, one core")
            print(String(format: "  %.1f M samples/s, %.0fx real time (best of 3: %.3f s)",
                         samples / best / 1e6, Double(workload.frames) / rate / best, best))
        } catch {
            throw fail("bench", error)
        }
    }
}
