import CallStore
import Decisions
import Foundation
import Ledger
import Logging
import Nostr
import OwnerStore
import Projections
import Synchronization
import GRDB

/// Where incoming Nostr events end: the `/nostr` endpoint and the relay subscriptions hand each event
/// here. The receive rules (`InviteIntake`) decide; then an invite becomes `invite.received`, a caller's
/// `room_closed` or `call_cancelled` turns its ringing call into a missed one, and a callee's
/// `call_declined` or `call_busy` shows on the outgoing invite.
///
/// Duplicates are dropped twice over: a small memory of recent event ids skips the cryptography for an
/// event that arrives again from another relay, and the ledger refuses a second `invite.received` for
/// the same Nostr event (`duplicate_invite`), so a restart never rings twice.
final class InviteInbox: Sendable {
    enum Outcome: Sendable, Equatable {
        case accepted(String)
        case duplicate
        case dropped(String)
        /// The event was fine but could not be recorded (the ledger refused the write): the sender is
        /// told so, and the id is not remembered, so a redelivery gets another chance.
        case failed(String)

        /// The NIP-01 `OK` for the sender: accepted, with a reason prefix the protocol knows otherwise.
        var okMessage: (Bool, String) {
            switch self {
            case .accepted: return (true, "")
            case .duplicate: return (true, "duplicate: already received")
            case .dropped(let reason): return (false, "blocked: \(reason)")
            case .failed(let reason): return (false, "error: \(reason)")
            }
        }
    }

    let store: CallStore
    let owners: OwnerStore
    let identity: NostrSecretKey
    let metrics: GatewayMetrics
    let logger: Logger
    private let recent = Mutex<RecentIDs>(RecentIDs(capacity: 4096))

    init(store: CallStore, owners: OwnerStore, identity: NostrSecretKey, metrics: GatewayMetrics, logger: Logger) {
        self.store = store
        self.owners = owners
        self.identity = identity
        self.metrics = metrics
        self.logger = logger
    }

    func receive(_ event: NostrEvent) async -> Outcome {
        let outcome = await process(event)
        switch outcome {
        case .accepted(let kind): metrics.nostrEvent(accepted: true, label: kind)
        case .duplicate: metrics.nostrEvent(accepted: false, label: "duplicate")
        case .dropped(let reason), .failed(let reason):
            metrics.nostrEvent(accepted: false, label: reason)
            // The id only: the content is someone else's, and may be hostile.
            logger.debug("nostr event dropped", metadata: ["id": "\(event.id.prefix(64))", "reason": "\(reason)"])
        }
        return outcome
    }

    private func process(_ event: NostrEvent) async -> Outcome {
        if recent.withLock({ $0.contains(event.id) }) { return .duplicate }
        // One lookup by key, and only for an event that passed the checks that need none.
        let owners = self.owners
        var lookupFailed = false
        let intake = await InviteIntake.open(event, me: identity, now: store.settings.clock() / 1000) { key in
            do {
                return try await owners.contact(pubkey: key) != nil
            } catch {
                lookupFailed = true
                return false
            }
        }
        let opened: InviteIntake.Opened
        switch intake {
        case .success(let value): opened = value
        case .failure where lookupFailed: return .failed("storage_error")
        case .failure(let drop): return .dropped(drop.rawValue)
        }
        let sender = opened.sender.hex
        let outcome: Outcome
        do {
            switch opened.envelope {
            case .roomInvite(let invite):
                let now = store.settings.clock()
                try await store.receiveInvite(
                    InviteDecisions.Received(
                        inviteId: Secrets.identifier(),
                        nostrEventId: event.id,
                        senderPubkey: sender,
                        senderName: invite.hostName,
                        room: invite.roomCode,
                        joinUrl: invite.joinURL,
                        sentAt: min(NostrTime.milliseconds(opened.sentAt), now),
                        receivedAt: now
                    )
                )
                outcome = .accepted("invite")
            case .roomClosed(let room), .callCancelled(let room):
                let calls = try await store.read { db in
                    try IncomingLookup.incomingCalls(sender: sender, room: room, in: db)
                }
                // A call that can no longer be withdrawn (answered, already missed) is refused by the
                // decision, and that is fine; a write the ledger refused is not, and fails the event.
                for id in calls {
                    do { try await store.recordRemoteCancelled(id, reason: "caller") } catch .rejected { continue }
                }
                outcome = calls.isEmpty ? .dropped("no_such_call") : .accepted("cancel")
            case .callDeclined(let room), .callBusy(let room):
                let busy = if case .callBusy = opened.envelope { true } else { false }
                let invites = try await store.read { db in
                    try Queries.outgoingInvites(room: room, in: db).filter { $0.contactPubkey == sender && $0.state.isOpen }.map(\.inviteId)
                }
                for id in invites {
                    do { try await store.recordRemoteDeclined(id, busy: busy) } catch .rejected { continue }
                }
                outcome = invites.isEmpty ? .dropped("no_such_invite") : .accepted(busy ? "busy" : "decline")
            }
        } catch .rejected(.duplicateInvite) {
            outcome = .duplicate
        } catch {
            // Not remembered: the same event from another relay, or again later, gets another chance.
            return .failed("storage_error")
        }
        // Remembered only once the ledger has it (or had it), so a failed write never loses an invite.
        recent.withLock { $0.insert(event.id) }
        return outcome
    }

    /// Event ids seen lately, oldest forgotten first.
    struct RecentIDs {
        let capacity: Int
        var order: [String] = []
        var set: Set<String> = []

        func contains(_ id: String) -> Bool { set.contains(id) }

        mutating func insert(_ id: String) {
            guard set.insert(id).inserted else { return }
            order.append(id)
            if order.count > capacity {
                set.remove(order.removeFirst())
            }
        }
    }
}

private enum IncomingLookup {
    /// The ids of incoming calls from `sender` for its room `room` that can still be withdrawn.
    static func incomingCalls(sender: String, room: String, in db: GRDB.Database) throws -> [String] {
        try String.fetchAll(
            db,
            sql: "SELECT invite_id FROM incoming_calls WHERE sender_pubkey = ? AND room_code = ?",
            arguments: [sender, room]
        )
    }
}
