#if canImport(Glibc)
import Glibc
#endif

/// The liblsl settings EEGKit honours, read from the same `lsl_api.cfg` liblsl reads, so
/// a lab configures EEGKit and its other LSL programs alike.
///
/// Where liblsl looks (api_config.cpp): the file named by `LSLAPICFG`, then `lsl_api.cfg`
/// in the working directory, then `~/lsl_api/lsl_api.cfg`, then `/etc/lsl_api/lsl_api.cfg`;
/// the first readable one wins, else the defaults. Values are liblsl's defaults.
public struct LSLConfiguration: Sendable, Equatable {
    /// How far discovery reaches (`[multicast] ResolveScope`).
    public enum Scope: String, Sendable, CaseIterable, Comparable {
        case machine, link, site, organization, global
        public static func < (a: Scope, b: Scope) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var scope: Scope = .site
    /// `[ports] MulticastPort`: where discovery queries arrive.
    public var multicastPort = 16571
    /// `[ports] BasePort` and `PortRange`: the ports outlets bind first (TCP data, UDP service).
    public var basePort = 16572
    public var portRange = 32
    public var allowRandomPorts = true
    /// `[ports] IPv6`: EEGKit serves IPv4 only, so `force` leaves it nothing to serve.
    public var allowIPv4 = true
    public var allowIPv6 = true
    /// `[lab] KnownPeers` (resolvers query them by unicast; an outlet has nothing to do with
    /// it but the marker inlet asks them) and `[lab] SessionID`.
    public var knownPeers: [String] = []
    public var sessionID = "default"
    /// The IPv4 discovery addresses the scope reaches (machine, link, site, … groups, or
    /// `AddressesOverride`), in liblsl's order.
    public var discoveryAddresses: [String] = ["127.0.0.1", "255.255.255.255", "224.0.0.1", "224.0.0.183", "239.255.172.215"]
    /// `[multicast] ListenAddress`: where the discovery responder listens ("" = any).
    public var listenAddress = ""
    /// The file the settings came from, `nil` for the defaults.
    public var source: String?

    public init() {}

    /// Under machine scope everything EEGKit sends or receives stays on the loopback interface.
    public var loopbackOnly: Bool { scope == .machine }
}

/// Why a configuration file was refused: liblsl refuses the same values.
public struct LSLConfigurationError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case unreadable, badValue(key: String), tooLarge }
    public let kind: Kind
    public let path: String
    public let line: Int
    public var description: String {
        switch kind {
        case .unreadable: return "\(path): cannot be read"
        case .tooLarge: return "\(path): larger than \(LSLConfiguration.maximumFileBytes) bytes; not an lsl_api.cfg"
        case .badValue(let key): return "\(path):\(line): unsupported value for \(key)"
        }
    }
}

extension LSLConfiguration {
    static let maximumFileBytes = 1 << 20

    /// The files liblsl would try, in its order, for this environment and working directory.
    public static func searchPath(environment: [String: String]) -> [String] {
        var paths: [String] = []
        if let explicit = environment["LSLAPICFG"], !explicit.isEmpty { paths.append(explicit) }
        paths.append("lsl_api.cfg")
        if let home = environment["HOME"], !home.isEmpty { paths.append(home + "/lsl_api/lsl_api.cfg") }
        paths.append("/etc/lsl_api/lsl_api.cfg")
        return paths
    }

    /// Loads the first readable file of ``searchPath(environment:)``, or the defaults.
    public static func load(environment: [String: String]) throws(LSLConfigurationError) -> LSLConfiguration {
        for path in searchPath(environment: environment) {
            guard let text = try readIfPresent(path) else { continue }
            var configuration = try LSLConfiguration(iniText: text, path: path)
            configuration.source = path
            return configuration
        }
        return LSLConfiguration()
    }

    private static func readIfPresent(_ path: String) throws(LSLConfigurationError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw LSLConfigurationError(kind: .unreadable, path: path, line: 0) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maximumFileBytes { throw LSLConfigurationError(kind: .tooLarge, path: path, line: 0) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses liblsl's INI dialect: `[section]` headers, `key = value`, `;`/`#` comments,
    /// and `{a, b}` sets. Unknown keys are ignored, as liblsl does.
    public init(iniText: String, path: String = "lsl_api.cfg") throws(LSLConfigurationError) {
        self.init()
        var values: [String: (String, Int)] = [:]
        var section = ""
        for (number, raw) in iniText.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map({ String($0) }).enumerated() {
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingSpaces
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals]).trimmingSpaces, value = String(line[line.index(after: equals)...]).trimmingSpaces
            values["\(section).\(key)"] = (value, number + 1)
        }
        try apply(values, path: path)
    }

    private mutating func apply(_ values: [String: (String, Int)], path: String) throws(LSLConfigurationError) {
        func bad(_ key: String) -> LSLConfigurationError { LSLConfigurationError(kind: .badValue(key: key), path: path, line: values[key]?.1 ?? 0) }
        func port(_ key: String, _ fallback: Int, range: ClosedRange<Int> = 1...65535) throws(LSLConfigurationError) -> Int {
            guard let (text, _) = values[key] else { return fallback }
            guard let value = Int(text), range.contains(value) else { throw bad(key) }
            return value
        }
        multicastPort = try port("ports.MulticastPort", multicastPort)
        basePort = try port("ports.BasePort", basePort)
        portRange = try port("ports.PortRange", portRange, range: 0...65535)
        if let (text, _) = values["ports.AllowRandomPorts"] { allowRandomPorts = !["0", "false", "no", "off"].contains(text.lowercased()) }
        switch values["ports.IPv6"]?.0 ?? "allow" {
        case "disabled", "disable": allowIPv6 = false
        case "allowed", "allow": break
        case "forced", "force": allowIPv4 = false
        default: throw bad("ports.IPv6")
        }
        if let (text, _) = values["multicast.ResolveScope"] {
            guard let value = Scope(rawValue: text) else { throw bad("multicast.ResolveScope") }
            scope = value
        }
        listenAddress = values["multicast.ListenAddress"]?.0 ?? ""
        knownPeers = Self.set(values["lab.KnownPeers"]?.0 ?? "{}")
        sessionID = values["lab.SessionID"]?.0 ?? "default"
        discoveryAddresses = Self.addresses(for: scope, values: values)
    }

    /// The scope's IPv4 group addresses, from machine up to the scope (liblsl's order).
    private static func addresses(for scope: Scope, values: [String: (String, Int)]) -> [String] {
        let override = set(values["multicast.AddressesOverride"]?.0 ?? "{}")
        if !override.isEmpty { return override.filter { !$0.contains(":") } }
        let groups: [(Scope, String, String)] = [
            (.machine, "multicast.MachineAddresses", "{127.0.0.1}"),
            (.link, "multicast.LinkAddresses", "{255.255.255.255, 224.0.0.1, 224.0.0.183}"),
            (.site, "multicast.SiteAddresses", "{239.255.172.215}"),
            (.organization, "multicast.OrganizationAddresses", "{}"),
            (.global, "multicast.GlobalAddresses", "{}"),
        ]
        return groups.filter { $0.0 <= scope }.flatMap { set(values[$0.1]?.0 ?? $0.2) }.filter { !$0.contains(":") }
    }

    /// `{a, b}` → ["a", "b"]; anything else (as in liblsl) → [].
    static func set(_ text: String) -> [String] {
        guard text.count > 2, text.hasPrefix("{"), text.hasSuffix("}") else { return [] }
        return text.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
