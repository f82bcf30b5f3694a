import Foundation
import Testing

@testable import Nostr

/// The receive rules: what reaches the ledger, and why everything else is dropped.
@Suite struct InviteIntakeTests {
    let me = NostrSecretKey.generate()
    let ada = NostrSecretKey.generate()
    let stranger = NostrSecretKey.generate()
    static let invite = CrowEnvelope.roomInvite(
        .init(roomCode: "avfrmh45xpr3", joinURL: "https://ada.example/calls?room=avfrmh45xpr3&token=abc", hostName: "Ada", hostCrowID: "crow-1")
    )

    func isContact(_ hex: String) -> Bool { hex == ada.publicKey.hex }

    func open(_ event: NostrEvent, now: Int64 = NostrTime.now()) async -> Result<InviteIntake.Opened, InviteIntake.Drop> {
        await InviteIntake.open(event, me: me, now: now, isContact: isContact)
    }

    @Test func bothWiresDeliverTheEnvelopeFromAContact() async throws {
        for wire in [InviteWire.crow, .nip17] {
            let event = try InviteWire.event(Self.invite, wire: wire, from: ada, to: me.publicKey, now: 1_800_000_000)
            let opened = try await open(event, now: 1_800_000_000).get()
            #expect(opened.envelope == Self.invite)
            #expect(opened.sender == ada.publicKey)
            #expect(opened.wire == wire)
            #expect(opened.eventId == event.id)
            #expect(opened.sentAt == 1_800_000_000)
        }
        // The answers travel the same way.
        for answer in [CrowEnvelope.roomClosed(roomCode: "r1"), .callDeclined(roomCode: "r1"), .callCancelled(roomCode: "r1"), .callBusy(roomCode: "r1")] {
            let event = try InviteWire.event(answer, wire: .nip17, from: ada, to: me.publicKey)
            #expect(try await open(event).get().envelope == answer)
        }
    }

    @Test func hostileEventsAreDroppedWithTheirReason() async throws {
        let good = try InviteWire.event(Self.invite, wire: .crow, from: ada, to: me.publicKey)
        // A forged signature, a wrong id.
        var forged = good
        forged.sig = NostrEvent.signed(by: stranger, kind: 4, tags: good.tags, content: good.content).sig
        #expect(await open(forged) == .failure(.badSignature))
        var wrongID = good
        wrongID.id = String(repeating: "ab", count: 32)
        #expect(await open(wrongID) == .failure(.badSignature))
        // Someone who is not a contact, on both wires.
        #expect(await open(try InviteWire.event(Self.invite, wire: .crow, from: stranger, to: me.publicKey)) == .failure(.stranger))
        #expect(await open(try InviteWire.event(Self.invite, wire: .nip17, from: stranger, to: me.publicKey)) == .failure(.stranger))
        // Addressed to someone else.
        #expect(await open(try InviteWire.event(Self.invite, wire: .crow, from: ada, to: stranger.publicKey)) == .failure(.notForUs))
        // Another kind.
        #expect(await open(NostrEvent.signed(by: ada, kind: 1, tags: [["p", me.publicKey.hex]], content: "hi")) == .failure(.unsupportedKind))
        // Oversized content is refused before any cryptography.
        let huge = NostrEvent.signed(by: ada, kind: 4, tags: [["p", me.publicKey.hex]], content: String(repeating: "A", count: 40_000))
        #expect(await open(huge) == .failure(.tooLarge))
        // A contact's event that does not decrypt.
        #expect(await open(NostrEvent.signed(by: ada, kind: 4, tags: [["p", me.publicKey.hex]], content: "AgAAAA==")) == .failure(.cannotDecrypt))
        // A `javascript:` join URL, and other bad links.
        for url in ["javascript:alert(1)", "data:text/html,hi", "http://evil.example/calls", "https://user:pw@ada.example/", "file:///etc/passwd", "https://ada.example/\u{0}x"] {
            let envelope = CrowEnvelope.roomInvite(.init(roomCode: "r1", joinURL: url, hostName: "Ada"))
            // The encoder does not judge URLs; a hostile sender can put anything in the envelope.
            let event = try InviteWire.event(envelope, wire: .nip17, from: ada, to: me.publicKey)
            #expect(await open(event) == .failure(.badJoinURL), "\(url)")
        }
        // Not a Crow envelope at all.
        let other = try NIP17.message("{\"type\":\"chat\",\"text\":\"hi\"}", from: ada, to: me.publicKey)
        #expect(await open(other) == .failure(.badEnvelope))
    }

