import CallStore
import Foundation
import GRDB
import Ledger
import Logging
import Nostr
import OwnerStore
import Projections
import TestSupport
import Testing

@testable import Gateway

/// The inbox against a ledger that misbehaves: what it answers the sender, and what it remembers.
@Suite struct InviteInboxTests {
    /// An inbox on a fresh ledger whose writes give up after 50 ms when another writer holds the file,
    /// with Ada as a contact.
    struct Harness {
        let dir: TemporaryDirectory
        let store: CallStore
        let inbox: InviteInbox
        let me = NostrSecretKey.generate()
        let ada = NostrSecretKey.generate()

        init() async throws {
            dir = try TemporaryDirectory()
            let ledger = try CallStore.openLedger(LedgerConfiguration(path: dir.file("ledger.sqlite"), busyTimeout: 0.05))
            store = CallStore(ledger: ledger, settings: CallSettings(clock: LedgerClock.systemMilliseconds))
            let owners = OwnerStore(ledger: ledger)
            _ = try await owners.addContact(try ContactDraft(name: "Ada", pubkey: ada.publicKey.hex))
            var logger = Logger(label: "inbox-test")
            logger.logLevel = .critical
            inbox = InviteInbox(store: store, owners: owners, identity: me, metrics: GatewayMetrics(store: store), logger: logger)
        }

        func event(_ envelope: CrowEnvelope) throws -> NostrEvent {
            try InviteWire.event(envelope, wire: .nip17, from: ada, to: me.publicKey)
        }

        func status(room: String) async throws -> IncomingCallStatus? {
            try await store.read { db in
                try IncomingCallStatus.fetchOne(db, sql: "SELECT status FROM incoming_calls WHERE room_code = ?", arguments: [room])
            }
        }
    }

    /// A caller's `call_cancelled` that the ledger could not record is answered with an error and not
    /// remembered: the relay's redelivery is recorded, not dropped as a duplicate.
    @Test func aCancelTheLedgerRefusedIsNotRememberedAndItsRedeliveryCounts() async throws {
        let harness = try await Harness()
        let invite = CrowEnvelope.roomInvite(.init(roomCode: "room1", joinURL: "https://ada.example/calls?room=room1&token=t", hostName: "Ada"))
        #expect(await harness.inbox.receive(try harness.event(invite)) == .accepted("invite"))
        #expect(try await harness.status(room: "room1") == .ringing)

        let cancel = try harness.event(.callCancelled(roomCode: "room1"))
        let lock = try SignalingHubTests.WriteLock(path: harness.dir.file("ledger.sqlite"))
        let refused = await harness.inbox.receive(cancel)
        #expect(refused == .failed("storage_error"))
        #expect(refused.okMessage == (false, "error: storage_error"))
        try lock.release()
        #expect(try await harness.status(room: "room1") == .ringing)

        // The same event again (another relay, or the same one later): now it counts.
        #expect(await harness.inbox.receive(cancel) == .accepted("cancel"))
        #expect(try await harness.status(room: "room1") == .missed)
        #expect(await harness.inbox.receive(cancel) == .duplicate)
    }
}
