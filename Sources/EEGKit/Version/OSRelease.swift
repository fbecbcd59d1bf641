import Foundation

/// The distribution's identification from os-release(5).
enum OSRelease {
    /// `PRETTY_NAME` from `/etc/os-release`, or `/usr/lib/os-release` when that is
    /// missing; `nil` when neither has one. Reads at most 64 KiB.
    static func prettyName(files: [String] = ["/etc/os-release", "/usr/lib/os-release"]) -> String? {
        for path in files {
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            guard let data = try? handle.read(upToCount: 64 * 1024) else { continue }
            return value(of: "PRETTY_NAME", in: String(decoding: data, as: UTF8.self))
        }
        return nil
    }

    /// The value of `key` in os-release text: `KEY=value`, the value bare or in single or
    /// double quotes; inside double quotes a backslash escapes `"`, `\`, `$` and `` ` ``,
    /// as in the shell. `nil` when the key is absent or its value empty.
    static func value(of key: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + "=") {
            let raw = line.dropFirst(key.count + 1)
            let value: String
            if raw.count >= 2, let quote = raw.first, quote == "\"" || quote == "'", raw.last == quote {
                value = quote == "'" ? String(raw.dropFirst().dropLast()) : unescaped(raw.dropFirst().dropLast())
            } else {
                value = String(raw)
            }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    private static func unescaped(_ quoted: Substring) -> String {
        var result = "", escaping = false
        for character in quoted {
            if escaping, !"\"\\$`".contains(character) { result.append("\\") }
            if !escaping, character == "\\" { escaping = true; continue }
            result.append(character)
            escaping = false
        }
        return escaping ? result + "\\" : result
    }
}
