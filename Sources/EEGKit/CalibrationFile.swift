import EEGCore
import EEGDSP
import Foundation

/// Reads the score baselines saved by `eeg analyze --save-calibration`. The file is
/// untrusted: at most ``maxBytes`` are read (a FIFO or `/dev/zero` cannot make it read
/// forever), and every baseline must be finite with a positive spread and count, so a
/// hand-edited file cannot turn every score into NaN unnoticed.
public enum CalibrationFile {
    /// A saved calibration is a few hundred bytes; anything beyond 1 MiB is not one.
    public static let maxBytes = 1 << 20

    /// The calibration in `path`. Throws ``InputError/cannotOpen(path:reason:)`` or
    /// ``InputError/isDirectory(path:)`` when it cannot be opened,
    /// ``InputError/readFailed(source:reason:)`` when reading fails, and
    /// ``InputError/badCalibration(path:reason:)`` when it is not a valid calibration.
    public static func load(path: String) throws(InputError) -> Calibration {
        let bytes = try contents(of: path)
        let calibration: Calibration
        do {
            calibration = try JSONDecoder().decode(Calibration.self, from: bytes)
        } catch {
            throw .badCalibration(path: path, reason: "not a calibration saved by --save-calibration (\(describe(error)))")
        }
        for (name, baseline) in [("attention", calibration.attention), ("relaxation", calibration.relaxation), ("workload", calibration.workload)] {
            guard let baseline else { continue }
            if !baseline.mean.isFinite {
                throw .badCalibration(path: path, reason: "\(name).mean is \(baseline.mean), expected a finite number")
            }
            if !(baseline.standardDeviation.isFinite && baseline.standardDeviation >= 1e-12) {
                throw .badCalibration(path: path, reason: "\(name).standardDeviation is \(baseline.standardDeviation), expected a finite number ≥ 1e-12")
            }
            if baseline.count < 1 {
                throw .badCalibration(path: path, reason: "\(name).count is \(baseline.count), expected at least 1")
            }
        }
        return calibration
    }

    private static func contents(of path: String) throws(InputError) -> Data {
        let file: FileDescriptor
        do { file = try FileDescriptor(opening: path, .readOnly) } catch { throw .cannotOpen(path: path, reason: error.description) }
        if (try? file.status().isDirectory) == true { throw .isDirectory(path: path) }
        // One byte more than allowed: reading it says the file is too long.
        let bytes: [UInt8]
        do { bytes = try file.read(upTo: maxBytes + 1, at: nil) } catch { throw .readFailed(source: path, reason: error.description) }
        guard bytes.count <= maxBytes else { throw .badCalibration(path: path, reason: "longer than \(maxBytes) bytes: not a calibration saved by --save-calibration") }
        return Data(bytes)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "not JSON"
        }
    }
}
