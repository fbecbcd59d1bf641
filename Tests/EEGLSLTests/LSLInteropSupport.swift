import Foundation
import Testing
import TestSupport
@testable import EEGLSL

/// Runs liblsl (through pylsl or mne-lsl, from `make interop-deps`'s virtual environment)
/// as an inlet against EEGKit's outlets, on loopback only (machine scope via LSLAPICFG).
enum LSLPeer {
    static let python = LSLInterop.python
    static let script = LSLInterop.inletScript
    static let configuration = LSLInterop.configuration
    static func available(_ what: String) -> Bool { LSLInterop.available(what) }

    static func machineConfiguration() throws -> LSLConfiguration {
        try LSLConfiguration(iniText: String(contentsOfFile: configuration, encoding: .utf8), path: configuration)
    }

    struct Result: Decodable {
        struct Info: Decodable {
            let name: String, type: String, source_id: String, channel_count: Int, nominal_srate: Double
            let labels: [String], units: [String], types: [String]
        }
        let info: Info?
        let samples: [[Value]]?
        let timestamps: [Double]?
        let time_correction: Double?
        let error: String?
    }

    enum Value: Decodable, Equatable {
        case number(Double), text(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double? { if case .number(let n) = self { n } else { nil } }
        var text: String? { if case .text(let t) = self { t } else { nil } }
    }

    /// Starts the inlet, calls `whenReady` once it has connected (resolved, opened, read
    /// the info and the time correction), and returns what it pulled.
    static func pull(_ library: String, name: String, count: Int, extra: [String] = [], whenReady: () throws -> Void) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, library, name, String(count), "--timeout", "8"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["LSLAPICFG"] = configuration
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let reader = out.fileHandleForReading
        var buffered = Data()
        while !buffered.contains(Data("ready\n".utf8)), !buffered.contains(Data("{".utf8)) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffered += chunk
        }
        if buffered.contains(Data("ready\n".utf8)) { try whenReady() }
        buffered += reader.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = String(decoding: buffered, as: UTF8.self)
        guard process.terminationStatus == 0, let json = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw PeerFailure(message: "\(library) inlet failed (\(process.terminationStatus)): \(errors.suffix(2000))")
        }
        return try JSONDecoder().decode(Result.self, from: Data(json.utf8))
    }

    struct PeerFailure: Error, CustomStringConvertible { let message: String; var description: String { message } }
}
