public import Crypto
import Foundation

/// Message encryption for Web Push (RFC 8291) in the `aes128gcm` content coding (RFC 8188): one record,
/// keyed by ECDH between a fresh key pair and the browser's key, mixed with the browser's auth secret.
public enum WebPushEncryption {
    /// Record size written in the header; a payload must fit in one record.
    public static let recordSize: UInt32 = 4096
    /// The most plaintext one record holds: the record size less the delimiter byte and the GCM tag.
    public static let maxPlaintext = Int(recordSize) - 17

    public enum Failure: Error, Sendable, Equatable {
        case tooLarge
    }

    /// The request body: the `aes128gcm` header (salt, record size, the sender's public key) and the
    /// one encrypted record. `ephemeral` and `salt` are fresh for every message; tests pass fixed ones.
    public static func encrypt(
        _ plaintext: [UInt8],
        for subscription: PushSubscription,
        ephemeral: P256.KeyAgreement.PrivateKey = P256.KeyAgreement.PrivateKey(),
        salt: [UInt8] = randomSalt()
    ) throws -> [UInt8] {
        guard plaintext.count <= maxPlaintext else { throw Failure.tooLarge }
        let browserKey = subscription.publicKey
        let browserPublic = Array(browserKey.x963Representation)
        let senderPublic = Array(ephemeral.publicKey.x963Representation)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: browserKey)
        let sharedBytes = shared.withUnsafeBytes { Array($0) }

        // IKM = HKDF(salt: auth secret, ikm: ECDH secret, info: "WebPush: info" 0x00 ua_public as_public)
        let keyInfo = Array("WebPush: info".utf8) + [0] + browserPublic + senderPublic
        let ikm = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: sharedBytes),
            salt: subscription.authSecret,
            info: keyInfo,
            outputByteCount: 32
        )
        let contentKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: ikm,
            salt: salt,
            info: Array("Content-Encoding: aes128gcm".utf8) + [0],
            outputByteCount: 16
        )
        let nonce = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: ikm,
            salt: salt,
            info: Array("Content-Encoding: nonce".utf8) + [0],
            outputByteCount: 12
        )
        // The last (and only) record ends with the delimiter 0x02 and no padding.
        let record = plaintext + [2]
        let sealed = try AES.GCM.seal(
            record,
            using: contentKey,
            nonce: AES.GCM.Nonce(data: nonce.withUnsafeBytes { Array($0) })
        )
        var body = salt
        withUnsafeBytes(of: recordSize.bigEndian) { body += $0 }
        body.append(UInt8(senderPublic.count))
        body += senderPublic
        body += Array(sealed.ciphertext) + Array(sealed.tag)
        return body
    }

    public static func randomSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
