import Crypto
import Foundation
import Testing

@testable import Nostr

/// Every case of the official NIP-44 vector file (v2).
@Suite struct NIP44Tests {
    static var v2: [String: Any] { (try? Vectors.json("nip44.vectors.json"))?["v2"] as? [String: Any] ?? [:] }
    static var valid: [String: Any] { v2["valid"] as? [String: Any] ?? [:] }
    static var invalid: [String: Any] { v2["invalid"] as? [String: Any] ?? [:] }

    static func key(_ hex: String) -> NostrSecretKey? { NostrSecretKey(bytes: Vectors.bytes(hex)) }

    @Test func conversationKeys() throws {
        let cases = try #require(Self.valid["get_conversation_key"] as? [[String: String]])
        #expect(cases.count == 35)
        for item in cases {
            let secret = try #require(Self.key(item["sec1"]!))
            let peer = try #require(NostrPublicKey(bytes: Vectors.bytes(item["pub2"]!)))
            #expect(try NIP44.conversationKey(secret, peer) == Vectors.bytes(item["conversation_key"]!))
        }
    }

    @Test func invalidConversationKeys() throws {
        let cases = try #require(Self.invalid["get_conversation_key"] as? [[String: String]])
        #expect(cases.count == 8)
        for item in cases {
            // Either the secret key or the peer's key is unusable.
            let secret = Self.key(item["sec1"]!)
            let peer = NostrPublicKey(bytes: Vectors.bytes(item["pub2"]!))
            if let secret, let peer {
                #expect(throws: NIP44.Failure.self, "\(item["note"] ?? "")") { try NIP44.conversationKey(secret, peer) }
            } else {
                #expect(secret == nil || peer == nil)
            }
        }
    }

    @Test func messageKeys() throws {
        let set = try #require(Self.valid["get_message_keys"] as? [String: Any])
        let conversationKey = Vectors.bytes(set["conversation_key"] as! String)
        let cases = try #require(set["keys"] as? [[String: String]])
        #expect(cases.count == 32)
        for item in cases {
            let keys = try NIP44.messageKeys(conversationKey: conversationKey, nonce: Vectors.bytes(item["nonce"]!))
            #expect(keys.chachaKey == Vectors.bytes(item["chacha_key"]!))
            #expect(keys.chachaNonce == Vectors.bytes(item["chacha_nonce"]!))
            #expect(keys.hmacKey == Vectors.bytes(item["hmac_key"]!))
        }
    }

    @Test func paddedLengths() throws {
        let cases = try #require(Self.valid["calc_padded_len"] as? [[Int]])
        #expect(cases.count == 24)
        for pair in cases { #expect(NIP44.paddedLength(pair[0]) == pair[1], "\(pair)") }
    }

    @Test func encryptAndDecrypt() throws {
        let cases = try #require(Self.valid["encrypt_decrypt"] as? [[String: String]])
        #expect(cases.count == 10)
        for item in cases {
            let sec1 = try #require(Self.key(item["sec1"]!))
            let sec2 = try #require(Self.key(item["sec2"]!))
            let conversationKey = try NIP44.conversationKey(sec1, sec2.publicKey)
            #expect(conversationKey == Vectors.bytes(item["conversation_key"]!))
            // Symmetric: the other side derives the same key.
            #expect(try NIP44.conversationKey(sec2, sec1.publicKey) == conversationKey)
            let payload = try NIP44.encrypt(item["plaintext"]!, conversationKey: conversationKey, nonce: Vectors.bytes(item["nonce"]!))
            #expect(payload == item["payload"]!)
            #expect(try NIP44.decrypt(item["payload"]!, conversationKey: conversationKey) == item["plaintext"]!)
        }
    }

    @Test func longMessages() throws {
        let cases = try #require(Self.valid["encrypt_decrypt_long_msg"] as? [[String: Any]])
        #expect(cases.count == 3)
        for item in cases {
            let plaintext = String(repeating: item["pattern"] as! String, count: item["repeat"] as! Int)
            #expect(Hex.encode(SHA256.hash(data: Array(plaintext.utf8))) == item["plaintext_sha256"] as? String)
            let conversationKey = Vectors.bytes(item["conversation_key"] as! String)
            let payload = try NIP44.encrypt(plaintext, conversationKey: conversationKey, nonce: Vectors.bytes(item["nonce"] as! String))
            #expect(Hex.encode(SHA256.hash(data: Array(payload.utf8))) == item["payload_sha256"] as? String)
            #expect(try NIP44.decrypt(payload, conversationKey: conversationKey) == plaintext)
        }
    }

    /// The vector file lists 65,536 bytes and more as invalid. The 2026 revision of NIP-44 allows them
    /// with a longer length prefix, but nostr-sdk 0.45.1 (which we interoperate with) still refuses
    /// them, and so does this implementation: all four lengths are refused, as the file says.
    @Test func invalidPlaintextLengths() throws {
        let lengths = try #require(Self.invalid["encrypt_msg_lengths"] as? [Int])
        #expect(lengths == [0, 65536, 100_000, 10_000_000])
        for length in lengths {
            #expect(throws: NIP44.Failure.plaintextLength) {
                try NIP44.encrypt(String(repeating: "a", count: length), conversationKey: [UInt8](repeating: 1, count: 32))
            }
        }
    }

    @Test func invalidPayloadsAreRefused() throws {
        let cases = try #require(Self.invalid["decrypt"] as? [[String: String]])
        #expect(cases.count == 12)
        for item in cases {
            #expect(throws: NIP44.Failure.self, "\(item["note"] ?? "")") {
                try NIP44.decrypt(item["payload"]!, conversationKey: Vectors.bytes(item["conversation_key"]!))
            }
        }
    }

    @Test func aFlippedBitAnywhereIsCaught() throws {
        let a = NostrSecretKey.generate()
        let b = NostrSecretKey.generate()
        let key = try NIP44.conversationKey(a, b.publicKey)
        let payload = try NIP44.encrypt("{\"type\":\"crow_social\"}", conversationKey: key)
        var bytes = Array(Data(base64Encoded: payload)!)
        for index in stride(from: 1, to: bytes.count, by: 7) {
            bytes[index] ^= 0x01
            #expect(throws: NIP44.Failure.self) { try NIP44.decrypt(Data(bytes).base64EncodedString(), conversationKey: key) }
            bytes[index] ^= 0x01
        }
        #expect(try NIP44.decrypt(Data(bytes).base64EncodedString(), conversationKey: key) == "{\"type\":\"crow_social\"}")
    }
}
