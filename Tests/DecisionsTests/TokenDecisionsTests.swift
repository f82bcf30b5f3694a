import CrowSecurity
import Ledger
import Projections
import Testing

@testable import Decisions

@Suite("TokenDecisions.issue")
struct TokenIssueTests {
    static func issue(
        room: RoomState? = Fixture.room(version: 6),
        token: NewToken = Fixture.guestToken,
        role: TokenRole = .guest,
        label: String? = "For Grace",
        invitee: String? = nil,
        ttl: Int64 = Fixture.hour
    ) throws(Rejection) -> [StreamAppend] {
        try TokenDecisions.issue(
            room: room,
            token: token,
            role: role,
            label: label,
            invitee: invitee,
            now: Fixture.now,
            ttl: ttl
        )
    }

    static func issued(_ appends: [StreamAppend]) throws -> TokenIssued {
        guard case .tokenIssued(let issued) = try #require(appends.first?.events.first) else {
            throw Unexpected(appends.mirrored.description)
        }
        return issued
    }

    struct Unexpected: Error {
        let detail: String
        init(_ detail: String) { self.detail = detail }
    }

    @Test(arguments: TokenRole.allCases)
    func issuesTokenOnFreshStream(role: TokenRole) throws {
        let appends = try Self.issue(role: role, invitee: Fixture.pubkey)
        #expect(
            appends.mirrored == [
                Append(
                    "token-guest-token-1",
                    .noStream,
                    [
                        .tokenIssued(
                            TokenIssued(
                                tokenId: "guest-token-1",
                                room: Fixture.roomCode,
                                tokenHash: Fixture.hashB,
                                role: role,
                                label: "For Grace",
                                invitee: Fixture.pubkey,
                                expiresAt: Fixture.now + Fixture.hour
                            )
                        )
                    ]
                )
            ]
        )
    }

    @Test func tokenNeverOutlivesItsRoom() throws {
        let room = Fixture.room(expiresAt: Fixture.now + Fixture.minute)
        #expect(try Self.issued(Self.issue(room: room, ttl: Fixture.day)).expiresAt == Fixture.now + Fixture.minute)
        #expect(try Self.issued(Self.issue(room: room, ttl: 1_000)).expiresAt == Fixture.now + 1_000)
    }

    @Test(
        arguments: [
            ("  For \n\t Grace\u{202E} ", "For Grace"),
            ("", nil),
            ("   ", nil),
            ("\u{200B}\u{202E}\u{0000}", nil),
            (String(repeating: "L", count: 300), String(repeating: "L", count: TextRules.maxLabel)),
        ] as [(String, String?)])
    func labelIsCleanedAndEmptyBecomesNil(raw: String, stored: String?) throws {
        #expect(try Self.issued(Self.issue(label: raw)).label == stored)
    }

    @Test func missingLabelAndInviteeStayNil() throws {
        let issued = try Self.issued(Self.issue(label: nil, invitee: nil))
        #expect(issued.label == nil)
        #expect(issued.invitee == nil)
    }

    @Test func missingRoomIsRefused() {
        expectRejected(.roomNotFound, code: "room_not_found") { try Self.issue(room: nil) }
    }

    @Test func endedRoomIsRefused() {
        expectRejected(.roomEnded, code: "room_ended") { try Self.issue(room: Fixture.room(state: "ended")) }
    }

    @Test(arguments: [Int64.min, -1, 0])
    func nonPositiveTTLIsRefused(ttl: Int64) {
        expectRejected(.invalidRequest("ttl must be positive"), code: "invalid_request") { try Self.issue(ttl: ttl) }
    }

    @Test(arguments: ["1234567", String(repeating: "t", count: 65), "guest token", "guest.token", "guest/token/1", ""])
    func malformedTokenIdIsRefused(id: String) {
        expectRejected(.invalidRequest("token id is malformed"), code: "invalid_request") {
            try Self.issue(token: NewToken(id: id, hash: Fixture.hashB))
        }
    }

    @Test(arguments: ["12345678", String(repeating: "t", count: 64)])
    func tokenIdLengthBoundsAreAccepted(id: String) throws {
        #expect(try Self.issued(Self.issue(token: NewToken(id: id, hash: Fixture.hashB))).tokenId == id)
    }

    @Test(arguments: [
        Fixture.hashB.uppercased(), String(Fixture.hashB.dropFirst()), Fixture.hashB + "b", "not-a-hash", "",
    ])
    func malformedTokenHashIsRefused(hash: String) {
        expectRejected(.invalidRequest("token hash must be hex SHA-256"), code: "invalid_request") {
            try Self.issue(token: NewToken(id: "guest-token-1", hash: hash))
        }
    }

    @Test(arguments: [
        Fixture.pubkey.uppercased(),
        "npub1" + String(repeating: "q", count: 58),
        String(Fixture.pubkey.dropLast()),
        "",
    ])
    func malformedInviteeIsRefused(invitee: String) {
        expectRejected(.invalidRequest("invitee must be a hex public key"), code: "invalid_request") {
            try Self.issue(invitee: invitee)
        }
    }

    @Test func checksRunInOrder() {
        let badToken = NewToken(id: "x", hash: "y")
        #expect(rejection { try Self.issue(room: nil, token: badToken, invitee: "x", ttl: 0) } == .roomNotFound)
        #expect(
            rejection { try Self.issue(room: Fixture.room(state: "ended"), token: badToken, invitee: "x", ttl: 0) }
                == .roomEnded
        )
        #expect(
            rejection { try Self.issue(token: badToken, invitee: "x", ttl: 0) }
                == .invalidRequest("ttl must be positive"))
        #expect(rejection { try Self.issue(token: badToken, invitee: "x") } == .invalidRequest("token id is malformed"))
    }
}

@Suite("TokenDecisions.revoke")
struct TokenRevokeTests {
    @Test(arguments: TokenRevokeReason.allCases)
    func issuedTokenIsRevokedAtItsVersion(reason: TokenRevokeReason) throws {
        let token = Fixture.token(id: "guest-token-9", room: Fixture.otherRoomCode, version: 3)
        let appends = try TokenDecisions.revoke(token: token, reason: reason)
        #expect(
            appends.mirrored == [
                Append(
                    "token-guest-token-9",
                    .exact(3),
                    [.tokenRevoked(TokenRevoked(tokenId: "guest-token-9", room: Fixture.otherRoomCode, reason: reason))]
                )
            ]
        )
    }

    @Test func tokenPastItsExpiryCanStillBeRevoked() throws {
        let appends = try TokenDecisions.revoke(
            token: Fixture.token(expiresAt: Fixture.now - Fixture.day), reason: .owner)
        #expect(appends.count == 1)
    }

    @Test func unknownTokenIsInvalid() {
        expectRejected(.tokenInvalid, code: "token_invalid") { try TokenDecisions.revoke(token: nil, reason: .owner) }
    }

    @Test func usedTokenIsRefused() {
        expectRejected(.tokenUsed, code: "token_used") {
            try TokenDecisions.revoke(token: Fixture.token(state: "used"), reason: .owner)
        }
    }

    @Test func revokedTokenIsRefused() {
        expectRejected(.tokenRevoked, code: "token_revoked") {
            try TokenDecisions.revoke(token: Fixture.token(state: "revoked"), reason: .roomClosed)
        }
    }
}
