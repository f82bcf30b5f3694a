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

/// The inbox against a ledger that misbehaves: what it answers the sender, and what it remembers.
@Suite struct InviteInboxTests {
    /// An inbox on a fresh ledger whose writes give up after 50 ms when another writer holds the file,
    /// with Ada as a contact.
    struct Harness {
        let dir: TemporaryDirectory
        let store: CallStore
        let inbox: InviteInbox
        let metrics = CountingInviteMetrics()
        /// The inbox's clock: it moves only when the test moves it (the work budget refills by it).
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        var me = NostrSecretKey.generate()
        var ada = NostrSecretKey.generate()

        init(workPerSecond: Double = 200, sharing other: Harness? = nil) async throws {
            dir = try other?.dir ?? TemporaryDirectory()
            if let other { (me, ada) = (other.me, other.ada) }
            let ledger = try CallStore.openLedger(LedgerConfiguration(path: dir.file("ledger.sqlite"), busyTimeout: 0.05))
            store = CallStore(ledger: ledger, settings: CallSettings(clock: clock.function))
            let owners = OwnerStore(ledger: ledger)
            if other == nil { _ = try await owners.addContact(try ContactDraft(name: "Ada", pubkey: ada.publicKey.hex)) }
            var logger = Logger(label: "inbox-test")
            logger.logLevel = .critical
            inbox = InviteInbox(store: store, owners: owners, identity: me, metrics: metrics, logger: logger, workPerSecond: workPerSecond)
        }

