/// The part of XPath 1.0 that LSL resolvers send as queries, evaluated against a
/// stream's top-level info fields: `field='text'`, `field!='text'`, `field=number`,
/// `starts-with(field,'text')`, `contains(field,'text')`, `not(…)`, `and`, `or` and
/// parentheses. liblsl's resolvers send `session_id='default' and name='EEG'` and the like.
/// A query outside this subset (or longer than ``maximumBytes``) matches nothing, so an
/// inlet asking for it simply does not see EEGKit's streams. An empty query matches all.
public struct LSLQuery: Sendable {
    public static let maximumBytes = 4096
    private static let maximumDepth = 32

    /// The query's tokens: nil when it is too long or not tokenizable (it matches nothing),
    /// empty when it is blank (it matches everything).
    private let tokens: [Token]?

    /// Tokenizes `query` once, so that one discovery datagram is checked against every
    /// outlet without reading its (up to 4 KB) text again for each.
    public init(_ query: String) {
        if query.utf8.count > Self.maximumBytes { tokens = nil } else if query.trimmingSpaces.isEmpty { tokens = [] } else { tokens = Self.tokenize(query).flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// Whether the query holds for a stream whose top-level fields (name → text) are `fields`.
    public func matches(_ fields: [String: String]) -> Bool {
        guard let tokens else { return false }
        if tokens.isEmpty { return true }
        var parser = Parser(tokens: tokens, fields: fields)
        guard let value = parser.orExpression(depth: 0), parser.position == tokens.count else { return false }
        return value
    }

    /// Whether `query` holds for a stream whose top-level fields (name → text) are `fields`.
    public static func matches(_ query: String, fields: [String: String]) -> Bool { LSLQuery(query).matches(fields) }

    enum Token: Equatable { case word(String), literal(String), number(Double), open, close, comma, equals, notEquals }

    static func tokenize(_ text: String) -> [Token]? {
        var tokens: [Token] = []
        var chars = Array(text)[...]
        while let c = chars.first {
            switch c {
            case " ", "\t", "\r", "\n": chars.removeFirst()
            case "(": tokens.append(.open); chars.removeFirst()
            case ")": tokens.append(.close); chars.removeFirst()
            case ",": tokens.append(.comma); chars.removeFirst()
            case "=": tokens.append(.equals); chars.removeFirst()
            case "!":
                chars.removeFirst()
                guard chars.first == "=" else { return nil }
                chars.removeFirst(); tokens.append(.notEquals)
            case "'", "\"":
                chars.removeFirst()
                guard let end = chars.firstIndex(of: c) else { return nil }
                tokens.append(.literal(String(chars[..<end]))); chars = chars[(end + 1)...]
            default:
                let word = chars.prefix { !" \t\r\n()=!,'\"".contains($0) }
                guard !word.isEmpty else { return nil }
                chars.removeFirst(word.count)
                if let number = Double(String(word)), word.first!.isNumber || word.first == "-" { tokens.append(.number(number)) } else { tokens.append(.word(String(word))) }
            }
        }
        return tokens
    }

    private struct Parser {
        let tokens: [Token]
        let fields: [String: String]
        var position = 0
        func field(_ name: String) -> String? { fields[name] }

        var next: Token? { position < tokens.count ? tokens[position] : nil }
        mutating func take(_ token: Token) -> Bool { if next == token { position += 1; return true }; return false }

        mutating func orExpression(depth: Int) -> Bool? {
            guard depth < LSLQuery.maximumDepth, var value = andExpression(depth: depth) else { return nil }
            while take(.word("or")) { guard let rhs = andExpression(depth: depth) else { return nil }; value = value || rhs }
            return value
        }

        mutating func andExpression(depth: Int) -> Bool? {
            guard var value = primary(depth: depth) else { return nil }
            while take(.word("and")) { guard let rhs = primary(depth: depth) else { return nil }; value = value && rhs }
            return value
        }

        mutating func primary(depth: Int) -> Bool? {
            if take(.open) {
                guard let value = orExpression(depth: depth + 1), take(.close) else { return nil }
                return value
            }
            guard case .word(let name)? = next else { return nil }
            position += 1
            if take(.open) { return function(name, depth: depth) }
            return comparison(fieldValue: field(name))
        }

        mutating func function(_ name: String, depth: Int) -> Bool? {
            if name == "not" {
                guard let value = orExpression(depth: depth + 1), take(.close) else { return nil }
                return !value
            }
            guard name == "starts-with" || name == "contains", case .word(let fieldName)? = next else { return nil }
            position += 1
            guard take(.comma), case .literal(let text)? = next else { return nil }
            position += 1
            guard take(.close) else { return nil }
            let value = field(fieldName) ?? ""
            return name == "contains" ? (text.isEmpty || value.contains(text)) : value.hasPrefix(text)
        }

        mutating func comparison(fieldValue: String?) -> Bool? {
            let equal: Bool
            if take(.equals) { equal = true } else if take(.notEquals) { equal = false } else { return nil }
            guard let rhs = next else { return nil }
            position += 1
            guard let value = fieldValue else { return false } // XPath: no node, no match either way
            switch rhs {
            case .literal(let text): return (value == text) == equal
            case .number(let number): return (Double(value.trimmingSpaces) == number) == equal
            default: return nil
            }
        }
    }
}
