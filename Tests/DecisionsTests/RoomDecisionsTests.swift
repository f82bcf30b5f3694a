import CrowSecurity
import Ledger
import Projections
import Testing

@testable import Decisions

@Suite("RoomDecisions.create")
struct RoomCreateTests {
    static func command(
        code: String = Fixture.roomCode,
        hostName: String = "Ada",
        maxPeers: Int = 4,
        createdBy: RoomCreator = .panel,
        hostToken: NewToken = Fixture.hostToken,
        ttl: Int64 = Fixture.day
    ) -> RoomDecisions.CreateRoom {
        RoomDecisions.CreateRoom(
            code: code,
            hostName: hostName,
            maxPeers: maxPeers,
            createdBy: createdBy,
            hostToken: hostToken,
            now: Fixture.now,
            ttl: ttl
        )
    }

    @Test func createsRoomAndHostTokenOnFreshStreams() throws {
        let appends = try RoomDecisions.create(Self.command(createdBy: .mcp), existing: nil, peerLimit: 4)
        let expiresAt = Fixture.now + Fixture.day
        #expect(
            appends.mirrored == [
                Append(
                    "room-\(Fixture.roomCode)",
                    .noStream,
                    [
                        .roomCreated(
                            RoomCreated(
                                code: Fixture.roomCode, hostName: "Ada", maxPeers: 4, createdBy: .mcp,
                                expiresAt: expiresAt)
                        )
                    ]
                ),
                Append(
                    "token-host-token-1",
                    .noStream,
                    [
                        .tokenIssued(
                            TokenIssued(
                                tokenId: "host-token-1",
                                room: Fixture.roomCode,
                                tokenHash: Fixture.hashA,
                                role: .host,
                                label: "Ada",
                                invitee: nil,
                                expiresAt: expiresAt
                            )
                        )
                    ]
                ),
            ]
        )
    }

    @Test(arguments: [
        ("  Ada \n Lovelace\u{202E} ", "Ada Lovelace"),
        ("", "Host"),
        ("   \t\n", "Host"),
        ("\u{202E}\u{200B}\u{0007}", "Host"),
    ])
    func hostNameIsCleanedInRoomAndTokenLabel(raw: String, shown: String) throws {
        let appends = try RoomDecisions.create(Self.command(hostName: raw), existing: nil, peerLimit: 4)
        guard case .roomCreated(let created) = try #require(appends.first?.events.first),
            case .tokenIssued(let issued) = try #require(appends.last?.events.first)
        else {
            Issue.record("unexpected events \(appends.mirrored)")
            return
        }
        #expect(created.hostName == shown)
        #expect(issued.label == shown)
    }

    @Test(arguments: [2, 3, 8])
    func maxPeersWithinLimitIsAccepted(maxPeers: Int) throws {
        let appends = try RoomDecisions.create(Self.command(maxPeers: maxPeers), existing: nil, peerLimit: 8)
        guard case .roomCreated(let created) = try #require(appends.first?.events.first) else {
            Issue.record("no room.created")
            return
        }
        #expect(created.maxPeers == maxPeers)
    }

    @Test(arguments: ["", "has space", "a/b", "dot.ted", "ünïcode", "semi;colon", String(repeating: "x", count: 65)])
    func malformedRoomCodeIsRefused(code: String) {
        expectRejected(.invalidRequest("room code is malformed"), code: "invalid_request") {
            try RoomDecisions.create(Self.command(code: code), existing: nil, peerLimit: 4)
        }
    }

    @Test func existingRoomIsRefused() {
        expectRejected(.roomExists, code: "room_exists") {
            try RoomDecisions.create(Self.command(), existing: Fixture.roomRecord(), peerLimit: 4)
        }
    }

    @Test func existingEndedRoomIsStillRefused() {
        expectRejected(.roomExists, code: "room_exists") {
            try RoomDecisions.create(Self.command(), existing: Fixture.roomRecord(state: "ended"), peerLimit: 4)
        }
    }

    @Test(arguments: [Int.min, -1, 0, 1, 5, 100])
    func maxPeersOutsideTwoToLimitIsRefused(maxPeers: Int) {
        expectRejected(.invalidRequest("maxPeers must be between 2 and 4"), code: "invalid_request") {
            try RoomDecisions.create(Self.command(maxPeers: maxPeers), existing: nil, peerLimit: 4)
        }
    }

    @Test(arguments: [Int64.min, -1, 0])
    func nonPositiveTTLIsRefused(ttl: Int64) {
        expectRejected(.invalidRequest("ttl must be positive"), code: "invalid_request") {
            try RoomDecisions.create(Self.command(ttl: ttl), existing: nil, peerLimit: 4)
        }
    }

    @Test(arguments: ["short7c", String(repeating: "t", count: 65), "host token", "host/token", ""])
    func malformedHostTokenIdIsRefused(id: String) {
        expectRejected(.invalidRequest("token id is malformed"), code: "invalid_request") {
            try RoomDecisions.create(
                Self.command(hostToken: NewToken(id: id, hash: Fixture.hashA)),
                existing: nil,
                peerLimit: 4
            )
        }
    }

    @Test(arguments: [
        String(repeating: "A", count: 64),
        String(repeating: "a", count: 63),
        String(repeating: "a", count: 65),
        String(repeating: "g", count: 64),
        "",
    ])
    func malformedHostTokenHashIsRefused(hash: String) {
        expectRejected(.invalidRequest("token hash must be hex SHA-256"), code: "invalid_request") {
            try RoomDecisions.create(
                Self.command(hostToken: NewToken(id: "host-token-1", hash: hash)),
                existing: nil,
                peerLimit: 4
            )
        }
    }

    @Test func checksRunInOrder() {
        // A malformed code is reported before an existing room, an existing room before a bad maxPeers,
        // maxPeers before the ttl, and the ttl before the token.
        let badToken = NewToken(id: "x", hash: "y")
        #expect(
            rejection {
                try RoomDecisions.create(
                    Self.command(code: "bad code", maxPeers: 0, hostToken: badToken, ttl: 0),
                    existing: Fixture.roomRecord(),
                    peerLimit: 4
                )
            } == .invalidRequest("room code is malformed")
        )
        #expect(
            rejection {
                try RoomDecisions.create(
                    Self.command(maxPeers: 0, hostToken: badToken, ttl: 0),
                    existing: Fixture.roomRecord(),
                    peerLimit: 4
                )
            } == .roomExists
        )
        #expect(
            rejection {
                try RoomDecisions.create(
                    Self.command(maxPeers: 0, hostToken: badToken, ttl: 0), existing: nil, peerLimit: 4)
            } == .invalidRequest("maxPeers must be between 2 and 4")
        )
        #expect(
            rejection {
                try RoomDecisions.create(Self.command(hostToken: badToken, ttl: 0), existing: nil, peerLimit: 4)
            } == .invalidRequest("ttl must be positive")
        )
    }
}

