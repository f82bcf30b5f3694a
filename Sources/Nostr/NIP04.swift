import Foundation

/// NIP-04 direct messages, decryption only: AES-256-CBC with the raw ECDH x coordinate as the key, in the
/// form `<base64 ciphertext>?iv=<base64 16-byte iv>`. The gateway never sends NIP-04 (it leaks metadata and
/// has no authentication); it reads it so that old clients can still reach it.
public enum NIP04 {
    public static let maxContent = 65_536

    public static func decrypt(_ content: String, secret: NostrSecretKey, peer: NostrPublicKey) -> String? {
        guard content.utf8.count <= maxContent else { return nil }
        let parts = content.split(separator: "?", maxSplits: 1)
        guard parts.count == 2, parts[1].hasPrefix("iv="),
            let ciphertext = Data(base64Encoded: String(parts[0])),
            let iv = Data(base64Encoded: String(parts[1].dropFirst(3))),
            var key = secret.sharedX(with: peer)
        else { return nil }
        defer { SystemRandom.wipe(&key) }
        guard let plain = StreamCipher.aes256CBCDecrypt(key: key, iv: Array(iv), Array(ciphertext)) else { return nil }
        return String(bytes: plain, encoding: .utf8)
    }
}
