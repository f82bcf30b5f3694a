import CSecp256k1
import Foundation

/// A secp256k1 secret key. The bytes live in memory this object owns and are overwritten with zeros
/// when it is released; they leave it only through `withUnsafeBytes` (for writing the key file).
public final class NostrSecretKey: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    public let publicKey: NostrPublicKey

    /// A key from 32 bytes; nil when they are zero or not below the curve order.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        var keypair = secp256k1_keypair()
        guard secp256k1_keypair_create(Secp256k1Context.shared, &keypair, bytes) == 1 else { return nil }
        defer { _ = withUnsafeMutableBytes(of: &keypair) { memset($0.baseAddress!, 0, $0.count) } }
        var xonly = secp256k1_xonly_pubkey()
        var serialized = [UInt8](repeating: 0, count: 32)
        guard secp256k1_keypair_xonly_pub(Secp256k1Context.shared, &xonly, nil, &keypair) == 1,
            secp256k1_xonly_pubkey_serialize(Secp256k1Context.shared, &serialized, &xonly) == 1,
            let publicKey = NostrPublicKey(bytes: serialized)
        else { return nil }
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
        storage.copyBytes(from: bytes)
        self.publicKey = publicKey
    }

    /// From 64 hex characters or an `nsec`.
    public convenience init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard var bytes = Hex.decode(trimmed, count: 32) ?? NostrKey.decodeNsec(trimmed) else { return nil }
        defer { SystemRandom.wipe(&bytes) }
        self.init(bytes: bytes)
    }

    /// A new random key.
    public static func generate() -> NostrSecretKey {
        while true {
            var bytes = SystemRandom.bytes(32)
            defer { SystemRandom.wipe(&bytes) }
            if let key = NostrSecretKey(bytes: bytes) { return key }
        }
    }

    deinit {
        memset(storage.baseAddress!, 0, storage.count)
        storage.deallocate()
    }

    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(storage))
    }

    private func withKeypair<T>(_ body: (UnsafePointer<secp256k1_keypair>) -> T) -> T? {
        var keypair = secp256k1_keypair()
        defer { _ = withUnsafeMutableBytes(of: &keypair) { memset($0.baseAddress!, 0, $0.count) } }
        let made = secp256k1_keypair_create(Secp256k1Context.shared, &keypair, storage.baseAddress!.assumingMemoryBound(to: UInt8.self))
        guard made == 1 else { return nil }
        return body(&keypair)
    }

    /// The BIP-340 signature of `message` (any length; Nostr signs 32-byte ids). `auxiliary` is 32 bytes
    /// of fresh randomness unless a test pins it.
    public func sign(_ message: [UInt8], auxiliary: [UInt8]? = nil) -> [UInt8] {
        let aux = auxiliary ?? SystemRandom.bytes(32)
        precondition(aux.count == 32, "BIP-340 auxiliary randomness is 32 bytes")
        var signature = [UInt8](repeating: 0, count: 64)
        let signed: Int32? = withKeypair { keypair in
            aux.withUnsafeBytes { aux in
                var extra = secp256k1_schnorrsig_extraparams()
                extra.magic = (0xda, 0x6f, 0xb3, 0x8c)
                extra.noncefp = nil
                extra.ndata = UnsafeMutableRawPointer(mutating: aux.baseAddress)
                return message.withUnsafeBufferPointer { message in
                    secp256k1_schnorrsig_sign_custom(Secp256k1Context.shared, &signature, message.baseAddress, message.count, keypair, &extra)
                }
            }
        }
        precondition(signed == 1, "libsecp256k1 refused to sign with a valid key")
        return signature
    }

    /// The x coordinate of the shared point with `peer` (ECDH without hashing), as NIP-04 and NIP-44 use.
    public func sharedX(with peer: NostrPublicKey) -> [UInt8]? {
        var pubkey = secp256k1_pubkey()
        let compressed = [0x02] + peer.bytes
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared, &pubkey, compressed, 33) == 1 else { return nil }
        var output = [UInt8](repeating: 0, count: 32)
        let copyX: secp256k1_ecdh_hash_function = { output, x, _, _ in
            guard let output, let x else { return 0 }
            output.update(from: x, count: 32)
            return 1
        }
        let made = secp256k1_ecdh(
            Secp256k1Context.shared, &output, &pubkey, storage.baseAddress!.assumingMemoryBound(to: UInt8.self), copyX, nil)
        return made == 1 ? output : nil
    }
}
