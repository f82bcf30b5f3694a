import CallSimulation
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

@testable import Invites

/// The outbox on a real ledger, with relays that answer as the test says and a clock that moves only
/// when the test moves it: when it tries again, when it gives up, and what it never sends.
@Suite struct InviteOutboxTests {
    static let adaRelay = "wss://ada.relay.example"
    static let bobRelay = "wss://bob.relay.example"
    static let ownRelay = "wss://own.relay.example"
    /// Takes every invite: the probe that shows a later round has passed.
    static let probeRelay = "wss://probe.relay.example"

    struct Harness {
        let dir: TemporaryDirectory
        let ledger: EventStore
        let store: CallStore
        let owners: OwnerStore
        /// The ledger's and the outbox's clock: an invite's backoff runs on it.
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        let publisher = RecordingPublisher()
        let directory: RelayDirectory
        let composer = InviteComposer(identity: NostrSecretKey.generate())

        init(ownRelays: [String] = []) throws {
            dir = try TemporaryDirectory()
            ledger = try CallStore.openLedger(LedgerConfiguration(path: dir.file("ledger.sqlite"), clock: clock.function))
            store = CallStore(ledger: ledger, settings: CallSettings(clock: clock.function))
            owners = OwnerStore(ledger: ledger, clock: clock.function)
            directory = RelayDirectory(configured: ownRelays)
        }

        /// An outbox that checks every 10 ms when nothing wakes it.
        func outbox(maxAttempts: Int = 6, retry: Backoff) -> InviteOutbox {
            var logger = Logger(label: "outbox-test")
            logger.logLevel = .critical
            return InviteOutbox(
                store: store, owners: owners, directory: directory, publisher: publisher, logger: logger,
                maxAttempts: maxAttempts, idle: .milliseconds(10), retry: retry
            )
        }

        /// Adds a contact with these relays and queues an invite to it, in a new room of its own.
        func invite(_ name: String, relays: [String]) async throws -> (room: String, id: String) {
            let key = NostrSecretKey.generate().publicKey.hex
            let contact = try await owners.addContact(try ContactDraft(name: name, pubkey: key, relays: relays))
            let draft = try composer.draft(for: contact, hostName: "Owner", baseURL: "https://owner.example")
            let created = try await store.createRoom(hostName: "Owner", createdBy: .panel, guest: .init(label: name, invite: draft))
            return (created.code, try #require(created.guest?.inviteId))
        }

        func record(_ id: String) async throws -> OutgoingInviteRecord? {
            try await store.read { db in try Queries.outgoingInvite(id: id, in: db) }
        }

        func state(_ id: String) async throws -> OutgoingInviteState? { try await record(id)?.state }

        /// Queues an invite to a relay that takes it and waits until it is sent. The outbox works one
        /// round at a time, so by then every round that began before this call has finished.
        func laterRoundPasses() async throws {
            publisher.accept(InviteOutboxTests.probeRelay)
            let probe = try await invite("Probe", relays: [InviteOutboxTests.probeRelay])
            try await waitUntil("a later round sends the probe invite") { try await state(probe.id) == .sent }
        }

        /// The first event of `type` on the invite's stream, as recorded.
        func event(_ type: String, invite id: String) async throws -> LedgerEvent? {
            try await store.read { db in try EventReader.firstEvent(ofType: type, inStream: StreamName.invite(id), in: db)?.event }
        }

        /// Runs `outbox` while `body` runs, and waits for it to stop.
        func running(_ outbox: InviteOutbox, _ body: () async throws -> Void) async throws {
            let task = Task { try await outbox.run() }
            do {
                try await body()
            } catch {
                task.cancel()
                _ = await task.result
                throw error
            }
            task.cancel()
            _ = await task.result
        }
    }

    /// Refused by every relay, an invite waits out its backoff on the clock (1 s, then 2 s), however
    /// many rounds the outbox makes meanwhile; once a relay takes it, it is sent, with the relays'
    /// answers recorded.
    @Test func aRefusedInviteIsTriedAgainOnlyWhenItsBackoffHasPassed() async throws {
        let harness = try Harness(ownRelays: [Self.ownRelay])
        let publisher = harness.publisher
        let outbox = harness.outbox(retry: Backoff(base: .seconds(1), cap: .seconds(16), jitter: 0))
        let ada = try await harness.invite("Ada", relays: [Self.adaRelay])
        func tries() -> Int { publisher.publishes(to: Self.adaRelay).count }
        try await harness.running(outbox) {
            try await waitUntil("the first round") { tries() == 1 }
            try await harness.laterRoundPasses()
            #expect(try await harness.state(ada.id) == .pending)

            // A millisecond short of the backoff, rounds go by without it.
            harness.clock.advance(by: 999)
            try await harness.laterRoundPasses()
            #expect(tries() == 1)
            harness.clock.advance(by: 1)
            try await waitUntil("the second round") { tries() == 2 }
            try await harness.laterRoundPasses()

            // The next wait is twice as long. Ada's relay now takes the invite; the gateway's own does not.
            publisher.accept(Self.adaRelay)
            harness.clock.advance(by: 1_999)
            try await harness.laterRoundPasses()
            #expect(tries() == 2)
            #expect(try await harness.state(ada.id) == .pending)
            harness.clock.advance(by: 1)
            try await waitUntil("Ada's invite is sent") { try await harness.state(ada.id) == .sent }
        }

        let record = try #require(try await harness.record(ada.id))
        #expect(record.attempts == 3)
        #expect(record.relaysOk == 1)
        #expect(record.lastError == nil)
        guard case .inviteSent(let sent)? = try await harness.event(InviteSent.eventType, invite: ada.id) else {
            Issue.record("no invite.sent for Ada's invite")
            return
        }
        #expect(sent.relays.map(\.url) == [Self.adaRelay, Self.ownRelay])
        #expect(sent.relays.map(\.ok) == [true, false])
        // Every round sent the same signed event to the contact's relays and the gateway's own.
        let rounds = publisher.publishes(to: Self.adaRelay)
        #expect(rounds.count == 3)
        #expect(rounds.allSatisfy { $0.targets == [Self.adaRelay, Self.ownRelay] })
        #expect(rounds.allSatisfy { $0.eventIds == rounds[0].eventIds && $0.eventIds.count == 1 })
    }

