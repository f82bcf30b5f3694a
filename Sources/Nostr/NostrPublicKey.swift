import CSecp256k1

/// A BIP-340 x-only public key: the 32 bytes Nostr calls `pubkey`. The parsed point is kept, so
/// verifying many signatures by one key parses it once.
public struct NostrPublicKey: @unchecked Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// libsecp256k1's parsed form (plain bytes, never mutated after init).
    private let parsed: secp256k1_xonly_pubkey

    /// The key if the bytes are 32 and a valid x coordinate on the curve.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        var xonly = secp256k1_xonly_pubkey()
        guard secp256k1_xonly_pubkey_parse(Secp256k1Context.shared, &xonly, bytes) == 1 else { return nil }
        self.bytes = bytes
        self.parsed = xonly
    }

    public static func == (lhs: NostrPublicKey, rhs: NostrPublicKey) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    /// From 64 hex characters or an `npub`.
    public init?(_ text: String) {
        guard let hex = NostrKey.publicKeyHex(text), let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var npub: String { Bech32.encode(hrp: "npub", data: bytes) }
    public var description: String { hex }

    /// Whether `signature` (64 bytes) is this key's BIP-340 signature of `message` (any length).
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        var xonly = parsed
        return message.withUnsafeBufferPointer { message in
            secp256k1_schnorrsig_verify(Secp256k1Context.shared, signature, message.baseAddress, message.count, &xonly) == 1
        }
    }
}
