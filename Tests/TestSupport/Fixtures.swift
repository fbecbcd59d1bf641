import Foundation

/// Finds files under the repository's `Fixtures/` from this source file's location, so
/// tests work from any working directory. Shared by every test target.
public enum Fixtures {
    public static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("Fixtures")
    }()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func json<T: Decodable>(_ relative: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(relative)))
    }

    /// Little-endian float32 samples.
    public static func float32(_ relative: String) throws -> [Float] {
        let data = try Data(contentsOf: url(relative))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// The largest |actual − expected| / |expected| and where it is.
public func worstRelativeError(_ actual: [Double], _ expected: [Double]) -> (error: Double, index: Int) {
    var worst = (0.0, -1)
    for i in expected.indices {
        let denominator = abs(expected[i])
        let error = denominator == 0 ? abs(actual[i]) : abs(actual[i] - expected[i]) / denominator
        if error > worst.0 { worst = (error, i) }
    }
    return worst
}
