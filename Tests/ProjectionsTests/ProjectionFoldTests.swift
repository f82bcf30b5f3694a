import CallSimulation
@testable import CallStore
import Foundation
import GRDB
import Ledger
@testable import Projections
import Testing
import TestSupport

/// Property: the in-memory fold that rebuilds the read models gives exactly the tables the
/// event-by-event projectors give, for simulated workloads with chaos and for hand-made edge cases.
@Suite struct ProjectionFoldTests {
    /// Both rebuilds of the ledger behind `store`, each in its own in-memory database.
    static func bothRebuilds(_ store: EventStore) throws -> (fold: DatabaseQueue, projectors: DatabaseQueue) {
        try store.readSync { live in
            let fold = try DatabaseQueue()
            let projectors = try DatabaseQueue()
            for queue in [fold, projectors] { try queue.writeWithoutTransaction { db in try Migrator.migrate(db, now: 0) } }
            try fold.inTransaction { db in
                _ = try ProjectionRebuilder.replay(into: db, from: live, through: Int64.max, progress: nil)
                return .commit
            }
            try projectors.inTransaction { db in
                _ = try ProjectionRebuilder.replayEventByEvent(into: db, from: live)
                return .commit
            }
            return (fold, projectors)
        }
    }

    static func differences(_ store: EventStore) throws -> [LedgerIssue] {
        let (fold, projectors) = try bothRebuilds(store)
        return try projectors.read { db in try ProjectionRebuilder.compare(snapshot: fold, live: db) }
    }

    @Test(arguments: [UInt64(5), 11, 99, 2024, 31_337, 0xBEEF])
    func theFoldEqualsTheProjectorsOnSimulatedCalls(seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        let store = try await simulatedCalls(dir, seed: seed, calls: 60, chaos: 0.7)
        let issues = try Self.differences(store.ledger)
        #expect(issues.isEmpty, "seed \(seed): \(issues.prefix(5))")
        // Something was there to compare.
        let rows = try await store.read { db in try Queries.history(limit: 1000, in: db).count }
        #expect(rows > 20)
    }

