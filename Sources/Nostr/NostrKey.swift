import Foundation

/// Nostr public keys as people paste them: 64 hex characters, or a NIP-19 `npub` (bech32, BIP-173).
public enum NostrKey {
    /// The key as 64 lowercase hex characters, from hex (either case) or an `npub`; nil when it is
    /// neither, or an `npub` whose checksum fails. Surrounding white space is ignored.
    public static func publicKeyHex(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.utf8.count == 64 {
            let lower = trimmed.lowercased()
            return lower.utf8.allSatisfy(isHexDigit) ? lower : nil
        }
        guard trimmed.lowercased().hasPrefix("npub1"), let bytes = decodeNpub(trimmed) else { return nil }
        return Hex.encode(bytes)
    }

    /// The NIP-19 `npub` of a 64-hex public key; nil when `hex` is not 64 hex characters.
    public static func npub(fromHex hexKey: String) -> String? {
        guard let bytes = Hex.decode(hexKey, count: 32) else { return nil }
        return Bech32.encode(hrp: "npub", data: bytes)
    }

    /// The 32 key bytes of an `npub`, checksum verified; nil for anything else.
    public static func decodeNpub(_ text: String) -> [UInt8]? {
        guard let (hrp, data) = Bech32.decode(text), hrp == "npub", data.count == 32 else { return nil }
        return data
    }

    /// The NIP-19 `nsec` of a secret key's 32 bytes.
    public static func nsec(_ secret: [UInt8]) -> String? {
        guard secret.count == 32 else { return nil }
        return Bech32.encode(hrp: "nsec", data: secret)
    }

    /// The 32 bytes of an `nsec`, checksum verified; nil for anything else.
    public static func decodeNsec(_ text: String) -> [UInt8]? {
        guard let (hrp, data) = Bech32.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), hrp == "nsec", data.count == 32
        else { return nil }
        return data
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}
