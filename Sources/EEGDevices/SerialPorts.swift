import Foundation
import Glibc

/// A serial port that may be a Cyton dongle under the kernel's ftdi_sio driver.
public struct SerialPortCandidate: Sendable, Equatable {
    public let path: String
    /// The stable /dev/serial/by-id name, when udev made one.
    public let stableName: String?
    public let accessible: Bool
}

public enum SerialPorts {
    /// FTDI ttys: /dev/serial/by-id entries naming FTDI, else every /dev/ttyUSB*.
    public static func candidates(devRoot: String = "/dev") -> [SerialPortCandidate] {
        let fm = FileManager.default
        var result: [SerialPortCandidate] = []
        var seen = Set<String>()
        let byID = devRoot + "/serial/by-id"
        for entry in (try? fm.contentsOfDirectory(atPath: byID))?.sorted() ?? [] where entry.contains("FTDI") || entry.contains("0403") {
            let link = byID + "/" + entry
            let target = (try? fm.destinationOfSymbolicLink(atPath: link)).map { URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: byID + "/")).standardized.path } ?? link
            seen.insert(target)
            result.append(SerialPortCandidate(path: target, stableName: link, accessible: access(target, R_OK | W_OK) == 0))
        }
        for entry in (try? fm.contentsOfDirectory(atPath: devRoot))?.sorted() ?? [] where entry.hasPrefix("ttyUSB") {
            let path = devRoot + "/" + entry
            guard !seen.contains(path) else { continue }
            result.append(SerialPortCandidate(path: path, stableName: nil, accessible: access(path, R_OK | W_OK) == 0))
        }
        return result
    }
}
