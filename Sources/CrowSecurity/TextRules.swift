/// Limits and clean-up for text that people type or that arrives from other instances.
public enum TextRules {
    public static let maxDisplayName = 64
    public static let maxLabel = 120
    public static let maxURL = 2048

    /// A display name as shown to others: control and bidirectional-override characters removed,
    /// runs of white space folded to one space, trimmed, at most 64 characters; `fallback` if empty.
    /// Markup is kept as text: escaping is the renderer's job, and every renderer treats names as text.
    public static func displayName(_ raw: String, fallback: String) -> String {
        let cleaned = clean(raw, limit: maxDisplayName)
        return cleaned.isEmpty ? fallback : cleaned
    }

    /// The most scalars kept in one character: enough for the longest emoji sequences (a family with
    /// skin tones), not for a letter buried under thousands of combining marks.
    public static let maxScalarsPerCharacter = 10

    /// At most `limit` characters of at most `maxScalarsPerCharacter` scalars each, so the size of the
    /// result is bounded (`limit * maxScalarsPerCharacter * 4` bytes of UTF-8) however it is built.
    public static func clean(_ raw: String, limit: Int) -> String {
        var result = ""
        var pendingSpace = false
        var count = 0
        for character in raw {
            if count >= limit { break }
            if character.isWhitespace {
                pendingSpace = !result.isEmpty
                continue
            }
            let scalars = character.unicodeScalars.filter { !isHidden($0) }.prefix(maxScalarsPerCharacter)
            // Nothing visible left (none, or only a lone joiner, variation selector or Hangul filler): drop it.
            if scalars.allSatisfy(\.properties.isDefaultIgnorableCodePoint) { continue }
            if pendingSpace {
                if count + 1 >= limit { break }
                result.append(" ")
                count += 1
                pendingSpace = false
            }
            result.unicodeScalars.append(contentsOf: scalars)
            count += 1
        }
        return result
    }

    /// Control characters, bidi embeddings/overrides/isolates, and other invisible format characters
    /// (zero-width joiner excepted, which emoji sequences need).
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .surrogate, .privateUse, .unassigned:
            return true
        case .format:
            return scalar.value != 0x200D
        case .lineSeparator, .paragraphSeparator:
            return true
        default:
            return false
        }
    }

    /// 64 lowercase hex characters (a Nostr public key or event id).
    public static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Room codes as this gateway mints them and as other instances may send them: 1 to 64 characters of
    /// letters, digits, `-` and `_`.
    public static func isRoomCode(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }

    /// A join URL from another instance is opened only if it is https, or http to a loopback or
    /// tailnet host; anything else (javascript:, data:, file:, plain http on the internet) is refused.
    public static func isSafeJoinURL(_ text: String) -> Bool {
        guard text.utf8.count <= maxURL, !text.contains(where: { $0.isWhitespace || $0 == "\\" }) else {
            return false
        }
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = lower.dropFirst(7)
        } else {
            return false
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return false }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<end]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        guard !host.isEmpty else { return false }
        if lower.hasPrefix("https://") { return true }
        return isLoopbackOrTailnet(String(host))
    }

    static func isLoopbackOrTailnet(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host.hasSuffix(".ts.net") { return true }
        // Plain decimal octets only: a browser reads 0127 as octal (87.0.0.1), and UInt8 accepts "+127".
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let decimal = octets.allSatisfy { octet in
            octet == "0" || (octet.first != "0" && octet.utf8.allSatisfy { (0x30...0x39).contains($0) })
        }
        guard decimal else { return false }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard parts.count == 4, host.split(separator: ".").count == 4 else { return false }
        if parts[0] == 127 { return true }
        // Tailscale's CGNAT range 100.64.0.0/10.
        return parts[0] == 100 && (64...127).contains(parts[1])
    }
}