    /// After `maxAttempts` rounds that no relay accepted, the invite is failed with the reason, and not
    /// tried again.
    @Test func anInviteNoRelayAcceptsFailsAfterMaxAttempts() async throws {
        let harness = try Harness()
        let publisher = harness.publisher
        // No wait between rounds: each round of the outbox tries it again.
        let outbox = harness.outbox(maxAttempts: 3, retry: Backoff(base: .zero, cap: .zero))
        let ada = try await harness.invite("Ada", relays: [Self.adaRelay])
        try await harness.running(outbox) {
            try await waitUntil("Ada's invite fails") { try await harness.state(ada.id) == .failed }
            try await harness.laterRoundPasses()
        }
        #expect(publisher.publishes(to: Self.adaRelay).count == 3)
        let record = try #require(try await harness.record(ada.id))
        #expect(record.attempts == 3)
        #expect(record.lastError == "no relay accepted the invite")
        guard case .inviteFailed(let failed)? = try await harness.event(InviteFailed.eventType, invite: ada.id) else {
            Issue.record("no invite.failed for Ada's invite")
            return
        }
        #expect(failed.relays == [RelayOutcome(url: Self.adaRelay, ok: false, message: "blocked: the test relay refuses")])
    }

    /// Ending a room cancels its invites still queued: the outbox never publishes them.
    @Test func anInviteWhoseRoomEndedIsNeverPublished() async throws {
        let harness = try Harness()
        let publisher = harness.publisher
        publisher.accept(Self.adaRelay)
        publisher.accept(Self.bobRelay)
        let ada = try await harness.invite("Ada", relays: [Self.adaRelay])
        try await harness.store.endRoom(ada.room, reason: .closed)
        let bob = try await harness.invite("Bob", relays: [Self.bobRelay])
        try await harness.running(harness.outbox(retry: Backoff(base: .seconds(1), cap: .seconds(1)))) {
            try await waitUntil("Bob's invite is sent") { try await harness.state(bob.id) == .sent }
        }
        #expect(try await harness.state(ada.id) == .cancelled)
        #expect(publisher.publishes(to: Self.adaRelay).isEmpty)
    }

    /// The outbox's own check: an invite still pending for a room that has ended (appended here
    /// directly, since ending a room through CallStore cancels its invites in the same append) is
    /// cancelled by the outbox instead of sent, though its relay would take it.
    @Test func theOutboxCancelsAPendingInviteWhoseRoomHasEnded() async throws {
        let harness = try Harness()
        let publisher = harness.publisher
        publisher.accept(Self.adaRelay)
        let ada = try await harness.invite("Ada", relays: [Self.adaRelay])
        let version = try await harness.ledger.version(of: StreamName.room(ada.room))
        _ = try await harness.ledger.append([
            StreamAppend(
                stream: StreamName.room(ada.room),
                expected: .exact(version),
                events: [.roomEnded(RoomEnded(room: ada.room, reason: .closed, durationMs: 0))]
            )
        ])
        #expect(try await harness.state(ada.id) == .pending)
        try await harness.running(harness.outbox(retry: Backoff(base: .seconds(1), cap: .seconds(1)))) {
            try await waitUntil("the outbox cancels Ada's invite") { try await harness.state(ada.id) == .cancelled }
        }
        #expect(publisher.publishes.isEmpty)
    }

    /// With no relay anywhere (the contact lists none, the gateway has none), the invite fails in its
    /// first round with the reason, and nothing is published.
    @Test func anInviteWithNoRelayAnywhereFailsAtOnce() async throws {
        let harness = try Harness()
        let ada = try await harness.invite("Ada", relays: [])
        try await harness.running(harness.outbox(retry: Backoff(base: .seconds(1), cap: .seconds(1)))) {
            try await waitUntil("Ada's invite fails") { try await harness.state(ada.id) == .failed }
        }
        let record = try #require(try await harness.record(ada.id))
        #expect(record.attempts == 1)
        #expect(record.lastError?.hasPrefix("no relay to send to:") == true)
        #expect(harness.publisher.publishes.isEmpty)
    }
}
