import Crypto
import Foundation
import Testing

@testable import Notify

/// The VAPID token (RFC 8292), the VAPID key file, and ntfy's headers.
@Suite struct VapidAndNtfyTests {
    @Test func theTokenIsAnES256JWTForTheAudienceThatVerifiesWithThePublicKey() throws {
        let key = VapidKey()
        let header = try key.authorization(audience: "https://push.example.net", subject: "mailto:owner@example.net", expiresAt: 1_800_000_000)
        #expect(header.hasPrefix("vapid t="))
        let parts = header.dropFirst("vapid t=".count).components(separatedBy: ", k=")
        #expect(parts.count == 2 && parts[1] == key.publicKey)
        let jwt = parts[0].split(separator: ".").map(String.init)
        #expect(jwt.count == 3)
        let head = try JSONSerialization.jsonObject(with: Data(try #require(Base64URL.decode(jwt[0])))) as? [String: String]
        #expect(head == ["typ": "JWT", "alg": "ES256"])
        let claims = try JSONSerialization.jsonObject(with: Data(try #require(Base64URL.decode(jwt[1])))) as? [String: Any]
        #expect(claims?["aud"] as? String == "https://push.example.net")
        #expect(claims?["sub"] as? String == "mailto:owner@example.net")
        #expect(claims?["exp"] as? Int == 1_800_000_000)
        let publicKey = try P256.Signing.PublicKey(x963Representation: try #require(Base64URL.decode(key.publicKey)))
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(jwt[2])))
        #expect(publicKey.isValidSignature(signature, for: Data("\(jwt[0]).\(jwt[1])".utf8)))
        #expect(!publicKey.isValidSignature(signature, for: Data("\(jwt[0]).x\(jwt[1])".utf8)))
    }

    @Test func theKeyFileIsMadeOncePrivateAndReadBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vapid-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("vapid.key").path
        let first = try VapidKey.loadOrCreate(at: path)
        #expect(first.created)
        let again = try VapidKey.loadOrCreate(at: path)
        #expect(!again.created && again.key.publicKey == first.key.publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: (any Error).self) { try VapidKey.loadOrCreate(at: path) }
        // A supplied key in web-push's format.
        #expect(VapidKey(privateKey: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")?.publicKey.count == 87)
        #expect(VapidKey(privateKey: "short") == nil)
    }

    @Test func ntfyGetsAnEncodedTitleTheClickPriorityTagsAndToken() throws {
        let ringing = CallNotice(kind: .ringing, callId: "inv1", callerName: "Zoë Łukasz 📞", joinURL: "https://ada.example/calls?room=r&token=t", panelURL: "http://127.0.0.1:8444/calls")
        let message = NtfyMessage(ringing, token: "tk_secret")
        let headers = Dictionary(message.headers, uniquingKeysWith: { first, _ in first })
        let title = try #require(headers["Title"])
        #expect(title.hasPrefix("=?UTF-8?B?") && title.hasSuffix("?="))
        let decoded = Data(base64Encoded: String(title.dropFirst(10).dropLast(2))).map { String(decoding: $0, as: UTF8.self) }
        #expect(decoded == "Zoë Łukasz 📞 is calling")
        #expect(headers["Priority"] == "5")
        #expect(headers["Click"] == "https://ada.example/calls?room=r&token=t")
        #expect(headers["Tags"] == "telephone_receiver")
        #expect(headers["Authorization"] == "Bearer tk_secret")
        #expect(String(decoding: message.body, as: UTF8.self) == "Tap to join the call.")
        // ASCII stays readable; control characters never reach a header.
        #expect(NtfyMessage.headerText("Ada\r\nX-Evil: 1") == "AdaX-Evil: 1")
        let missed = NtfyMessage(CallNotice(kind: .missed, callId: "inv1", callerName: "Ada", panelURL: "http://127.0.0.1:8444/calls"), token: nil)
        let missedHeaders = Dictionary(missed.headers, uniquingKeysWith: { first, _ in first })
        #expect(missedHeaders["Title"] == "Missed call from Ada" && missedHeaders["Priority"] == "3")
        #expect(missedHeaders["Click"] == "http://127.0.0.1:8444/calls" && missedHeaders["Authorization"] == nil)
    }

    @Test func theRingingAndTheMissedNoticeShareATagAndThePayloadIsData() throws {
        let ringing = CallNotice(kind: .ringing, callId: "inv9", callerName: "<img src=x onerror=alert(1)>", joinURL: "https://a.example/calls", panelURL: "https://me.example/calls")
        let missed = CallNotice(kind: .missed, callId: "inv9", callerName: ringing.callerName, panelURL: ringing.panelURL)
        #expect(ringing.tag == missed.tag)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(ringing.pushPayload())) as? [String: String])
        #expect(payload["caller"] == "<img src=x onerror=alert(1)>")
        #expect(payload["type"] == "ringing" && payload["url"] == "https://a.example/calls")
        #expect(payload["accept"] == "/api/calls/incoming/inv9/accept")
        #expect(ringing.pushPayload().count < 1024)
    }

    @Test func aRingingPayloadCarriesTheAcceptAndDeclinePathsAndNothingElseDoes() throws {
        let ringing = CallNotice(kind: .ringing, callId: "invite-7_x", callerName: "Ada", joinURL: "https://a.example/calls?room=r&token=t", panelURL: "https://me.example/calls")
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(ringing.pushPayload())) as? [String: String])
        // The notification's Accept and Decline post to these owner routes of this gateway.
        #expect(payload["accept"] == "/api/calls/incoming/invite-7_x/accept")
        #expect(payload["decline"] == "/api/calls/incoming/invite-7_x/decline")
        #expect(payload["id"] == "invite-7_x")
        // Exactly these keys: the payload is data about the call, never the owner's session or tokens.
        #expect(Set(payload.keys) == ["type", "id", "caller", "title", "body", "tag", "url", "accept", "decline"])
        for kind in [CallNotice.Kind.missed, .test] {
            let other = CallNotice(kind: kind, callId: "invite-7_x", callerName: "Ada", panelURL: "https://me.example/calls")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(other.pushPayload())) as? [String: String])
            #expect(object["accept"] == nil && object["decline"] == nil)
            #expect(object["url"] == "https://me.example/calls")
        }
    }
}