@Suite("RoomDecisions.admit")
struct RoomAdmitTests {
    static func admit(
        room: RoomState? = Fixture.room(peers: ["p1"], version: 5),
        token: Versioned<TokenRecord>? = Fixture.token(version: 1),
        roomCode: String = Fixture.roomCode,
        presentedHash: String = Fixture.hashB,
        peerId: String = "p-new",
        displayName: String = "Grace",
        now: Int64 = Fixture.now
    ) throws(Rejection) -> [StreamAppend] {
        try RoomDecisions.admit(
            roomCode: roomCode,
            room: room,
            token: token,
            presentedHash: presentedHash,
            peerId: peerId,
            displayName: displayName,
            now: now
        )
    }

    @Test func admitsGuestWithTokenUsedAndPeerJoinedAtReadVersions() throws {
        let appends = try Self.admit()
        #expect(
            appends.mirrored == [
                Append(
                    "token-guest-token-1",
                    .exact(1),
                    [.tokenUsed(TokenUsed(tokenId: "guest-token-1", room: Fixture.roomCode, peerId: "p-new"))]
                ),
                Append(
                    "room-\(Fixture.roomCode)",
                    .exact(5),
                    [
                        .peerJoined(
                            PeerJoined(
                                room: Fixture.roomCode, peerId: "p-new", displayName: "Grace", tokenId: "guest-token-1")
                        )
                    ]
                ),
            ]
        )
    }

    @Test(arguments: [
        ("guest", "", "Guest"),
        ("guest", " \u{200B}\u{202E} ", "Guest"),
        ("host", "", "Ada"),
        ("host", "\t", "Ada"),
        ("host", "  Captain\u{0000}  Ada ", "Captain Ada"),
        ("guest", "<b>Eve</b>", "<b>Eve</b>"),
    ])
    func displayNameIsCleanedWithRoleFallback(role: String, raw: String, shown: String) throws {
        let appends = try Self.admit(token: Fixture.token(role: role), displayName: raw)
        guard case .peerJoined(let joined) = try #require(appends.last?.events.first) else {
            Issue.record("no peer.joined")
            return
        }
        #expect(joined.displayName == shown)
    }

    @Test func longDisplayNameIsCapped() throws {
        let appends = try Self.admit(displayName: String(repeating: "n", count: 500))
        guard case .peerJoined(let joined) = try #require(appends.last?.events.first) else {
            Issue.record("no peer.joined")
            return
        }
        #expect(joined.displayName == String(repeating: "n", count: TextRules.maxDisplayName))
    }

    @Test func lastSeatAndLastMillisecondAreAdmitted() throws {
        let room = Fixture.room(maxPeers: 3, peers: ["p1", "p2"])
        let appends = try Self.admit(room: room, token: Fixture.token(expiresAt: Fixture.now + 1))
        #expect(appends.count == 2)
    }

    @Test func missingRoomIsRefusedEvenWithoutToken() {
        expectRejected(.roomNotFound, code: "room_not_found") { try Self.admit(room: nil, token: nil) }
    }

    @Test func unknownTokenIsInvalid() {
        expectRejected(.tokenInvalid, code: "token_invalid") { try Self.admit(token: nil) }
    }

    @Test func tokenForAnotherRoomIsInvalid() {
        expectRejected(.tokenInvalid, code: "token_invalid") {
            try Self.admit(token: Fixture.token(room: Fixture.otherRoomCode))
        }
    }

    @Test(arguments: [Fixture.hashA, String(Fixture.hashB.dropLast()), Fixture.hashB.uppercased(), ""])
    func presentedHashMustMatchStoredHash(presented: String) {
        expectRejected(.tokenInvalid, code: "token_invalid") { try Self.admit(presentedHash: presented) }
    }

    @Test func endedRoomIsRefused() {
        expectRejected(.roomEnded, code: "room_ended") { try Self.admit(room: Fixture.room(state: "ended")) }
    }

    @Test func usedTokenIsRefused() {
        expectRejected(.tokenUsed, code: "token_used") { try Self.admit(token: Fixture.token(state: "used")) }
    }

    @Test func revokedTokenIsRefused() {
        expectRejected(.tokenRevoked, code: "token_revoked") { try Self.admit(token: Fixture.token(state: "revoked")) }
    }

    @Test(arguments: [Fixture.now, Fixture.now - 1, Fixture.now - Fixture.day])
    func expiredTokenIsRefused(expiresAt: Int64) {
        expectRejected(.tokenExpired, code: "token_expired") {
            try Self.admit(token: Fixture.token(expiresAt: expiresAt))
        }
    }

    @Test(arguments: [2, 4])
    func fullRoomIsRefused(maxPeers: Int) {
        let peers = (1...maxPeers).map { "p\($0)" }
        expectRejected(.roomFull, code: "room_full") {
            try Self.admit(room: Fixture.room(maxPeers: maxPeers, peers: peers))
        }
    }

    @Test(arguments: ["", "p1"])
    func emptyOrTakenPeerIdIsRefused(peerId: String) {
        expectRejected(.invalidRequest("peer id is taken"), code: "invalid_request") { try Self.admit(peerId: peerId) }
    }

    @Test func refusalsComeInTheDocumentedOrder() {
        // room → token → room ended → used / revoked → expired → full → peer id.
        let ended = Fixture.room(maxPeers: 2, state: "ended", peers: ["p1", "p2"])
        let full = Fixture.room(maxPeers: 2, peers: ["p1", "p2"])
        let expiredUsed = Fixture.token(state: "used", expiresAt: Fixture.now - 1)
        let expiredRevoked = Fixture.token(state: "revoked", expiresAt: Fixture.now - 1)
        let expired = Fixture.token(expiresAt: Fixture.now - 1)

        #expect(rejection { try Self.admit(room: nil, token: expiredUsed) } == .roomNotFound)
        #expect(
            rejection { try Self.admit(room: ended, token: Fixture.token(room: "elsewhere", state: "used")) }
                == .tokenInvalid)
        #expect(
            rejection { try Self.admit(room: ended, token: expiredUsed, presentedHash: Fixture.hashA) } == .tokenInvalid
        )
        #expect(rejection { try Self.admit(room: ended, token: expiredUsed) } == .roomEnded)
        #expect(rejection { try Self.admit(room: full, token: expiredUsed) } == .tokenUsed)
        #expect(rejection { try Self.admit(room: full, token: expiredRevoked) } == .tokenRevoked)
        #expect(rejection { try Self.admit(room: full, token: expired) } == .tokenExpired)
        #expect(rejection { try Self.admit(room: full, peerId: "p1") } == .roomFull)
    }
}

