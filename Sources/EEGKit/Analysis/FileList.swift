import Foundation

/// A list of recordings in a text file (`--files-from`): one path a line, as written —
/// spaces kept, a carriage return at the end of a line dropped, empty lines skipped.
public enum FileList {
    /// The largest list read: 64 MiB (about a million paths).
    public static let maxBytes = 1 << 26

    public static func read(path: String) throws(InputError) -> [String] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotOpen(path: path, reason: Errno(errno).description) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw .isDirectory(path: path) }
        guard info.st_size <= maxBytes else { throw .readFailed(source: path, reason: "a file list is at most \(maxBytes >> 20) MiB") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw .cannotOpen(path: path, reason: error.localizedDescription) }
        return parse(String(decoding: data, as: UTF8.self))
    }

    /// The paths of a list's text.
    public static func parse(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift: both line ends are separators.
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }.filter { !$0.isEmpty }
    }
}
