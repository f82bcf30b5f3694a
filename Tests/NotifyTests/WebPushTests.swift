import Crypto
import Foundation
import Testing

@testable import Notify

/// RFC 8291 encryption against the RFC's own example, and the checks on a browser's subscription.
@Suite struct WebPushTests {
    struct Example: Decodable {
        var plaintext, asPrivate, asPublic, uaPublic, salt, authSecret, message: String
    }

    static func example() throws -> Example {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/rfc8291-example.json")
        return try JSONDecoder().decode(Example.self, from: Data(contentsOf: url))
    }

    @Test func theRFCExampleEncryptsToTheRFCsBytes() throws {
        let example = try Self.example()
        let subscription = try PushSubscription(endpoint: "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV", p256dh: example.uaPublic, auth: example.authSecret)
        let sender = try P256.KeyAgreement.PrivateKey(rawRepresentation: try #require(Base64URL.decode(example.asPrivate)))
        #expect(Base64URL.encode(sender.publicKey.x963Representation) == example.asPublic)
        let body = try WebPushEncryption.encrypt(
            Array(example.plaintext.utf8),
            for: subscription,
            ephemeral: sender,
            salt: try #require(Base64URL.decode(example.salt))
        )
        #expect(Base64URL.encode(body) == example.message)
    }

    @Test func freshKeysAndSaltMakeEveryMessageDifferent() throws {
        let example = try Self.example()
        let subscription = try PushSubscription(endpoint: "https://push.example.net/x", p256dh: example.uaPublic, auth: example.authSecret)
        let one = try WebPushEncryption.encrypt(Array("hello".utf8), for: subscription)
        let two = try WebPushEncryption.encrypt(Array("hello".utf8), for: subscription)
        #expect(one != two)
        // salt 16 + record size 4 + key length 1 + key 65 + "hello" 5 + delimiter 1 + tag 16
        #expect(one.count == 16 + 4 + 1 + 65 + 5 + 1 + 16)
        #expect(Array(one[16..<20]) == [0, 0, 0x10, 0])
    }

    @Test func aPayloadThatDoesNotFitOneRecordIsRefused() throws {
        let example = try Self.example()
        let subscription = try PushSubscription(endpoint: "https://push.example.net/x", p256dh: example.uaPublic, auth: example.authSecret)
        _ = try WebPushEncryption.encrypt(Array(repeating: 65, count: WebPushEncryption.maxPlaintext), for: subscription)
        #expect(throws: WebPushEncryption.Failure.tooLarge) {
            try WebPushEncryption.encrypt(Array(repeating: 65, count: WebPushEncryption.maxPlaintext + 1), for: subscription)
        }
    }

    @Test func badSubscriptionsAreRefusedWithTheFieldAtFault() throws {
        let example = try Self.example()
        let good = (endpoint: "https://fcm.googleapis.com/fcm/send/abc", p256dh: example.uaPublic, auth: example.authSecret)
        _ = try PushSubscription(endpoint: good.endpoint, p256dh: good.p256dh, auth: good.auth)
        _ = try PushSubscription(endpoint: "http://127.0.0.1:8999/push", p256dh: good.p256dh, auth: good.auth)
        for endpoint in [
            "http://push.example.net/x", "javascript:alert(1)", "ftp://push.example.net", "https://", "https://user:pw@push.example.net/x",
            "https://push.example.net/x#frag", "https://push.example.net/" + String(repeating: "a", count: 1100),
        ] {
            #expect(throws: PushSubscription.Refusal.endpoint, "\(endpoint)") {
                try PushSubscription(endpoint: endpoint, p256dh: good.p256dh, auth: good.auth)
            }
        }
        // Not base64, the wrong length, or 65 bytes that are not a point on the curve.
        let notAPoint = Base64URL.encode([4] + Array(repeating: UInt8(1), count: 64))
        for key in ["not base64!", Base64URL.encode(Array(repeating: UInt8(4), count: 33)), notAPoint, ""] {
            #expect(throws: PushSubscription.Refusal.p256dh, "\(key)") {
                try PushSubscription(endpoint: good.endpoint, p256dh: key, auth: good.auth)
            }
        }
        for auth in ["", Base64URL.encode(Array(repeating: UInt8(1), count: 15)), "%%%"] {
            #expect(throws: PushSubscription.Refusal.auth, "\(auth)") {
                try PushSubscription(endpoint: good.endpoint, p256dh: good.p256dh, auth: auth)
            }
        }
        let subscription = try PushSubscription(endpoint: "https://push.example.net:8443/a/b?c", p256dh: good.p256dh, auth: good.auth)
        #expect(subscription.origin == "https://push.example.net:8443")
    }
}
