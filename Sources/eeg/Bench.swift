import ArgumentParser
import EEGKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the DSP core on this machine: samples per second and real-time factor.",
        discussion: """
            Runs the band-power task on synthetic EEG-like data: for each channel, \
            consecutive 4 s epochs, Welch PSD with 2 s Hann segments and 50 % overlap, \
            five band powers per epoch.

            Examples:
              eeg bench                       # 8 channels x 10 min at 250 Hz
              eeg bench --channels 64 --rate 512 --minutes 5
            """
    )

    @Option(help: "Channels of synthetic data.") var channels: Int = 8
    @Option(help: ArgumentHelp("Sample rate, Hz.", valueName: "hz")) var rate: Double = 250
    @Option(help: "Minutes of synthetic data.") var minutes: Double = 10

    func validate() throws {
        try checked(channels, flag: "--channels", in: 1...1024)
        // At least 100 Hz: the gamma band reaches 45 Hz.
        try checked(rate, flag: "--rate", in: 100...100_000, unit: "Hz")
        try checked(minutes, flag: "--minutes", in: 0.1...1440)
        // The synthetic data is held in memory: at most 2^28 samples (1 GiB of float32).
        let samples = Double(channels) * rate * minutes * 60
        guard samples <= Double(1 << 28) else {
            throw ValidationError("--channels × --rate × --minutes asks for \(Int(samples)) samples; at most \(1 << 28) (1 GiB) fit the benchmark")
        }
    }

    func run() throws {
        do {
            let workload = try EpochBandpowerWorkload(channels: channels, sampleRate: rate, seconds: minutes * 60)
            _ = workload.run()  // warm-up: plans, caches
            var best = Double.infinity
            for _ in 0..<3 {
                let start = ContinuousClock.now
                _ = workload.run()
                let elapsed = ContinuousClock.now - start
                best = min(best, elapsed.inSeconds)
            }
            let samples = Double(workload.frames * channels)
            print("band powers of \(channels) ch x \(Int(minutes * 60)) s at \(rate) Hz, 4 s epochs, one core")
            print(String(format: "  %.1f M samples/s, %.0fx real time (best of 3: %.3f s)",
                         samples / best / 1e6, Double(workload.frames) / rate / best, best))
        } catch {
            throw fail("bench", error)
        }
    }
}
