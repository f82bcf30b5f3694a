import CallSimulation
import CallStore
import Logging
import Nostr
import Synchronization
import TestSupport
import Testing

@testable import Invites
@testable import Ledger

/// The room-end notifier following a real ledger: what it puts on the answer queue when a room ends.
@Suite struct RoomEndNotifierLedgerTests {
    /// An invite for `contact` whose signed event is a stand-in: the notifier never reads it.
    static func draft(_ contact: NostrPublicKey) -> CallStore.InviteDraft {
        CallStore.InviteDraft(contactPubkey: contact.hex, transport: .nip17) { _, _ in
            [.object(["kind": .number(1059), "content": .string("stand-in"), "tags": .array([.array([.string("p"), .string(contact.hex)])])])]
        }
    }

    /// Ending a room sends `room_closed` once to each invitee whose invite reached a relay, and to none
    /// whose invite never did (still queued, or failed).
    @Test func anEndedRoomIsAnnouncedOnceToEachInviteeItReached() async throws {
        let dir = try TemporaryDirectory()
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        let store = try CallStore(ledger: LedgerConfiguration(path: dir.file("ledger.sqlite"), clock: clock.function), settings: CallSettings(clock: clock.function))
        defer { try? store.close() }
        let (ada, bob, dan, carol) = (
            NostrSecretKey.generate().publicKey, NostrSecretKey.generate().publicKey, NostrSecretKey.generate().publicKey,
            NostrSecretKey.generate().publicKey
        )
        let reached = [RelayOutcome(url: "wss://relay.example", ok: true)]

        // One room, three invites: Ada's reached a relay, Bob's is still queued, Dan's failed.
        let room = try await store.createRoom(hostName: "Owner", createdBy: .panel, guest: .init(label: "Ada", invite: Self.draft(ada)))
        try await store.recordInviteSent(try #require(room.guest?.inviteId), relays: reached, attempts: 1)
        _ = try await store.issueGuestToken(room: room.code, guest: .init(label: "Bob", invite: Self.draft(bob)))
        let danInvite = try await store.issueGuestToken(room: room.code, guest: .init(label: "Dan", invite: Self.draft(dan))).inviteId
        try await store.recordInviteFailed(
            try #require(danInvite), relays: [RelayOutcome(url: "wss://relay.example", ok: false, message: "blocked")], attempts: 6,
            reason: "no relay accepted the invite"
        )
        // A second room whose invite to Carol reached a relay: its end comes after, and marks where
        // the first room's answers stop.
        let later = try await store.createRoom(hostName: "Owner", createdBy: .panel, guest: .init(label: "Carol", invite: Self.draft(carol)))
        try await store.recordInviteSent(try #require(later.guest?.inviteId), relays: reached, attempts: 1)

        var logger = Logger(label: "room-end-test")
        logger.logLevel = .critical
        let queue = AnswerSender.Queue()
        let notifier = Task { try await RoomEndNotifier(store: store, answers: queue, logger: logger).run() }
        let answers = Mutex<[AnswerSender.Answer]>([])
        let collector = Task { for await answer in queue.stream { answers.withLock { $0.append(answer) } } }
        defer {
            notifier.cancel()
            collector.cancel()
        }
        // The notifier follows from the head it read at start: it must be waiting before a room ends.
        try await waitUntil("the notifier follows the ledger") { store.feed.waiterCount == 1 }

        try await store.endRoom(room.code, reason: .closed)
        try await store.endRoom(later.code, reason: .closed)
        try await waitUntil("Carol is told her room closed") { answers.withLock { $0.contains { $0.recipient == carol } } }

        let sent = answers.withLock { $0 }
        #expect(sent.map(\.recipient) == [ada, carol])
        #expect(sent.map(\.envelope) == [.roomClosed(roomCode: room.code), .roomClosed(roomCode: later.code)])
        #expect(sent.allSatisfy { $0.joinURL == nil })
        notifier.cancel()
        _ = await notifier.result
    }
}
