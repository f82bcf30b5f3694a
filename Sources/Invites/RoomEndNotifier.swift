public import CallStore
import Ledger
public import Logging
import Nostr
import Projections
public import ServiceLifecycle

/// Tells invitees when one of the owner's rooms ends: for every `room.ended` in the ledger (closed by
/// the owner, emptied, or expired), each invite of that room that reached a relay gets a `room_closed`
/// message, so the callee's ringing call turns into a missed one instead of ringing into an empty room.
///
/// It follows the ledger from where it stood at start: a room that ended while the gateway was down is
/// not announced (the callee's call rings out on its own within the ring window).
public struct RoomEndNotifier: Service {
    let store: CallStore
    let answers: AnswerSender.Queue
    let logger: Logger

    public init(
        store: CallStore,
        answers: AnswerSender.Queue,
        logger: Logger
    ) {
        self.store = store
        self.answers = answers
        self.logger = logger
    }

    public func run() async throws {
        // From the head (see above: a room that ended while the gateway was down is not announced).
        let follower = FeedFollower(feed: store.feed, start: .head) { error, _ in
            logger.error("reading the ledger for ended rooms failed; retrying", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            _ = await follower.run { events, position in
                try await Self.handle(events, position: &position, announce: announce)
            }
        }
    }

    /// Announces each ended room among `events`, in order. `position` moves past an event only once it
    /// was handled, so a failure leaves that event and the rest of the batch to the retry, which starts
    /// from `position` again.
    static func handle(_ events: [RecordedEvent], position: inout Int64, announce: (String) async throws -> Void) async throws {
        for event in events {
            if case .roomEnded(let ended) = event.event { try await announce(ended.room) }
            position = event.position
        }
    }

    func announce(_ room: String) async throws {
        let invites = try await store.read { db in try Queries.outgoingInvites(room: room, in: db) }
        // Ending a room cancels its open invites in the same append, so a delivered one reads `cancelled`
        // here, with the relays that took it still counted.
        for invite in invites where invite.relaysOk > 0 && (invite.state == .sent || invite.state == .cancelled) {
            guard let recipient = NostrPublicKey(invite.contactPubkey) else { continue }
            answers.enqueue(AnswerSender.Answer(recipient: recipient, envelope: .roomClosed(roomCode: room)))
        }
    }
}
