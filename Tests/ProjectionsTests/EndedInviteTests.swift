import CallStore
import Foundation
import Ledger
import Projections
import Testing
import TestSupport

/// `invite.cancelled` and `invite.declined` close incoming calls and outgoing invites alike; the one
/// classifier tells them apart from the read models.
@Suite struct EndedInviteTests {
    /// An outgoing invite to a contact, queued with a new room; its id.
    static func outgoingInvite(_ store: CallStore) async throws -> String {
        let draft = CallStore.InviteDraft(contactPubkey: String(repeating: "c", count: 64), transport: .crow) { _, _ in
            [.object(["kind": .number(4)])]
        }
        let room = try await store.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(invite: draft))
        return try #require(room.guest?.inviteId)
    }

    /// The last event written, and what the classifier says of it.
    static func classifyLast(_ store: CallStore) async throws -> (LedgerEvent, EndedInvite?) {
        try await store.read { db in
            let head = try EventReader.headPosition(in: db)
            let event = try #require(try EventReader.events(in: db, positions: head...head).first).event
            return (event, try Queries.endedInvite(by: event, in: db))
        }
    }

    @Test func cancellationsAndDeclinesAreIncomingOrOutgoing() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)

        try await store.receiveInvite(IncomingCallsTests.invite(1, at: clock.now))
        var (event, ended) = try await Self.classifyLast(store)
        #expect(ended == nil)  // invite.received ends nothing
        if case .inviteReceived = event {} else { Issue.record("expected invite.received, got \(event)") }

        try await store.recordRemoteCancelled("invite1abcd", reason: "call_cancelled")
        (event, ended) = try await Self.classifyLast(store)
        guard case .incoming(let cancelled) = ended else { Issue.record("not incoming: \(String(describing: ended))"); return }
        #expect(cancelled.inviteId == "invite1abcd" && cancelled.status == .missed)

        try await store.receiveInvite(IncomingCallsTests.invite(2, at: clock.now))
        try await store.declineIncoming("invite2abcd")
        (event, ended) = try await Self.classifyLast(store)
        guard case .incoming(let declined) = ended else { Issue.record("not incoming: \(String(describing: ended))"); return }
        #expect(declined.inviteId == "invite2abcd" && declined.status == .declined)

        let withdrawn = try await Self.outgoingInvite(store)
        try await store.cancelOutgoingInvite(withdrawn)
        (event, ended) = try await Self.classifyLast(store)
        guard case .outgoing(let ours) = ended else { Issue.record("not outgoing: \(String(describing: ended))"); return }
        #expect(ours.inviteId == withdrawn && ours.state == .cancelled)

        let refused = try await Self.outgoingInvite(store)
        try await store.recordRemoteDeclined(refused, busy: true)
        (event, ended) = try await Self.classifyLast(store)
        guard case .outgoing(let busy) = ended else { Issue.record("not outgoing: \(String(describing: ended))"); return }
        #expect(busy.inviteId == refused && busy.state == .declined)
    }

    @Test func anInviteNeitherReadModelKnowsIsNeither() async throws {
        let dir = try TemporaryDirectory()
        let (store, _) = try makeSimulatedStore(dir)
        let unknown = LedgerEvent.inviteCancelled(InviteCancelled(inviteId: "nosuchinvite", reason: "owner"))
        let declined = LedgerEvent.inviteDeclined(InviteDeclined(inviteId: "nosuchinvite", by: "remote"))
        let answers = try await store.read { db in
            (try Queries.endedInvite(by: unknown, in: db), try Queries.endedInvite(by: declined, in: db))
        }
        #expect(answers.0 == nil && answers.1 == nil)
    }
}