@Suite("RoomDecisions.leave")
struct RoomLeaveTests {
    @Test(arguments: LeaveReason.allCases)
    func presentPeerLeavesAtRoomVersion(reason: LeaveReason) throws {
        let room = Fixture.room(peers: ["p1", "p2"], version: 9)
        let appends = try RoomDecisions.leave(room: room, peerId: "p2", reason: reason)
        #expect(
            appends.mirrored == [
                Append(
                    "room-\(Fixture.roomCode)",
                    .exact(9),
                    [.peerLeft(PeerLeft(room: Fixture.roomCode, peerId: "p2", reason: reason))]
                )
            ]
        )
    }

    @Test func missingRoomIsRefused() {
        expectRejected(.roomNotFound, code: "room_not_found") {
            try RoomDecisions.leave(room: nil, peerId: "p1", reason: .hangup)
        }
    }

    @Test(arguments: ["p3", "", "P1"])
    func absentPeerIsRefused(peerId: String) {
        expectRejected(.peerNotFound, code: "peer_not_found") {
            try RoomDecisions.leave(room: Fixture.room(peers: ["p1", "p2"]), peerId: peerId, reason: .hangup)
        }
    }
}

@Suite("RoomDecisions.end")
struct RoomEndTests {
    static let code = Fixture.roomCode

