/// One element of a small XML document: its name, its own text (the character data
/// directly inside it, entities resolved; whitespace-only runs dropped, as liblsl's XML
/// library does) and its child elements in document order. Attributes are read and
/// discarded: the LSL and XDF documents this serves carry none that matter.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLElement]

    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// The text of the first child called `name`, or nil when there is no such child.
    public func value(of name: String) -> String? {
        child(name)?.text
    }
}

/// Why a stream description (or the XML around it) could not be read. The case is the
/// kind; `offset` is the byte in the document where reading stopped.
public enum StreamInfoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not well-formed XML, or beyond the parser's bounds (depth, element count).
    case malformedXML(offset: Int, reason: String)
    /// A field the description must have is absent (or empty where it may not be).
    case missingField(String)
    /// A field holds a value that is not a number, not finite, or out of range.
    case badValue(field: String, found: String, expected: String)

    public var description: String {
        switch self {
        case .malformedXML(let offset, let reason):
            return "stream description: malformed XML at byte \(offset): \(reason)"
        case .missingField(let field):
            return "stream description: the <\(field)> field is missing or empty"
        case .badValue(let field, let found, let expected):
            return "stream description: <\(field)> is '\(found)', expected \(expected)"
        }
    }
}

/// A bounded, non-validating parser for the XML LSL and XDF exchange: elements, text,
/// entity and character references, CDATA, comments and processing instructions.
/// Document type declarations are refused (no entity expansion). The work and memory are
/// linear in the input; nesting deeper than `maxDepth` or more than `maxElements`
/// elements is refused, so hostile input from the network or a file cannot exhaust the
/// stack or the heap.
public enum XMLTree {
    /// Parses `bytes` (UTF-8) and returns the root element.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 32, maxElements: Int = 100_000) throws(StreamInfoError) -> XMLElement {
        var parser = XMLParserState(bytes: bytes, maxDepth: maxDepth, maxElements: maxElements)
        return try parser.document()
    }

    /// `text` with the characters XML reserves in character data escaped (as liblsl's XML
    /// library does: `&`, `<`, `>`).
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}

/// The parser's cursor. Elements are built on an explicit stack, not by recursion.
private struct XMLParserState {
    let bytes: [UInt8]
    let maxDepth: Int
    let maxElements: Int
    var position = 0
    var elements = 0

