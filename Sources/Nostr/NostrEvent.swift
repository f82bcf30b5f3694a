import TextCoding
import Crypto
import Foundation

/// A NIP-01 event. `id` is the SHA-256 of the canonical serialization, and `sig` the author's BIP-340
/// signature of the id.
public struct NostrEvent: Sendable, Hashable, Codable {
    public var id: String
    public var pubkey: String
    public var createdAt: Int64
    public var kind: Int
    public var tags: [[String]]
    public var content: String
    public var sig: String

    enum CodingKeys: String, CodingKey {
        case id, pubkey, kind, tags, content, sig
        case createdAt = "created_at"
    }

    /// Decodes an event; `id` and `sig` may be absent (a NIP-59 rumor has no signature).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        pubkey = try container.decode(String.self, forKey: .pubkey)
        createdAt = try container.decode(Int64.self, forKey: .createdAt)
        kind = try container.decode(Int.self, forKey: .kind)
        tags = try container.decode([[String]].self, forKey: .tags)
        content = try container.decode(String.self, forKey: .content)
        sig = try container.decodeIfPresent(String.self, forKey: .sig) ?? ""
    }

    /// Encodes the event; an empty `sig` (a rumor) is left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(pubkey, forKey: .pubkey)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(kind, forKey: .kind)
        try container.encode(tags, forKey: .tags)
        try container.encode(content, forKey: .content)
        if !sig.isEmpty { try container.encode(sig, forKey: .sig) }
    }

    /// Whether `text` is made only of `0-9` and `a-f`.
    static func isLowercaseHex(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Parses an event from JSON text (at most `limit` bytes).
    public static func parse(_ text: String, limit: Int = 262_144) -> NostrEvent? {
        guard text.utf8.count <= limit else { return nil }
        return try? JSONDecoder().decode(NostrEvent.self, from: Data(text.utf8))
    }

    public init(id: String, pubkey: String, createdAt: Int64, kind: Int, tags: [[String]], content: String, sig: String) {
        self.id = id
        self.pubkey = pubkey
        self.createdAt = createdAt
        self.kind = kind
        self.tags = tags
        self.content = content
        self.sig = sig
    }

    /// A signed event by `author`.
    public static func signed(
        by author: NostrSecretKey,
        kind: Int,
        tags: [[String]],
        content: String,
        createdAt: Int64? = nil
    ) -> NostrEvent {
        let createdAt = createdAt ?? NostrTime.now()
        var event = NostrEvent(id: "", pubkey: author.publicKey.hex, createdAt: createdAt, kind: kind, tags: tags, content: content, sig: "")
        let id = event.computedID()
        event.id = Hex.encode(id)
        event.sig = Hex.encode(author.sign(id))
        return event
    }

    /// An event without id and signature, as NIP-59 rumors are (the id is filled in, the sig is not).
    public static func unsigned(pubkey: String, kind: Int, tags: [[String]], content: String, createdAt: Int64) -> NostrEvent {
        var event = NostrEvent(id: "", pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content, sig: "")
        event.id = Hex.encode(event.computedID())
        return event
    }

    /// The id this event's fields give: SHA-256 of `[0,pubkey,created_at,kind,tags,content]`.
    public func computedID() -> [UInt8] {
        Array(SHA256.hash(data: Self.canonicalBytes(pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content)))
    }

    /// Whether the id matches the fields and the signature is the pubkey's over it. The id, pubkey and
    /// signature must be lowercase hex, as NIP-01 writes them: an id in capitals would otherwise be a
    /// second name for the same event, and slip past every memory of ids seen.
    public var isValid: Bool {
        guard Self.isLowercaseHex(id), Self.isLowercaseHex(pubkey), Self.isLowercaseHex(sig) else { return false }
        guard let id = Hex.decode(id, count: 32), id == computedID(),
            let key = Hex.decode(pubkey, count: 32).flatMap({ NostrPublicKey(bytes: $0) }),
            let signature = Hex.decode(sig, count: 64)
        else { return false }
        return key.verify(signature: signature, message: id)
    }

    /// The NIP-01 serialization: no white space; in strings only `"`, `\`, and control characters are
    /// escaped (`\n \r \t \b \f` by name, others as `\u00xx`); `/` and non-ASCII are written as they are.
    public static func canonical(pubkey: String, createdAt: Int64, kind: Int, tags: [[String]], content: String) -> String {
        String(decoding: canonicalBytes(pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content), as: UTF8.self)
    }

    /// The same, as UTF-8 bytes. Written byte by byte: bytes of multi-byte UTF-8 sequences are all 0x80
    /// or above, so only ASCII bytes ever need escaping.
    static func canonicalBytes(pubkey: String, createdAt: Int64, kind: Int, tags: [[String]], content: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.utf8.count + 160)
        out.append(contentsOf: "[0,".utf8)
        JSONQuoting.append(pubkey, to: &out)
        out.append(contentsOf: ",\(createdAt),\(kind),[".utf8)
        for (index, tag) in tags.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            for (position, item) in tag.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                JSONQuoting.append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "],".utf8)
        JSONQuoting.append(content, to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Appends a JSON string (the canonical escaping) to text.
    static func appendString(_ text: String, to out: inout String) {
        var bytes: [UInt8] = []
        JSONQuoting.append(text, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The event as JSON for a relay (`/` unescaped, like every other Nostr implementation).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The values of the tags named `name` (their second item).
    public func tagValues(_ name: String) -> [String] {
        tags.compactMap { $0.count >= 2 && $0[0] == name ? $0[1] : nil }
    }
}
