import ArgumentParser
import EEGKit
import Foundation

struct Impedance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "impedance",  // see EEG.configuration: a derived name costs ~1–3 M instructions at start
        abstract: "Measure each Cyton electrode's impedance with the board's lead-off drive.",
        discussion: """
            One channel at a time, the board drives 6 nA at 31.2 Hz through the electrode \
            on the channel's N input (SRB2, the reference, stays connected); the channel \
            is band-passed around the drive and Z = √2 · Vrms / 6 nA − 2.2 kΩ (the \
            board's series resistor), as the OpenBCI GUI computes it. Each channel takes \
            --seconds plus 1 s to settle. A row (or JSON line) is printed as each channel \
            is done, with a quality word: good below --good-below, fair below \
            --fair-below, poor otherwise.

            The channel settings are sent again when the check ends, is interrupted \
            (Ctrl-C) or fails, so the board is left as it was configured.

            Passive electrodes only: active electrodes have their own amplifier, which \
            drives the line, so a reading for them means nothing.

            Examples:
              eeg impedance --device cyton
              eeg impedance --device cyton --port /dev/ttyUSB0 --channels ch1,ch2 --format jsonl
              eeg impedance --device cyton --daisy --good-below 5 --fair-below 20
            """
    )

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(help: ArgumentHelp("Only these channels, e.g. ch1,ch3 (default: all).", valueName: "labels"))
    var channels: String?

    @Option(help: ArgumentHelp("Signal measured per channel, e.g. 2s (after 1 s that settles the filter).", valueName: "duration"))
    var seconds: DurationArgument = DurationArgument(argument: "2s")

    @Option(name: .customLong("good-below"), help: ArgumentHelp("Below this many kΩ an electrode is good.", valueName: "kΩ"))
    var goodBelow: Double = 10

    @Option(name: .customLong("fair-below"), help: ArgumentHelp("Below this many kΩ an electrode is fair (poor otherwise).", valueName: "kΩ"))
    var fairBelow: Double = 50

    @Option(help: "table or jsonl (default: table on a terminal, jsonl when piped).")
    var format: ImpedanceFormat?

    enum ImpedanceFormat: String, ExpressibleByArgument, CaseIterable { case table, jsonl }

    func validate() throws {
        guard case .cyton = try deviceOptions.deviceDescription() else {
            throw ValidationError("eeg impedance measures a Cyton: give --device cyton (or --port)")
        }
        _ = try seconds.seconds("--seconds", in: 0.1...600)
        try checked(goodBelow, flag: "--good-below", in: 0...1_000_000, unit: "kΩ")
        try checked(fairBelow, flag: "--fair-below", in: goodBelow...1_000_000, unit: "kΩ")
        if let channels { _ = try ChannelLabels.selection(channels) }
    }

    func run() throws {
        let stop = StopSignal()
        do {
            guard case .cyton(let settings) = try deviceOptions.deviceDescription() else { return }
            var check = ImpedanceCheck(settings: settings)
            check.channels = try channels.map { try ChannelLabels.selection($0) }
            check.seconds = try seconds.seconds("--seconds", in: 0.1...600)
            check.thresholds = ImpedanceThresholds(goodBelow: goodBelow * 1000, fairBelow: fairBelow * 1000)
            let table = (format ?? (standardOutputIsTerminal ? .table : .jsonl)) == .table
            printStatus("measuring impedance, one channel at a time (\(String(format: "%g", check.seconds + check.settleSeconds)) s each); Ctrl-C to stop")
            if table { try TextOutput.standard.line(ImpedanceReading.tableHeader) }
            let completed = try check.run(stopRequested: { stop.isRequested }) { reading in
                try TextOutput.standard.line(table ? reading.tableRow : reading.jsonLine)
            }
            printStatus(completed ? "done; channel settings restored" : "stopped; channel settings restored")
        } catch {
            throw fail("impedance", error)
        }
    }
}
