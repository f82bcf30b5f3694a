/// Lowercase hex: the form Nostr uses for keys, ids and signatures, and the ledger for secret hashes.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// The same, straight into the string's storage: for hot paths (a secret hashed on every request).
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { digits in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0xF)]
                }
            }
            return bytes.count * 2
        }
    }

    /// The bytes of hex text (either case); nil for an odd length or a non-hex character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// `count` bytes of hex text, or nil.
    public static func decode(_ text: some StringProtocol, count: Int) -> [UInt8]? {
        guard text.utf8.count == count * 2, let bytes = decode(text) else { return nil }
        return bytes
    }

    /// Exactly `out.count` bytes of lowercase hex text, written into `out`: the form `encode` gives, so
    /// the bytes encode back to the same text. False (and `out` unspecified) for any other length, upper
    /// case or a non-hex character.
    public static func decodeLowercase(_ text: String, into out: UnsafeMutableRawBufferPointer) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count == 2 * out.count else { return false }
            for index in 0..<out.count {
                guard let high = lowercaseValue(utf8[2 * index]), let low = lowercaseValue(utf8[2 * index + 1]) else {
                    return false
                }
                out[index] = high << 4 | low
            }
            return true
        }
    }

    static func value(_ digit: UInt8) -> UInt8? {
        if let value = lowercaseValue(digit) { return value }
        switch digit {
        case 0x41...0x46: return digit - 0x41 + 10
        default: return nil
        }
    }

    static func lowercaseValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: return digit - 0x30
        case 0x61...0x66: return digit - 0x61 + 10
        default: return nil
        }
    }
}
