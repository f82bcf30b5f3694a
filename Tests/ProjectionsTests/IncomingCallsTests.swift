import CallStore
import Decisions
import Foundation
import GRDB
import Ledger
import Projections
import Testing
import TestSupport

/// The incoming-calls read model behind the toast, the Calls panel and the bell.
@Suite struct IncomingCallsTests {
    static func invite(_ n: Int, at time: Int64) -> InviteReceived {
        let hex = String(repeating: String(n % 10), count: 64)
        return InviteReceived(
            inviteId: "invite\(n)abcd",
            nostrEventId: hex,
            senderPubkey: String(repeating: "a", count: 64),
            senderName: "Caller \(n)",
            room: "room\(n)",
            joinUrl: "https://calls.example.net/join/room\(n)",
            sentAt: time - 1000,
            receivedAt: time
        )
    }

    @Test func lastHourUndismissedWithClockAwareStatuses() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        let start = clock.now
        try await store.receiveInvite(Self.invite(1, at: start))  // older than an hour by the end
        clock.advance(by: 3_000_000)
        try await store.receiveInvite(Self.invite(2, at: clock.now))  // will ring out: missed
        clock.advance(by: 120_000)
        try await store.receiveInvite(Self.invite(3, at: clock.now))  // dismissed
        try await store.dismissIncoming("invite3abcd")
        clock.advance(by: 1000)
        try await store.receiveInvite(Self.invite(4, at: clock.now))  // declined
        try await store.declineIncoming("invite4abcd")
        clock.advance(by: 1000)
        try await store.receiveInvite(Self.invite(5, at: clock.now))  // accepted
        try await store.acceptIncoming("invite5abcd")
        clock.advance(by: 1000)
        try await store.receiveInvite(Self.invite(6, at: clock.now))  // caller gave up while ringing
        try await store.recordRemoteCancelled("invite6abcd", reason: "hung_up")
        clock.advance(by: 10_000)
        try await store.receiveInvite(Self.invite(7, at: clock.now))  // still ringing
        clock.advance(by: 1_000_000)  // invite 1 is now more than an hour old

        let now = clock.now
        let (recent, bell) = try await store.read { db in
            (try Queries.recentIncoming(now: now, in: db), try Queries.bell(in: db))
        }
        #expect(recent.map(\.inviteId) == ["invite7abcd", "invite6abcd", "invite5abcd", "invite2abcd"])
        let window: Int64 = 60_000
        #expect(recent.map { $0.status(now: now, ringWindow: window) } == [.missed, .missed, .accepted, .missed])
        #expect(recent[0].status(now: recent[0].receivedAt + 5_000, ringWindow: window) == .ringing)
        // Unread = not acted on: 1 (old, rang out), 2, 6 and 7.
        #expect(bell.unread == 4)
        #expect(try differencesFromRebuild(store).isEmpty)
    }

    @Test func theSameNostrEventTwiceIsADuplicateAndChangesNothing() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        try await store.receiveInvite(Self.invite(1, at: clock.now))
        var again = Self.invite(1, at: clock.now)
        again.inviteId = "otherinvite1"
        await #expect(throws: CallError.rejected(.duplicateInvite)) { try await store.receiveInvite(again) }
        let (count, unread) = try await store.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM incoming_calls")!, try Queries.bell(in: db).unread)
        }
        #expect(count == 1)
        #expect(unread == 1)
    }

    @Test func actingOnACallTwiceIsRefusedWithItsState() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        try await store.receiveInvite(Self.invite(1, at: clock.now))
        try await store.acceptIncoming("invite1abcd")
        await #expect(throws: CallError.rejected(.inviteState("accepted"))) { try await store.declineIncoming("invite1abcd") }
        await #expect(throws: CallError.rejected(.inviteNotFound)) { try await store.dismissIncoming("nosuchinvite") }
        #expect(try await store.read { db in try Queries.bell(in: db).unread } == 0)
    }

    @Test func callHistoryRecordsBothDirections() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        try await store.receiveInvite(Self.invite(1, at: clock.now))
        try await store.declineIncoming("invite1abcd")
        clock.advance(by: 1000)
        let room = try await store.createRoom(hostName: "Ada", createdBy: .panel, guest: CallStore.GuestRequest(label: "Bob"))
        let host = try await store.admit(room: room.code, token: room.hostToken.secret, displayName: "Ada")
        let guest = try await store.admit(room: room.code, token: try #require(room.guest).token.secret, displayName: "Bob")
        clock.advance(by: 90_000)
        try await store.leave(room: room.code, peerId: guest.peerId, reason: .hangup)
        try await store.leave(room: room.code, peerId: host.peerId, reason: .hangup)
        try await store.endRoom(room.code, reason: .empty)
        let history = try await store.read { db in try Queries.history(in: db) }
        #expect(history.count == 2)
        #expect(history.map(\.direction.rawValue).sorted() == ["incoming", "outgoing"])
        let outgoing = try #require(history.first { $0.direction == .outgoing })
        #expect(outgoing.peakPeers == 2)
        #expect(outgoing.durationMs == 90_000)
        #expect(try differencesFromRebuild(store).isEmpty)
    }
}