        /// How many events the inbox began to verify and decrypt.
        func verifications() async throws -> Int {
            metrics.counts.withLock { $0.work }
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
        let lock = try LedgerWriteLock(path: harness.dir.file("ledger.sqlite"))
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

    /// A stranger's valid gift wrap costs the full unwrap once: sent again, it is dropped for the same
    /// reason without the work. A junk event under a real id is not remembered, so it cannot block it.
    @Test func aStrangersSignedEventIsUnwrappedOnce() async throws {
        let harness = try await Harness()
        let stranger = NostrSecretKey.generate()
        let invite = CrowEnvelope.roomInvite(.init(roomCode: "room2", joinURL: "https://x.example/calls?room=room2&token=t", hostName: "X"))
        let wrap = try InviteWire.event(invite, wire: .nip17, from: stranger, to: harness.me.publicKey)
        for _ in 0..<3 { #expect(await harness.inbox.receive(wrap) == .dropped("stranger")) }
        #expect(try await harness.verifications() == 1)

        // Junk carrying the id of an event yet to come: dropped, not remembered, and the real one counts.
        let real = try harness.event(.roomInvite(.init(roomCode: "room3", joinURL: "https://ada.example/calls?room=room3&token=t", hostName: "Ada")))
        var junk = real
        junk.sig = String(repeating: "1", count: 128)
        #expect(await harness.inbox.receive(junk) == .dropped("bad_signature"))
        #expect(await harness.inbox.receive(real) == .accepted("invite"))
        // An id in capitals is not a second name for it.
        var shouting = real
        shouting.id = real.id.uppercased()
        #expect(await harness.inbox.receive(shouting) == .dropped("bad_signature"))
    }

    /// Past the budget of verification work, events are answered "rate-limited" and not remembered;
    /// the budget refills with time.
    @Test func verificationWorkHasABudgetPerSecond() async throws {
        let harness = try await Harness(workPerSecond: 1)  // a burst of 2
        let stranger = NostrSecretKey.generate()
        func wrap(_ n: Int) throws -> NostrEvent {
            try InviteWire.event(
                .roomInvite(.init(roomCode: "s\(n)", joinURL: "https://x.example/calls?room=s\(n)&token=t", hostName: "X")),
                wire: .nip17, from: stranger, to: harness.me.publicKey
            )
        }
        let events = try (0..<3).map(wrap)
        #expect(await harness.inbox.receive(events[0]) == .dropped("stranger"))
        #expect(await harness.inbox.receive(events[1]) == .dropped("stranger"))
        let third = await harness.inbox.receive(events[2])
        #expect(third == .busy)
        #expect(third.okMessage.1.hasPrefix("rate-limited:"))
        #expect(try await harness.verifications() == 2)
        harness.clock.advance(by: 1_000)
        #expect(await harness.inbox.receive(events[2]) == .dropped("stranger"))
        #expect(try await harness.verifications() == 3)
    }
}

/// A contact's invites have a budget: a burst, then one per interval, each drop counted by reason.
@Suite struct InviteInboxSenderBudgetTests {
    @Test func aContactRingingInALoopIsHeldToItsBudget() async throws {
        let harness = try await InviteInboxTests.Harness()
        func invite(_ n: Int) throws -> NostrEvent {
            try harness.event(.roomInvite(.init(roomCode: "loop\(n)", joinURL: "https://ada.example/calls?room=loop\(n)&token=t", hostName: "Ada")))
        }
        let events = try (0..<20).map(invite)
        var outcomes: [InviteInbox.Outcome] = []
        for event in events { outcomes.append(await harness.inbox.receive(event)) }
        #expect(outcomes.prefix(6).allSatisfy { $0 == .accepted("invite") }, "\(outcomes)")
        #expect(outcomes.dropFirst(6).allSatisfy { $0 == .dropped("sender_rate_limited") }, "\(outcomes)")
        // Ada may ring again once the budget refills: one invite per ten seconds.
        harness.clock.advance(by: 10_000)
        let late = try invite(101)
        #expect(await harness.inbox.receive(try invite(100)) == .accepted("invite"))
        #expect(await harness.inbox.receive(late) == .dropped("sender_rate_limited"))
        // A dropped invite was not remembered: sent again after the refill, it rings.
        harness.clock.advance(by: 10_000)
        #expect(await harness.inbox.receive(late) == .accepted("invite"))
        #expect(harness.metrics.counts.withLock { $0.dropped["sender_rate_limited"] } == 15)
        // Redelivered invites the ledger has cost nothing.
        #expect(await harness.inbox.receive(events[0]) == .duplicate)
    }
}

/// An invite rings from when it was sent: one held up for days (a relay after downtime, or a replay)
/// arrives as a missed call, and rings nowhere.
@Suite struct StaleInviteTests {
    @Test func anInviteOlderThanTheRingWindowArrivesAsMissed() async throws {
        let harness = try await InviteInboxTests.Harness()
        let now = harness.clock.now
        let ringWindow = harness.store.settings.ringWindow
        func invite(_ room: String, sentAt seconds: Int64) throws -> NostrEvent {
            try InviteWire.event(
                .roomInvite(.init(roomCode: room, joinURL: "https://ada.example/calls?room=\(room)&token=t", hostName: "Ada")),
                wire: .nip17, from: harness.ada, to: harness.me.publicKey, now: seconds
            )
        }
        let old = try invite("old", sentAt: now / 1000 - 3 * 86_400)
        let slowClock = try invite("skewed", sentAt: now / 1000 - 90)  // a sender whose clock is 90 s behind
        let fresh = try invite("fresh", sentAt: now / 1000)
        for event in [old, slowClock, fresh] { #expect(await harness.inbox.receive(event) == .accepted("invite")) }
        let calls = try await harness.store.read { db in
            try IncomingCallRecord.fetchAll(db, sql: "SELECT * FROM incoming_calls ORDER BY room_code")
        }
        let status = Dictionary(uniqueKeysWithValues: calls.map { ($0.roomCode, $0.status(now: now, ringWindow: ringWindow)) })
        #expect(status == ["old": .missed, "skewed": .ringing, "fresh": .ringing])
        // What rings is what the bell and the push dispatcher see.
        let ringing = try await harness.store.read { db in try Queries.ringing(now: now, ringWindow: ringWindow, in: db) }
        #expect(Set(ringing.map(\.roomCode)) == ["skewed", "fresh"])
        #expect(calls.first { $0.roomCode == "old" }?.sentAt == (now / 1000 - 3 * 86_400) * 1000)
    }
}

/// Answers are bound to the call they answer: one older than the call is a replay of an answer to an
/// earlier call into the same room, and changes nothing.
@Suite struct AnswerReplayTests {
    @Test func aCancelOlderThanTheCallItWouldWithdrawIsIgnored() async throws {
        let harness = try await InviteInboxTests.Harness()
        let now = harness.clock.now / 1000
        func event(_ envelope: CrowEnvelope, at seconds: Int64) throws -> NostrEvent {
            try InviteWire.event(envelope, wire: .nip17, from: harness.ada, to: harness.me.publicKey, now: seconds)
        }
        // Ada called into room "again" an hour ago and cancelled; the cancel was recorded by a relay.
        let oldCancel = try event(.callCancelled(roomCode: "again"), at: now - 3600)
        // Now she calls into the same room again.
        let invite = CrowEnvelope.roomInvite(.init(roomCode: "again", joinURL: "https://ada.example/calls?room=again&token=t2", hostName: "Ada"))
        #expect(await harness.inbox.receive(try event(invite, at: now)) == .accepted("invite"))
        // The old cancel, replayed, does not withdraw the new call.
        #expect(await harness.inbox.receive(oldCancel) == .dropped("stale_answer"))
        #expect(try await harness.status(room: "again") == .ringing)
        // A cancel sent after the call withdraws it; sent again, it is a duplicate.
        let cancel = try event(.callCancelled(roomCode: "again"), at: now)
        #expect(await harness.inbox.receive(cancel) == .accepted("cancel"))
        #expect(try await harness.status(room: "again") == .missed)
        #expect(await harness.inbox.receive(cancel) == .duplicate)
        // After a restart the memory of ids is empty; the ledger still makes the replay a duplicate.
        let restarted = try await InviteInboxTests.Harness(sharing: harness)
        #expect(await restarted.inbox.receive(cancel) == .duplicate)
    }
}