    static let tokens: [Versioned<TokenRecord>] = [
        Fixture.token(id: "issued-1", state: "issued", version: 1),
        Fixture.token(id: "used-1", state: "used", version: 2),
        Fixture.token(id: "revoked-1", state: "revoked", version: 2),
        // Expired by the clock but still stored as issued: it is revoked too.
        Fixture.token(id: "stale-1", state: "issued", expiresAt: Fixture.now - Fixture.hour, version: 1),
        Fixture.token(id: "foreign-1", room: Fixture.otherRoomCode, state: "issued", version: 1),
    ]

    static let invites: [Versioned<OutgoingInviteRecord>] = [
        Fixture.outgoing(id: "inv-pending", state: "pending", version: 1),
        Fixture.outgoing(id: "inv-sent", state: "sent", version: 2),
        Fixture.outgoing(id: "inv-failed", state: "failed", version: 3),
        Fixture.outgoing(id: "inv-declined", state: "declined", version: 3),
        Fixture.outgoing(id: "inv-answered", state: "answered", version: 2),
        Fixture.outgoing(id: "inv-cancelled", state: "cancelled", version: 2),
        Fixture.outgoing(id: "inv-foreign", room: Fixture.otherRoomCode, state: "pending", version: 1),
    ]

    static func openInviteCancellations(_ reason: String) -> [Append] {
        [("inv-pending", 1), ("inv-sent", 2), ("inv-failed", 3)].map { id, version in
            Append("invite-\(id)", .exact(version), [.inviteCancelled(InviteCancelled(inviteId: id, reason: reason))])
        }
    }

    @Test func closedKicksEveryoneRevokesUnusedTokensAndCancelsOpenInvites() throws {
        let room = Fixture.room(createdAt: Fixture.now - 90_000, peers: ["p1", "p2"], version: 7)
        let appends = try RoomDecisions.end(
            room: room,
            reason: .closed,
            unusedTokens: Self.tokens,
            openInvites: Self.invites,
            now: Fixture.now
        )
        let expected: [Append] =
            [
                Append(
                    "room-\(Self.code)",
                    .exact(7),
                    [
                        .peerLeft(PeerLeft(room: Self.code, peerId: "p1", reason: .kicked)),
                        .peerLeft(PeerLeft(room: Self.code, peerId: "p2", reason: .kicked)),
                        .roomEnded(RoomEnded(room: Self.code, reason: .closed, durationMs: 90_000)),
                    ]
                ),
                Append(
                    "token-issued-1",
                    .exact(1),
                    [.tokenRevoked(TokenRevoked(tokenId: "issued-1", room: Self.code, reason: .roomClosed))]
                ),
                Append(
                    "token-stale-1",
                    .exact(1),
                    [.tokenRevoked(TokenRevoked(tokenId: "stale-1", room: Self.code, reason: .roomClosed))]
                ),
            ] + Self.openInviteCancellations("room_closed")
        #expect(appends.mirrored == expected)
    }

