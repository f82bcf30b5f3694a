import Foundation
import Testing

@testable import Nostr

/// NIP-04 decryption (receive only), checked against a message built the way NIP-04 clients build it:
/// AES-256-CBC with the raw shared x as key.
@Suite struct NIP04Tests {
    @Test func aMessageFromAnotherClientDecrypts() throws {
        let ada = NostrSecretKey.generate()
        let grace = NostrSecretKey.generate()
        let key = try #require(ada.sharedX(with: grace.publicKey))
        #expect(grace.sharedX(with: ada.publicKey) == key)
        // Encrypt with OpenSSL directly, as a sending client would (PKCS#7 padding).
        let iv = (0..<16).map { UInt8($0) }
        let plaintext = Array("Hola, que tal? / ü".utf8)
        let padLength = 16 - plaintext.count % 16
        let padded = plaintext + [UInt8](repeating: UInt8(padLength), count: padLength)
        let ciphertext = try #require(Self.aesCBCEncrypt(key: key, iv: iv, padded))
        let content = Data(ciphertext).base64EncodedString() + "?iv=" + Data(iv).base64EncodedString()
        #expect(NIP04.decrypt(content, secret: grace, peer: ada.publicKey) == "Hola, que tal? / ü")
        // Wrong key, broken form, wrong padding: nil, never a crash.
        #expect(NIP04.decrypt(content, secret: NostrSecretKey.generate(), peer: ada.publicKey) == nil)
        #expect(NIP04.decrypt("nonsense", secret: grace, peer: ada.publicKey) == nil)
        #expect(NIP04.decrypt(Data(ciphertext).base64EncodedString() + "?iv=AAAA", secret: grace, peer: ada.publicKey) == nil)
        #expect(NIP04.decrypt(String(repeating: "A", count: 70_000) + "?iv=" + Data(iv).base64EncodedString(), secret: grace, peer: ada.publicKey) == nil)
    }

    /// AES-256-CBC encryption of already padded bytes (OpenSSL through the module's cipher runner).
    static func aesCBCEncrypt(key: [UInt8], iv: [UInt8], _ padded: [UInt8]) -> [UInt8]? {
        StreamCipher.aes256CBCEncryptForTests(key: key, iv: iv, padded)
    }
}
