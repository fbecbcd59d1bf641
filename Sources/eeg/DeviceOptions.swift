import ArgumentParser
import EEGKit
import Foundation
import Synchronization

/// `--device sim`, `--device cyton` or `--device cyton:SERIAL` (parsed by EEGKit's
/// ``DeviceDescription/init(name:)``).
struct DeviceSpec: ExpressibleByArgument, Equatable {
    let description: DeviceDescription
    /// As typed, for help texts (`default: sim`).
    let argument: String

    init?(argument: String) {
        guard let description = DeviceDescription(name: argument) else { return nil }
        self.description = description
        self.argument = argument
    }

    var defaultValueDescription: String { argument }

    static let sim = DeviceSpec(argument: "sim")!
    static var allValueStrings: [String] { DeviceDescription.names }
    var isSimulated: Bool { if case .simulated = description { true } else { false } }
}

/// Device selection shared by `stream` and `record`: parsed and checked here, built by
/// EEGKit (``DeviceDescription/makeDevice(rawCapture:)``).
struct DeviceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("sim (the built-in simulated headset), cyton, or cyton:SERIAL.", valueName: "device"))
    var device: DeviceSpec = .sim

    @Option(help: ArgumentHelp("Talk to the Cyton through this serial port (the kernel's ftdi_sio driver) instead of libusb.", valueName: "tty"))
    var port: String?

    @Flag(help: "The Cyton has a Daisy board (16 channels at 125 Hz).")
    var daisy = false

    @Option(help: ArgumentHelp("Cyton: amplifier gain for every channel (1, 2, 4, 6, 8, 12 or 24; default 24), or per channel as LABEL=GAIN,… (e.g. ch1=12,ch2=4; labels ch1…ch16 or numbers). Sent to the board, which must confirm it; samples are scaled by it.", valueName: "gain"))
    var gain: String?

    @Option(name: .customLong("channel-input"), help: ArgumentHelp("Cyton: what every channel's input is connected to: normal (the electrodes), shorted (the amplifier's own noise) or test (the board's internal test signal, to check a setup).", valueName: "input"))
    var channelInput: String?

    @Option(name: .customLong("channels-off"), help: ArgumentHelp("Cyton: power these channels down (they read 0), e.g. ch7,ch8.", valueName: "labels"))
    var channelsOff: String?

    @Option(help: ArgumentHelp("Cyton: what the board sends beside the EEG, streamed after the channels and recorded as its own signals (BDF/EDF) or its own stream (XDF, LSL): accel (accel_x/y/z in g, 25 Hz; the default), analog (analog_a5/a6/a7, ADC counts 0…1023), digital (digital_d11/d12/d13/d17/d18, 0 or 1), markers (marker, the code of a marker the board received, 0 otherwise) or none. Modes other than accel need firmware v3, which must confirm them.", valueName: "mode"))
    var aux: String?

    @Flag(name: .customLong("no-aux"), help: "Cyton: no aux channels (the same as --aux none).")
    var noAux = false

    @Flag(name: .customLong("board-time"), help: "Cyton: add board_time (ms), the board's own clock from its time-stamped packets: ms since the first stamp, modulo 2^24 (it wraps every 4 h 39 min 37 s). The board must confirm time stamps on (<). Recordings need .bdf or .xdf (24-bit samples and float32 hold it exactly; .edf cannot).")
    var boardTime = false

    /// `--aux` / `--no-aux` as a mode (accel unless given).
    func auxMode() throws -> CytonAuxMode {
        if noAux, let aux, aux != CytonAuxMode.none.rawValue { throw ValidationError("give --aux \(aux) or --no-aux, not both") }
        if noAux { return .none }
        guard let aux else { return .accel }
        guard let mode = CytonAuxMode(rawValue: aux) else {
            throw ValidationError("--aux: '\(aux)' is not a mode; use one of \(CytonAuxMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return mode
    }

    @Option(help: "Simulated headset: random seed (the same seed gives the same signal).")
    var seed: UInt64 = 1

    @Option(name: .customLong("sim-channels"), help: "Simulated headset: channels.")
    var simChannels: Int = 8

    @Option(name: .customLong("sim-rate"), help: ArgumentHelp("Simulated headset: sample rate.", valueName: "hz"))
    var simRate: Double = 250

    @Option(help: ArgumentHelp("Simulated headset: 1 for real time, 2, 20, … or max. Faster than real time, its calibration and focused/relaxed phases pass in seconds.", valueName: "speed"))
    var speed: SpeedArgument?

    @Option(name: .customLong("sim-speed"), help: ArgumentHelp("The same as --speed (its older name).", valueName: "speed"))
    var simSpeed: SpeedArgument?

    /// `--speed` or `--sim-speed`, whichever was given, with the flag to name in messages.
    private var speedFlag: (argument: SpeedArgument, flag: String)? {
        if let speed { return (speed, "--speed") }
        return simSpeed.map { ($0, "--sim-speed") }
    }

    /// The speed flag as typed, for messages ("--speed" unless only --sim-speed was given).
    var speedFlagName: String { speedFlag?.flag ?? "--speed" }

    /// The simulated headset's speed (1 unless given).
    func speedValue() throws -> Double {
        guard let given = speedFlag else { return 1 }
        return try given.argument.value(given.flag)
    }

    func validate() throws {
        if speed != nil && simSpeed != nil { throw ValidationError("give --speed or --sim-speed (its older name), not both") }
        let speedGiven = try speedValue()
        if !device.isSimulated && speedGiven != 1 { throw ValidationError("\(speedFlag?.flag ?? "--speed") is for the simulated headset") }
        if device.isSimulated && (port != nil || daisy || noAux) {
            throw ValidationError("--port, --daisy and --no-aux are for --device cyton, not the simulated headset")
        }
        if device.isSimulated, let aux { throw ValidationError("--aux \(aux) is for --device cyton, not the simulated headset") }
        if device.isSimulated && boardTime { throw ValidationError("--board-time is for --device cyton, not the simulated headset") }
        _ = try auxMode()
        if case .cyton(let cyton) = device.description, cyton.serial != nil, port != nil {
            throw ValidationError("give --device cyton:SERIAL or --port, not both")
        }
        if device.isSimulated && !channelRequest.isEmpty {
            throw ValidationError("--gain, --channel-input and --channels-off are for --device cyton, not the simulated headset")
        }
        _ = try usage { try channelRequest.settings(daisy: daisy) }
        try checked(simChannels, flag: "--sim-channels", in: 1...256)
        try checked(simRate, flag: "--sim-rate", in: 100...16_000, unit: "Hz")
    }

    /// `--gain`, `--channel-input`, `--channels-off` as typed.
    var channelRequest: CytonChannelRequest { CytonChannelRequest(gain: gain, input: channelInput, channelsOff: channelsOff) }

    /// What the flags describe.
    func deviceDescription() throws -> DeviceDescription {
        switch device.description {
        case .simulated(var sim):
            sim.channelCount = simChannels
            sim.sampleRate = simRate
            sim.seed = seed
            sim.speed = try speedValue()
            return .simulated(sim)
        case .cyton(var cyton):
            cyton.port = port
            cyton.daisy = daisy
            cyton.aux = try auxMode()
            cyton.boardTime = boardTime
            cyton.channels = try usage { try channelRequest.settings(daisy: daisy) }
            return .cyton(cyton)
        case .rawCytonCapture:
            return device.description
        }
    }
}

/// Lines or the dashboard: shared by stream and replay.
struct LiveOutputOptions: ParsableArguments {
    @Option(help: "samples (one line per frame) or metrics (one line per 0.25 s update; the default when piped).")
    var emit: StreamEmit?

    @Option(help: "jsonl or csv (default jsonl).")
    var format: StreamFormat?

    @Flag(name: .customLong("no-dashboard"), help: "Print lines even on a terminal.")
    var noDashboard = false

    func validate() throws {
        if emit == StreamEmit.none { throw ValidationError("--emit is samples or metrics") }
    }

    /// The dashboard is for a person at a terminal who asked for no particular output.
    var wantsDashboard: Bool { emit == nil && format == nil && !noDashboard && TerminalDashboard.available }

    func apply(to options: inout StreamOptions) {
        options.emit = emit ?? .metrics
        options.format = format ?? .jsonl
    }
}