    @Test func theFoldEqualsTheProjectorsOnEdgeCases() async throws {
        let dir = try TemporaryDirectory()
        let store = try EventStore(configuration: LedgerConfiguration(path: dir.file("ledger.sqlite")), projector: CallProjector())
        defer { try? store.close() }
        func append(_ stream: String, _ events: [LedgerEvent]) async throws {
            _ = try await store.append(events, to: stream, expectedVersion: .any)
        }
        let room = "edgeroom1"
        try await append(StreamName.room(room), [
            .roomCreated(RoomCreated(code: room, hostName: #"Ada "/\ ü 😀"#, maxPeers: 4, createdBy: .panel, expiresAt: 9_999_999_999_999))
        ])
        try await append(StreamName.token("t1"), [.tokenIssued(TokenIssued(tokenId: "t1", room: room, tokenHash: "h1", role: .host, label: nil, invitee: nil, expiresAt: 9_999_999_999_999))])
        try await append(StreamName.token("t2"), [.tokenIssued(TokenIssued(tokenId: "t2", room: room, tokenHash: "h2", role: .guest, label: "for Grace", invitee: "npub1x", expiresAt: 9_999_999_999_999))])
        try await append(StreamName.token("t3"), [.tokenIssued(TokenIssued(tokenId: "t3", room: room, tokenHash: "h3", role: .guest, label: nil, invitee: nil, expiresAt: 9_999_999_999_999))])
        // An outgoing invite that minted t2: sent, then answered when t2 admits someone.
        try await append(StreamName.invite("out1"), [
            .inviteRequested(InviteRequested(inviteId: "out1", room: room, contactPubkey: String(repeating: "a", count: 64), transport: .nip17, tokenId: "t2", nostrEvents: [])),
            .inviteFailed(InviteFailed(inviteId: "out1", relays: [], attempts: 1, reason: "down")),
            .inviteSent(InviteSent(inviteId: "out1", relays: [RelayOutcome(url: "wss://r", ok: true), RelayOutcome(url: "wss://s", ok: false)], attempts: 2)),
        ])
        try await append(StreamName.invite("out2"), [
            .inviteRequested(InviteRequested(inviteId: "out2", room: room, contactPubkey: String(repeating: "b", count: 64), transport: .crow, tokenId: nil, nostrEvents: [])),
            .inviteDeclined(InviteDeclined(inviteId: "out2", by: "remote")),
        ])
        // The same name twice in a call, and one with JSON's special characters.
        try await append(StreamName.room(room), [
            .tokenUsed(TokenUsed(tokenId: "t1", room: room, peerId: "p1")),
            .peerJoined(PeerJoined(room: room, peerId: "p1", displayName: "Ada", tokenId: "t1")),
            .tokenUsed(TokenUsed(tokenId: "t2", room: room, peerId: "p2")),
            .peerJoined(PeerJoined(room: room, peerId: "p2", displayName: #"Grace "G" \ / </script>"#, tokenId: "t2")),
            .peerLeft(PeerLeft(room: room, peerId: "p2", reason: .hangup)),
            .peerJoined(PeerJoined(room: room, peerId: "p3", displayName: "Ada", tokenId: "t1")),
            .tokenRevoked(TokenRevoked(tokenId: "t3", room: room, reason: .owner)),
        ])
        // Incoming calls: accepted, dismissed after missing, cancelled while ringing, declined.
        for (n, actions) in [[LedgerEvent]]([
            [.inviteAccepted(InviteAccepted(inviteId: "in0"))],
            [.inviteCancelled(InviteCancelled(inviteId: "in1", reason: "room_closed")), .inviteDismissed(InviteDismissed(inviteId: "in1"))],
            [.inviteCancelled(InviteCancelled(inviteId: "in2", reason: "call_cancelled"))],
            [.inviteDeclined(InviteDeclined(inviteId: "in3", by: "owner")), .inviteCancelled(InviteCancelled(inviteId: "in3", reason: "late"))],
        ]).enumerated() {
            let id = "in\(n)"
            try await append(StreamName.invite(id), [
                .inviteReceived(InviteReceived(
                    inviteId: id, nostrEventId: String(repeating: "\(n)", count: 64), senderPubkey: String(repeating: "c", count: 64),
                    senderName: "Caller \(n) ü", room: "their\(n)", joinUrl: "https://x.example/calls?room=r\(n)", sentAt: 1000 + Int64(n),
                    receivedAt: 2000 + Int64(n)
                ))
            ] + actions)
        }
        // Events for rows that do not exist change nothing, on either side.
        try await append(StreamName.invite("ghost"), [
            .inviteSent(InviteSent(inviteId: "ghost", relays: [], attempts: 1)),
            .inviteAccepted(InviteAccepted(inviteId: "ghost")),
            .inviteCancelled(InviteCancelled(inviteId: "ghost", reason: "x")),
        ])
        try await append(StreamName.room("ghostroom"), [.peerLeft(PeerLeft(room: "ghostroom", peerId: "p", reason: .hangup))])
        // The room ends by the owner's hand: its unused links are revoked.
        try await append(StreamName.token("t4"), [.tokenIssued(TokenIssued(tokenId: "t4", room: room, tokenHash: "h4", role: .guest, label: nil, invitee: nil, expiresAt: 9_999_999_999_999))])
        try await append(StreamName.room(room), [.roomEnded(RoomEnded(room: room, reason: .closed, durationMs: 12_345))])

        let issues = try Self.differences(store)
        #expect(issues.isEmpty, "\(issues.prefix(8))")
        let (fold, _) = try Self.bothRebuilds(store)
        let participants = try await fold.read { db in try String.fetchOne(db, sql: "SELECT participants FROM rooms WHERE code = ?", arguments: [room]) }
        #expect(participants == #"["Ada","Grace \"G\" \\ / </script>"]"#)
    }

    @Test func aLedgerTheProjectorsWouldRefuseIsRefusedByTheFold() throws {
        var fold = ProjectionFold()
        let created = RecordedEvent(
            position: 1, stream: "room-r", version: 1, type: RoomCreated.eventType, data: "{}", recordedAt: 1, hash: Data(),
            event: .roomCreated(RoomCreated(code: "r", hostName: "A", maxPeers: 2, createdBy: .api, expiresAt: 1))
        )
        try fold.apply(created)
        #expect(throws: ProjectionFold.Conflict.self) { try fold.apply(created) }
    }
}
