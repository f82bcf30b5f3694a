/// A strict JSON reader (RFC 8259) over UTF-8 bytes that checks values without building them. The
/// signaling relay reads the few fields it needs (`type`, `to`, the keys of `data`) and passes `data`
/// on as the sender's own bytes; a rebuild reads the flat payloads of the common events without
/// `JSONDecoder` (`FlatPayload`).
///
/// It refuses what RFC 8259 refuses: unescaped control characters in strings, bad escapes, leading
/// zeros, trailing commas (which Foundation's reader lets through but browsers' `JSON.parse` does not,
/// and a relayed `data` must parse in the other browser), and anything after the value; and it refuses
/// nesting deeper than `maxDepth`, so a hostile frame of brackets costs one pass and no recursion beyond
/// the limit.
public struct JSONScanner {
    public struct Failure: Error {
        public init() {}
    }

    public let bytes: [UInt8]
    public private(set) var index = 0
    public let maxDepth: Int

    /// A reader of `bytes` from `index` on (a value found earlier in the same bytes, read without a copy).
    public init(_ bytes: [UInt8], at index: Int = 0, maxDepth: Int = 32) {
        self.bytes = bytes
        self.index = index
        self.maxDepth = maxDepth
    }

    public var atEnd: Bool { index >= bytes.count }

    public mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after white space) or fails.
    public mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw Failure() }
        index += 1
    }

    /// Consumes `byte` (after white space) when it is next.
    public mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next byte after white space, without consuming it.
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Checks one value and returns the range of its bytes.
    public mutating func skipValue(depth: Int = 0) throws(Failure) -> Range<Int> {
        skipWhitespace()
        guard index < bytes.count else { throw Failure() }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw Failure() }
            index += 1
            if !take(UInt8(ascii: "}")) {
                repeat {
                    skipWhitespace()
                    try skipString()
                    try expect(UInt8(ascii: ":"))
                    _ = try skipValue(depth: depth + 1)
                } while take(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"))
            }
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw Failure() }
            index += 1
            if !take(UInt8(ascii: "]")) {
                repeat {
                    _ = try skipValue(depth: depth + 1)
                } while take(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            try skipNumber()
        }
        return start..<index
    }

    /// Reads a string and decodes its escapes. Only for short strings (keys, ids, names): `limit` bytes.
    public mutating func readString(limit: Int = 256) throws(Failure) -> String {
        skipWhitespace()
        let start = index
        try skipString()
        guard index - start - 2 <= limit * 6 else { throw Failure() }
        let body = bytes[(start + 1)..<(index - 1)]
        if !body.contains(UInt8(ascii: "\\")) {
            let text = String(decoding: body, as: UTF8.self)
            guard text.utf8.count <= limit else { throw Failure() }
            return text
        }
        var scalars = String.UnicodeScalarView()
        var position = body.startIndex
        var utf8: [UInt8] = []
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        while position < body.endIndex {
            let byte = body[position]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                position += 1
                continue
            }
            flush()
            let escape = body[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            default:
                // \uXXXX, possibly a surrogate pair; a lone surrogate becomes U+FFFD.
                var unit = Self.hex4(body, at: position)
                position += 4
                if (0xD800..<0xDC00).contains(unit), position + 6 <= body.endIndex, body[position] == UInt8(ascii: "\\"),
                    body[position + 1] == UInt8(ascii: "u")
                {
                    let low = Self.hex4(body, at: position + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        position += 6
                    }
                }
                scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
            }
        }
        flush()
        let text = String(scalars)
        guard text.utf8.count <= limit else { throw Failure() }
        return text
    }

    /// Reads an object key: decoded when its text is at most `maxBytes` long, else nil (checked and
    /// consumed either way). The keys a reader looks for are short.
    public mutating func readKey(maxBytes: Int = 100) throws(Failure) -> String? {
        skipWhitespace()
        let start = index
        try skipString()
        guard index - start <= maxBytes + 2 else { return nil }
        var again = JSONScanner(bytes, at: start, maxDepth: maxDepth)
        return try again.readString(limit: maxBytes)
    }

    /// Checks a string (index at its opening quote) and moves past its closing quote.
    public mutating func skipString() throws(Failure) {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure() }
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw Failure() }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 6 <= bytes.count, (2..<6).allSatisfy({ Self.isHex(bytes[index + $0]) }) else { throw Failure() }
                    index += 6
                default:
                    throw Failure()
                }
            case 0x00..<0x20:
                throw Failure()
            default:
                index += 1
            }
        }
        throw Failure()
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    public mutating func skipNumber() throws(Failure) {
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure() }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure() }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure() }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
    }

    /// `true`, `false` or `null`, given whole.
    public mutating func literal(_ word: String) throws(Failure) {
        let expected = word.utf8
        guard index + expected.count <= bytes.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else { throw Failure() }
        index += expected.count
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    static func hex4(_ bytes: ArraySlice<UInt8>, at start: Int) -> UInt32 {
        var value: UInt32 = 0
        for byte in bytes[start..<(start + 4)] {
            let digit = isDigit(byte) ? byte - UInt8(ascii: "0") : (byte | 0x20) - UInt8(ascii: "a") + 10
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