    /// A contact's times are their word: one far in the past or the future, on the event or on the
    /// rumor inside a gift wrap, is refused before anything uses it (9.3e15 s once overflowed the
    /// milliseconds and stopped the gateway).
    @Test func timesOutsideTheWindowAreRefused() async throws {
        let now: Int64 = 1_800_000_000
        let absurd: [Int64] = [9_300_000_000_000_000, .max, .min, -1, 0, now - InviteIntake.maxAge - 1, now + InviteIntake.maxAhead + 1]
        for time in absurd {
            // Crow's kind 4 from a contact, signed and addressed correctly.
            let event = try InviteWire.event(Self.invite, wire: .crow, from: ada, to: me.publicKey, now: time)
            #expect(await open(event, now: now) == .failure(.badTime), "\(time)")
            // Before the signature: a forged event with such a time costs no verification.
            var forged = event
            forged.sig = String(repeating: "0", count: 128)
            #expect(await open(forged, now: now) == .failure(.badTime), "\(time)")
            // A gift wrap dated now whose rumor carries the time.
            let rumor = NostrEvent.unsigned(pubkey: ada.publicKey.hex, kind: NIP17.messageKind, tags: [["p", me.publicKey.hex]], content: Self.invite.json(), createdAt: time)
            let wrap = try NIP59.wrap(rumor, author: ada, recipient: me.publicKey, now: now)
            #expect(await open(wrap, now: now) == .failure(.badRumorTime), "\(time)")
        }
        // The window's edges are inside it, and a gift wrap back-dated two days is fine.
        for time in [now - InviteIntake.maxAge, now + InviteIntake.maxAhead] {
            let event = try InviteWire.event(Self.invite, wire: .crow, from: ada, to: me.publicKey, now: time)
            #expect(try await open(event, now: now).get().sentAt == time)
        }
        let wrapped = try InviteWire.event(Self.invite, wire: .nip17, from: ada, to: me.publicKey, now: now)
        #expect(try await open(wrapped, now: now).get().sentAt == now)
        // Milliseconds saturate rather than trap.
        #expect(NostrTime.milliseconds(9_300_000_000_000_000) == .max)
        #expect(NostrTime.milliseconds(.min) == .min)
        #expect(NostrTime.milliseconds(now) == now * 1000)
    }

    @Test func aSealThatImpersonatesAContactIsDropped() async throws {
        let wrap = try Forgery.impersonatingWrap(claimed: ada, sealer: stranger, recipient: me.publicKey, content: Self.invite.json())
        #expect(await open(wrap) == .failure(.authorMismatch))
    }

    @Test func nip04FromOldClientsIsRead() async throws {
        let key = try #require(ada.sharedX(with: me.publicKey))
        let iv = [UInt8](repeating: 7, count: 16)
        let plain = Array(Self.invite.json().utf8)
        let pad = 16 - plain.count % 16
        let cipher = try #require(StreamCipher.aes256CBCEncryptForTests(key: key, iv: iv, plain + [UInt8](repeating: UInt8(pad), count: pad)))
        let content = Data(cipher).base64EncodedString() + "?iv=" + Data(iv).base64EncodedString()
        let event = NostrEvent.signed(by: ada, kind: 4, tags: [["p", me.publicKey.hex]], content: content)
        let opened = try await open(event).get()
        #expect(opened.wire == .nip04 && opened.envelope == Self.invite)
    }

    @Test func envelopesAreStrictAndBounded() async {
        let valid = #"{"type":"crow_social","version":1,"subtype":"room_invite","payload":{"room_code":"abc","join_url":"https://a.example/calls?room=abc","host_name":"Ada"}}"#
        #expect((try? CrowEnvelope.parse(valid)) == .roomInvite(.init(roomCode: "abc", joinURL: "https://a.example/calls?room=abc", hostName: "Ada")))
        let refusals: [(String, CrowEnvelope.Refusal)] = [
            (String(repeating: " ", count: 9000), .tooLarge),
            ("not json", .notJSON),
            (#"{"type":"other","version":1}"#, .notCrow),
            (#"{"type":"crow_social","version":2,"subtype":"room_invite","payload":{}}"#, .notCrow),
            (#"{"type":"crow_social","version":1,"subtype":"party","payload":{"room_code":"a"}}"#, .unknownSubtype),
            (#"{"type":"crow_social","version":1,"subtype":"room_invite","payload":{"room_code":"a b","join_url":"https://x","host_name":"A"}}"#, .badField),
            (#"{"type":"crow_social","version":1,"subtype":"room_invite","payload":{"room_code":"a","join_url":7,"host_name":"A"}}"#, .badField),
            (#"{"type":"crow_social","version":1,"subtype":"room_invite","payload":{"room_code":"a","host_name":"A"}}"#, .badField),
            (#"{"type":"crow_social","version":1,"subtype":"room_invite","payload":{"room_code":"a","join_url":"https://x","host_name":""}}"#, .badField),
        ]
        for (text, refusal) in refusals {
            #expect(throws: refusal, "\(text.prefix(60))") { try CrowEnvelope.parse(text) }
        }
        // Our JSON is Crow's: type, version, subtype, payload, `/` unescaped.
        let json = Self.invite.json()
        #expect(json.hasPrefix(#"{"payload":{"host_crow_id":"crow-1","host_name":"Ada","join_url":"https://ada.example/calls?room=avfrmh45xpr3&token=abc","room_code":"avfrmh45xpr3"},"subtype":"room_invite","type":"crow_social","version":1}"#))
    }

    @Test func joinURLsAreHTTPSOrPrivateHTTP() async {
        for good in ["https://calls.example.net/calls?room=a", "http://127.0.0.1:8444/calls?room=a", "http://localhost:8444/x", "http://100.101.102.103:8444/x", "http://box.tail1234.ts.net/x", "HTTPS://Example.net/x"] {
            #expect(JoinURLRule.isAcceptable(good), "\(good)")
        }
        for bad in ["http://192.168.1.2/x", "http://100.128.0.1/x", "http://10.0.0.1/x", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "https:///nohost", "https://a b/x", "ftp://a/x", "//a/x", ""] {
            #expect(!JoinURLRule.isAcceptable(bad), "\(bad)")
        }
    }
}
