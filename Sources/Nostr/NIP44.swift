import Crypto
import Foundation

/// NIP-44 version 2: authenticated encryption between two Nostr keys (ECDH, HKDF, ChaCha20, HMAC-SHA256).
///
/// Plaintexts are 1 to 65,535 bytes. The 2026 revision of NIP-44 allows longer ones with a 6-byte length
/// prefix, but the implementations this gateway talks to (nostr-sdk 0.45, Crow) refuse them, and no
/// invite comes near the limit, so this implementation refuses them too.
public enum NIP44 {
    public enum Failure: Error, Sendable, Equatable {
        case invalidKey
        case plaintextLength
        case unknownVersion
        case malformedPayload
        case badMAC
        case badPadding
    }

    public static let maxPlaintext = 65_535

    /// The conversation key of a key pair: HKDF-extract(salt "nip44-v2", shared x). Symmetric.
    public static func conversationKey(_ secret: NostrSecretKey, _ peer: NostrPublicKey) throws(Failure) -> [UInt8] {
        guard var shared = secret.sharedX(with: peer) else { throw .invalidKey }
        defer { SystemRandom.wipe(&shared) }
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: shared), salt: Array("nip44-v2".utf8))
        return prk.withUnsafeBytes { Array($0) }
    }

    struct MessageKeys {
        var chachaKey: [UInt8]
        var chachaNonce: [UInt8]
        var hmacKey: [UInt8]
    }

    static func messageKeys(conversationKey: [UInt8], nonce: [UInt8]) throws(Failure) -> MessageKeys {
        guard conversationKey.count == 32, nonce.count == 32 else { throw .malformedPayload }
        let keys = HKDF<SHA256>.expand(pseudoRandomKey: SymmetricKey(data: conversationKey), info: nonce, outputByteCount: 76)
        let bytes = keys.withUnsafeBytes { Array($0) }
        return MessageKeys(chachaKey: Array(bytes[0..<32]), chachaNonce: Array(bytes[32..<44]), hmacKey: Array(bytes[44..<76]))
    }

    /// The padded length of a plaintext of `length` bytes (without the 2-byte length prefix).
    public static func paddedLength(_ length: Int) -> Int {
        guard length > 32 else { return 32 }
        let nextPower = 1 << (Int.bitWidth - (length - 1).leadingZeroBitCount)
        let chunk = nextPower <= 256 ? 32 : nextPower / 8
        return chunk * ((length - 1) / chunk + 1)
    }

    /// Encrypts to the base64 payload. `nonce` is 32 random bytes unless a test pins it.
    public static func encrypt(_ plaintext: String, conversationKey: [UInt8], nonce: [UInt8]? = nil) throws(Failure) -> String {
        let message = Array(plaintext.utf8)
        guard (1...maxPlaintext).contains(message.count) else { throw .plaintextLength }
        let nonce = nonce ?? SystemRandom.bytes(32)
        let keys = try messageKeys(conversationKey: conversationKey, nonce: nonce)
        var padded = [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
        padded += [UInt8](repeating: 0, count: paddedLength(message.count) - message.count)
        guard let ciphertext = StreamCipher.chacha20(key: keys.chachaKey, nonce: keys.chachaNonce, padded) else {
            throw .malformedPayload
        }
        let mac = Array(HMAC<SHA256>.authenticationCode(for: nonce + ciphertext, using: SymmetricKey(data: keys.hmacKey)))
        return Data([2] + nonce + ciphertext + mac).base64EncodedString()
    }

    /// Decrypts a base64 payload, checking the MAC (in constant time) and the padding.
    public static func decrypt(_ payload: String, conversationKey: [UInt8]) throws(Failure) -> String {
        guard let first = payload.utf8.first, first != UInt8(ascii: "#") else { throw .unknownVersion }
        guard (132...87_472).contains(payload.utf8.count), let data = Data(base64Encoded: payload) else {
            throw .malformedPayload
        }
        let bytes = Array(data)
        guard (99...65_603).contains(bytes.count) else { throw .malformedPayload }
        guard bytes[0] == 2 else { throw .unknownVersion }
        let nonce = Array(bytes[1..<33])
        let ciphertext = Array(bytes[33..<(bytes.count - 32)])
        let mac = Array(bytes[(bytes.count - 32)...])
        let keys = try messageKeys(conversationKey: conversationKey, nonce: nonce)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: nonce + ciphertext, using: SymmetricKey(data: keys.hmacKey))
        else { throw .badMAC }
        guard let padded = StreamCipher.chacha20(key: keys.chachaKey, nonce: keys.chachaNonce, ciphertext), padded.count >= 2 else {
            throw .malformedPayload
        }
        let length = Int(padded[0]) << 8 | Int(padded[1])
        guard length >= 1, padded.count == 2 + paddedLength(length), length + 2 <= padded.count else { throw .badPadding }
        guard let text = String(bytes: padded[2..<(2 + length)], encoding: .utf8) else { throw .malformedPayload }
        return text
    }
}
