import Foundation
import Testing

@testable import Ledger

/// The fast payload reader of replays gives exactly what `JSONDecoder` gives, or steps aside.
@Suite struct FlatPayloadTests {
    static let names = ["Ada", #"Grace "G" \ / </script>"#, "Zoë 😀 \u{2028}", "tab\there\nnewline", "\u{0}nul", ""]

    static func samples() -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for (n, name) in names.enumerated() {
            let id = "id\(n)"
            events += [
                .roomCreated(RoomCreated(code: "room\(n)", hostName: name, maxPeers: 2 + n, createdBy: RoomCreator.allCases[n % 4], expiresAt: 1_780_000_000_000 + Int64(n))),
                .roomEnded(RoomEnded(room: "room\(n)", reason: RoomEndReason.allCases[n % RoomEndReason.allCases.count], durationMs: Int64(n) * 1000)),
                .peerJoined(PeerJoined(room: "room\(n)", peerId: "p\(n)", displayName: name, tokenId: "t\(n)")),
                .peerLeft(PeerLeft(room: "room\(n)", peerId: "p\(n)", reason: LeaveReason.allCases[n % LeaveReason.allCases.count])),
                .tokenIssued(TokenIssued(tokenId: "t\(n)", room: "room\(n)", tokenHash: String(repeating: "a", count: 64), role: n % 2 == 0 ? .host : .guest,
                                         label: n % 2 == 0 ? nil : name, invitee: n % 3 == 0 ? nil : "npub1\(n)", expiresAt: -1)),
                .tokenUsed(TokenUsed(tokenId: "t\(n)", room: "room\(n)", peerId: "p\(n)")),
                .tokenRevoked(TokenRevoked(tokenId: "t\(n)", room: "room\(n)", reason: TokenRevokeReason.allCases[n % 3])),
                .inviteReceived(InviteReceived(inviteId: id, nostrEventId: String(repeating: "b", count: 64), senderPubkey: String(repeating: "c", count: 64),
                                               senderName: name, room: "their\(n)", joinUrl: "https://x.example/calls?room=r&token=a/b", sentAt: 0, receivedAt: Int64.max)),
                .inviteDismissed(InviteDismissed(inviteId: id)),
                .inviteAccepted(InviteAccepted(inviteId: id)),
                .inviteDeclined(InviteDeclined(inviteId: id, by: name)),
                .inviteCancelled(InviteCancelled(inviteId: id, reason: name)),
            ]
        }
        return events
    }

    @Test func everyCommonPayloadReadsAsJSONDecoderReadsIt() throws {
        for event in Self.samples() {
            let text = try event.encodedData()
            let slow = try LedgerEvent.decode(type: event.type, data: Data(text.utf8))
            let fast = FlatPayload.decode(type: event.type, bytes: Array(text.utf8))
            #expect(fast == slow, "\(text)")
            #expect(fast == event, "\(text)")
        }
    }

    @Test func anythingUnexpectedStepsAside() {
        let cases: [(String, String)] = [
            (RoomCreated.eventType, #"{"code":"r","hostName":"A","maxPeers":4.0,"createdBy":"api","expiresAt":1,"v":1}"#),
            (RoomCreated.eventType, #"{"code":"r","hostName":"A","maxPeers":4,"createdBy":"robot","expiresAt":1,"v":1}"#),
            (RoomCreated.eventType, #"{"code":"r","hostName":"A","maxPeers":4,"createdBy":"api","v":1}"#),
            (PeerJoined.eventType, #"{"room":"r","peerId":5,"displayName":"A","tokenId":"t"}"#),
            (TokenIssued.eventType, #"{"tokenId":"t","room":"r","tokenHash":"h","role":"host","label":7,"expiresAt":1}"#),
            (InviteSent.eventType, #"{"inviteId":"i","relays":[],"attempts":1}"#),
            (TokenUsed.eventType, #"{"tokenId":"t","room":"r","peerId":"p"} x"#),
            (TokenUsed.eventType, #"["tokenId"]"#),
            (TokenUsed.eventType, #"{"tokenId":"t","room":"r","peerId":"p","extra":{"a":[1,2]},"big":123456789012345678901234567890}"#),
        ]
        for (type, text) in cases.dropLast() {
            #expect(FlatPayload.decode(type: type, bytes: Array(text.utf8)) == nil, "\(text)")
        }
        // Extra members are ignored, as JSONDecoder ignores them.
        let (type, text) = cases.last!
        #expect(FlatPayload.decode(type: type, bytes: Array(text.utf8)) == .tokenUsed(TokenUsed(tokenId: "t", room: "r", peerId: "p")))
    }
}
