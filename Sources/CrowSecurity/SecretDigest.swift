import Crypto
import TextCoding

/// The SHA-256 of a presented secret, held as four words: a key for in-memory lookups that hashes
/// and compares 32 bytes instead of 64 hex characters, and never keeps the secret itself.
/// `Secrets.hash` is its hex text, which is what the ledger stores.
public struct SecretDigest: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public init(_ secret: String) {
        var text = secret
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        words = digest.withUnsafeBytes { bytes in
            (
                bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    /// Lowercase hex of the digest's bytes: what the ledger stores in place of the secret.
    public var hex: String {
        withUnsafeBytes(of: words) { Hex.encode($0) }
    }

    public static func == (lhs: SecretDigest, rhs: SecretDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
