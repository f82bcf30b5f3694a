import Ledger
import Projections
import Testing

@testable import Decisions

/// Read-model rows and helpers shared by the decision tests. Decisions are pure, so every test builds the
/// state it needs here and inspects the `[StreamAppend]` (or the `Rejection`) that comes back.
enum Fixture {
    static let now: Int64 = 1_700_000_000_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    static let roomCode = "Rk7-q_2x"
    static let otherRoomCode = "other-room"

    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)
    static let pubkey = String(repeating: "0123456789abcdef", count: 4)
    static let eventId = String(repeating: "fedcba9876543210", count: 4)

    static let hostToken = NewToken(id: "host-token-1", hash: hashA)
    static let guestToken = NewToken(id: "guest-token-1", hash: hashB)

    static func roomRecord(
        code: String = roomCode,
        hostName: String = "Ada",
        maxPeers: Int = 4,
        createdAt: Int64 = now - hour,
        expiresAt: Int64 = now + day,
        state: String = "live",
        peerCount: Int = 0
    ) -> RoomRecord {
        RoomRecord(
            code: code,
            hostName: hostName,
            maxPeers: maxPeers,
            createdBy: "panel",
            createdAt: createdAt,
            expiresAt: expiresAt,
            state: RoomLifecycle(rawValue: state)!,
            peerCount: peerCount
        )
    }

    static func peer(_ id: String, room: String = roomCode, name: String? = nil) -> RoomPeerRecord {
        RoomPeerRecord(
            roomCode: room, peerId: id, displayName: name ?? "Peer \(id)", tokenId: "tok-\(id)", joinedAt: now - minute)
    }

    /// A room with the given peers present, read at `version`.
    static func room(
        code: String = roomCode,
        hostName: String = "Ada",
        maxPeers: Int = 4,
        createdAt: Int64 = now - hour,
        expiresAt: Int64 = now + day,
        state: String = "live",
        peers: [String] = [],
        version: Int = 3
    ) -> RoomState {
        RoomState(
            room: roomRecord(
                code: code,
                hostName: hostName,
                maxPeers: maxPeers,
                createdAt: createdAt,
                expiresAt: expiresAt,
                state: state,
                peerCount: peers.count
            ),
            peers: peers.map { peer($0, room: code) },
            version: version
        )
    }

    static func token(
        id: String = "guest-token-1",
        room: String = roomCode,
        hash: String = hashB,
        role: String = "guest",
        state: String = "issued",
        expiresAt: Int64 = now + hour,
        version: Int = 1
    ) -> Versioned<TokenRecord> {
        Versioned(
            TokenRecord(
                tokenId: id,
                roomCode: room,
                tokenHash: hash,
                role: TokenRole(rawValue: role)!,
                issuedAt: now - hour,
                expiresAt: expiresAt,
                state: TokenState(rawValue: state)!
            ),
            version: version
        )
    }

    static func outgoing(
        id: String = "invite-out-1",
        room: String = roomCode,
        state: String = "pending",
        version: Int = 1
    ) -> Versioned<OutgoingInviteRecord> {
        Versioned(
            OutgoingInviteRecord(
                inviteId: id,
                roomCode: room,
                contactPubkey: pubkey,
                transport: "nip17",
                tokenId: "guest-token-1",
                requestedAt: now - minute,
                state: OutgoingInviteState(rawValue: state)!,
                attempts: 0,
                relaysOk: 0,
                updatedAt: now - minute
            ),
            version: version
        )
    }

    static func incoming(id: String = "invite-in-1", status: String = "ringing", version: Int = 1)
        -> Versioned<IncomingCallRecord>
    {
        Versioned(
            IncomingCallRecord(
                inviteId: id,
                nostrEventId: eventId,
                senderPubkey: pubkey,
                senderName: "Grace",
                roomCode: "their-room",
                joinUrl: "https://grace.example/calls?room=their-room&token=t",
                sentAt: now - 2_000,
                receivedAt: now - 1_000,
                status: IncomingCallStatus(rawValue: status)!,
                statusChangedAt: now - 1_000,
                position: 42
            ),
            version: version
        )
    }

    static func received(
        inviteId: String = "invite-in-1",
        nostrEventId: String = eventId,
        senderPubkey: String = pubkey,
        senderName: String = "Grace",
        room: String = "their-room",
        joinUrl: String = "https://grace.example/calls?room=their-room&token=t"
    ) -> InviteReceived {
        InviteReceived(
            inviteId: inviteId,
            nostrEventId: nostrEventId,
            senderPubkey: senderPubkey,
            senderName: senderName,
            room: room,
            joinUrl: joinUrl,
            sentAt: now - 2_000,
            receivedAt: now - 1_000
        )
    }

    static let nostrEvent: JSONValue = .object([
        "id": .string(eventId),
        "kind": .number(1059),
        "content": .string("ciphertext"),
    ])
}

/// `StreamAppend` is not `Equatable`; this mirror is, so a whole decision result can be compared in one
/// `#expect` with a readable diff.
struct Append: Equatable, CustomStringConvertible {
    var stream: String
    var expected: ExpectedVersion
    var events: [LedgerEvent]

    init(_ stream: String, _ expected: ExpectedVersion, _ events: [LedgerEvent]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }

    init(_ append: StreamAppend) {
        self.init(append.stream, append.expected, append.events)
    }

    var description: String { "\(stream) @\(expected): \(events.map(\.type))" }
}

extension Array where Element == StreamAppend {
    var mirrored: [Append] { map(Append.init) }
}

/// Runs a decision that must be refused and returns why; records an issue if it was accepted.
/// (The closure is untyped-throwing because closures do not infer `throws(Rejection)` from context.)
func rejection(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ decision: () throws -> [StreamAppend]
) -> Rejection? {
    do {
        let appends = try decision()
        Issue.record("expected a rejection, got \(appends.mirrored)", sourceLocation: sourceLocation)
        return nil
    } catch let error as Rejection {
        return error
    } catch {
        Issue.record("expected a Rejection, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Asserts that a decision is refused with exactly `expected`, and that the refusal carries `code`.
func expectRejected(
    _ expected: Rejection,
    code: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ decision: () throws -> [StreamAppend]
) {
    let actual = rejection(sourceLocation: sourceLocation, decision)
    #expect(actual == expected, sourceLocation: sourceLocation)
    #expect(actual?.code == code, sourceLocation: sourceLocation)
}