    init(bytes: [UInt8], maxDepth: Int, maxElements: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    func fail(_ reason: String, at offset: Int? = nil) -> StreamInfoError {
        .malformedXML(offset: offset ?? position, reason: reason)
    }

    mutating func document() throws(StreamInfoError) -> XMLElement {
        try skipMisc()
        guard position < bytes.count else { throw fail("no root element") }
        let root = try element()
        try skipMisc()
        guard position == bytes.count else { throw fail("content after the root element") }
        return root
    }

    /// Skips whitespace, comments, processing instructions and the XML declaration
    /// between top-level items.
    mutating func skipMisc() throws(StreamInfoError) {
        while true {
            while position < bytes.count, isSpace(bytes[position]) { position += 1 }
            if starts(with: "<?") { try skip(past: "?>", what: "processing instruction") }
            else if starts(with: "<!--") { try skip(past: "-->", what: "comment") }
            else if starts(with: "<!") { throw fail("document type declarations are not accepted") }
            else { return }
        }
    }

    /// Parses one element and everything inside it, the cursor on its `<`.
    mutating func element() throws(StreamInfoError) -> XMLElement {
        var stack: [XMLElement] = []
        var open = try startTag()
        if open.empty { return open.element }
        stack.append(open.element)
        while let top = stack.last {
            guard position < bytes.count else { throw fail("the document ends inside <\(top.name)>") }
            if bytes[position] != UInt8(ascii: "<") {
                try appendText(to: &stack[stack.count - 1])
            } else if starts(with: "</") {
                let closed = stack.removeLast()
                try endTag(closing: closed.name)
                guard !stack.isEmpty else { return closed }
                stack[stack.count - 1].children.append(closed)
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: "<![CDATA[") {
                let start = position + 9
                try skip(past: "]]>", what: "CDATA section")
                stack[stack.count - 1].text += String(decoding: bytes[start..<(position - 3)], as: UTF8.self)
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else {
                guard stack.count < maxDepth else { throw fail("elements nested deeper than \(maxDepth)") }
                open = try startTag()
                if open.empty { stack[stack.count - 1].children.append(open.element) } else { stack.append(open.element) }
            }
        }
        throw fail("unreachable")
    }

    mutating func startTag() throws(StreamInfoError) -> (element: XMLElement, empty: Bool) {
        elements += 1
        guard elements <= maxElements else { throw fail("more than \(maxElements) elements") }
        position += 1
        let name = try self.name()
        while true {
            while position < bytes.count, isSpace(bytes[position]) { position += 1 }
            guard position < bytes.count else { throw fail("the document ends inside the tag <\(name)") }
            if starts(with: "/>") { position += 2; return (XMLElement(name: name), true) }
            if bytes[position] == UInt8(ascii: ">") { position += 1; return (XMLElement(name: name), false) }
            try skipAttribute()
        }
    }

    mutating func endTag(closing expected: String) throws(StreamInfoError) {
        let at = position
        position += 2
        let name = try self.name()
        while position < bytes.count, isSpace(bytes[position]) { position += 1 }
        guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw fail("expected '>' to end </\(name)") }
        position += 1
        guard name == expected else { throw fail("</\(name)> closes <\(expected)>", at: at) }
    }

    mutating func skipAttribute() throws(StreamInfoError) {
        _ = try name()
        while position < bytes.count, isSpace(bytes[position]) { position += 1 }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { throw fail("expected '=' in an attribute") }
        position += 1
        while position < bytes.count, isSpace(bytes[position]) { position += 1 }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw fail("expected a quoted attribute value")
        }
        let quote = bytes[position]
        position += 1
        while position < bytes.count, bytes[position] != quote { position += 1 }
        guard position < bytes.count else { throw fail("the document ends inside an attribute value") }
        position += 1
    }

    mutating func name() throws(StreamInfoError) -> String {
        let start = position
        while position < bytes.count, isNameByte(bytes[position]) { position += 1 }
        guard position > start else { throw fail("expected a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Character data up to the next `<`, with references resolved; whitespace-only
    /// runs between elements are layout, not text.
    mutating func appendText(to element: inout XMLElement) throws(StreamInfoError) {
        var run: [UInt8] = []
        var onlySpace = true
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            if bytes[position] == UInt8(ascii: "&") {
                run += try reference()
                onlySpace = false
            } else {
                onlySpace = onlySpace && isSpace(bytes[position])
                run.append(bytes[position])
                position += 1
            }
        }
        if !onlySpace { element.text += String(decoding: run, as: UTF8.self) }
    }

    /// Resolves `&name;` or `&#N;`/`&#xH;` at the cursor into UTF-8.
    mutating func reference() throws(StreamInfoError) -> [UInt8] {
        let start = position
        var end = position + 1
        while end < bytes.count, end - start < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw fail("an unterminated '&' reference") }
        let body = String(decoding: bytes[(start + 1)..<end], as: UTF8.self)
        position = end + 1
        switch body {
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "amp": return [UInt8(ascii: "&")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default: break
        }
        let hex = body.hasPrefix("#x") || body.hasPrefix("#X")
        guard body.hasPrefix("#"), let code = UInt32(body.dropFirst(hex ? 2 : 1), radix: hex ? 16 : 10),
              let scalar = Unicode.Scalar(code), code != 0 else {
            throw fail("an unknown reference '&\(body);'", at: start)
        }
        return Array(String(Character(scalar)).utf8)
    }

    mutating func skip(past terminator: String, what: String) throws(StreamInfoError) {
        let start = position
        let pattern = Array(terminator.utf8)
        while position + pattern.count <= bytes.count {
            if bytes[position] == pattern[0], bytes[position..<(position + pattern.count)].elementsEqual(pattern) {
                position += pattern.count
                return
            }
            position += 1
        }
        throw fail("an unterminated \(what)", at: start)
    }

    func starts(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { bytes[position..<(position + count)].elementsEqual($0) }
    }

    func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), 0x80...0xFF:
            return true
        default:
            return false
        }
    }
}
