import Foundation
import Testing

@testable import Ledger

/// The hand-written payload JSON is exactly what `JSONEncoder` writes, for every flat type and every
/// kind of string, so stored events, their hashes and `crow-ledger export` do not change.
@Suite struct PayloadWriterTests {
    /// Every control character, the characters JSON escapes, a slash (left unescaped), non-ASCII and
    /// characters some encoders escape (U+2028, U+2029, DEL).
    static let hostile: [String] = FlatPayloadTests.names + [
        String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }),
        "\u{7F}\u{2028}\u{2029}\u{FEFF}",
        #"</script><img src=x onerror=alert(1)>"#,
        "a\"b\\c/d",
        "😀🇩🇪 Zoë",
    ]

    static func events(_ text: String, _ n: Int) -> [LedgerEvent] {
        [
            .roomCreated(RoomCreated(code: text, hostName: text, maxPeers: n, createdBy: RoomCreator.allCases[n % 4], expiresAt: Int64(n) - 5)),
            .roomEnded(RoomEnded(room: text, reason: RoomEndReason.allCases[n % RoomEndReason.allCases.count], durationMs: Int64.min + Int64(n))),
            .peerJoined(PeerJoined(room: text, peerId: text, displayName: text, tokenId: text)),
            .peerLeft(PeerLeft(room: text, peerId: text, reason: LeaveReason.allCases[n % LeaveReason.allCases.count])),
            .tokenIssued(TokenIssued(tokenId: text, room: text, tokenHash: text, role: n % 2 == 0 ? .host : .guest,
                                     label: n % 2 == 0 ? nil : text, invitee: n % 3 == 0 ? nil : text, expiresAt: Int64.max)),
            .tokenIssued(TokenIssued(tokenId: text, room: text, tokenHash: text, role: .guest, label: text, invitee: text, expiresAt: 0)),
            .tokenUsed(TokenUsed(tokenId: text, room: text, peerId: text)),
            .tokenRevoked(TokenRevoked(tokenId: text, room: text, reason: TokenRevokeReason.allCases[n % 3])),
            .inviteReceived(InviteReceived(inviteId: text, nostrEventId: text, senderPubkey: text, senderName: text, room: text,
                                           joinUrl: "https://x.example/calls?room=\(n)&name=" + text, sentAt: -Int64(n), receivedAt: Int64(n))),
            .inviteDismissed(InviteDismissed(inviteId: text)),
            .inviteAccepted(InviteAccepted(inviteId: text)),
            .inviteDeclined(InviteDeclined(inviteId: text, by: text)),
            .inviteCancelled(InviteCancelled(inviteId: text, reason: text)),
        ]
    }

    @Test func everyFlatPayloadIsWrittenAsJSONEncoderWritesIt() throws {
        var types = Set<String>()
        for (n, text) in Self.hostile.enumerated() {
            for event in Self.events(text, n) {
                let written = try #require(PayloadWriter.json(of: event), "\(event.type)")
                #expect(written == (try event.encodedByJSONEncoder()), "\(event.type) \(text.debugDescription)")
                #expect(try event.encodedData() == written)
                types.insert(event.type)
            }
        }
        // Every type but the three with arrays is written by hand.
        #expect(types == Set(LedgerEvent.knownTypes).subtracting([InviteRequested.eventType, InviteSent.eventType, InviteFailed.eventType]))
    }

    @Test func randomStringsAgreeWithJSONEncoder() throws {
        var generator = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = (0..<0x80).compactMap(Unicode.Scalar.init) + ["é", "ß", "\u{2028}", "😀", "中", "\u{FFFD}"]
        for n in 0..<500 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...24, using: &generator)).map { _ in pool.randomElement(using: &generator)! }))
            for event in Self.events(text, n) {
                #expect(PayloadWriter.json(of: event) == (try event.encodedByJSONEncoder()), "\(text.debugDescription)")
            }
        }
    }

    @Test func arraysStillGoThroughJSONEncoder() throws {
        let sent = LedgerEvent.inviteSent(InviteSent(inviteId: "i", relays: [RelayOutcome(url: "wss://r", ok: true, message: nil)], attempts: 1))
        #expect(PayloadWriter.json(of: sent) == nil)
        #expect(try sent.encodedData() == (try sent.encodedByJSONEncoder()))
    }
}