    @Test func expiredRevokesWithExpiredSweepReason() throws {
        let room = Fixture.room(createdAt: Fixture.now - Fixture.day, peers: ["p1"], version: 4)
        let appends = try RoomDecisions.end(
            room: room,
            reason: .expired,
            unusedTokens: Self.tokens,
            openInvites: Self.invites,
            now: Fixture.now
        )
        let expected: [Append] =
            [
                Append(
                    "room-\(Self.code)",
                    .exact(4),
                    [
                        .peerLeft(PeerLeft(room: Self.code, peerId: "p1", reason: .kicked)),
                        .roomEnded(RoomEnded(room: Self.code, reason: .expired, durationMs: Fixture.day)),
                    ]
                ),
                Append(
                    "token-issued-1",
                    .exact(1),
                    [.tokenRevoked(TokenRevoked(tokenId: "issued-1", room: Self.code, reason: .expiredSweep))]
                ),
                Append(
                    "token-stale-1",
                    .exact(1),
                    [.tokenRevoked(TokenRevoked(tokenId: "stale-1", room: Self.code, reason: .expiredSweep))]
                ),
            ] + Self.openInviteCancellations("room_expired")
        #expect(appends.mirrored == expected)
    }

    @Test func emptyEndsWithoutRevokingTokensButCancelsOpenInvites() throws {
        let room = Fixture.room(createdAt: Fixture.now - 5_000, peers: [], version: 12)
        let appends = try RoomDecisions.end(
            room: room,
            reason: .empty,
            unusedTokens: Self.tokens,
            openInvites: Self.invites,
            now: Fixture.now
        )
        let expected: [Append] =
            [
                Append(
                    "room-\(Self.code)",
                    .exact(12),
                    [.roomEnded(RoomEnded(room: Self.code, reason: .empty, durationMs: 5_000))]
                )
            ] + Self.openInviteCancellations("room_empty")
        #expect(appends.mirrored == expected)
    }

    @Test(arguments: RoomEndReason.allCases)
    func bareRoomEndsWithOneEvent(reason: RoomEndReason) throws {
        let appends = try RoomDecisions.end(
            room: Fixture.room(createdAt: Fixture.now - 1, version: 2),
            reason: reason,
            unusedTokens: [],
            openInvites: [],
            now: Fixture.now
        )
        #expect(
            appends.mirrored == [
                Append(
                    "room-\(Self.code)", .exact(2),
                    [.roomEnded(RoomEnded(room: Self.code, reason: reason, durationMs: 1))])
            ]
        )
    }

    @Test func durationIsNeverNegative() throws {
        // A clock that stepped backwards must not produce a negative duration.
        let appends = try RoomDecisions.end(
            room: Fixture.room(createdAt: Fixture.now + Fixture.minute),
            reason: .closed,
            unusedTokens: [],
            openInvites: [],
            now: Fixture.now
        )
        guard case .roomEnded(let ended) = try #require(appends.first?.events.last) else {
            Issue.record("no room.ended")
            return
        }
        #expect(ended.durationMs == 0)
    }

    @Test(arguments: RoomEndReason.allCases)
    func missingRoomIsRefused(reason: RoomEndReason) {
        expectRejected(.roomNotFound, code: "room_not_found") {
            try RoomDecisions.end(room: nil, reason: reason, unusedTokens: [], openInvites: [], now: Fixture.now)
        }
    }

    @Test(arguments: RoomEndReason.allCases)
    func endedRoomIsRefused(reason: RoomEndReason) {
        expectRejected(.roomEnded, code: "room_ended") {
            try RoomDecisions.end(
                room: Fixture.room(state: "ended"),
                reason: reason,
                unusedTokens: Self.tokens,
                openInvites: Self.invites,
                now: Fixture.now
            )
        }
    }

    @Test func emptyIsRefusedWhileSomeoneIsPresent() {
        expectRejected(.roomNotEmpty, code: "room_not_empty") {
            try RoomDecisions.end(
                room: Fixture.room(peers: ["p1"]),
                reason: .empty,
                unusedTokens: Self.tokens,
                openInvites: Self.invites,
                now: Fixture.now
            )
        }
    }

    @Test func endedIsReportedBeforeNotEmpty() {
        #expect(
            rejection {
                try RoomDecisions.end(
                    room: Fixture.room(state: "ended", peers: ["p1"]),
                    reason: .empty,
                    unusedTokens: [],
                    openInvites: [],
                    now: Fixture.now
                )
            } == .roomEnded
        )
    }
}

@Suite struct RoomCreateLimitTests {
    @Test func aPeerLimitBelowTwoRefusesInsteadOfTrapping() throws {
        let command = RoomDecisions.CreateRoom(
            code: "abcdefghijkl",
            hostName: "Ada",
            maxPeers: 2,
            createdBy: .api,
            hostToken: NewToken(id: "0123456789abcdef", hash: String(repeating: "a", count: 64)),
            now: 1,
            ttl: 1000
        )
        #expect(throws: Rejection.invalidRequest("maxPeers must be between 2 and 1")) {
            try RoomDecisions.create(command, existing: nil, peerLimit: 1)
        }
    }
}
