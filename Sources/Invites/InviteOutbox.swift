public import CallStore
import Foundation
public import Ledger
public import Logging
import Nostr
public import OwnerStore
import Projections
public import ServiceLifecycle

/// Delivers queued invites (`invite.requested`): publishes each invite's signed events to the contact's
/// relays and the configured ones, records the relays' answers (`invite.sent`), retries with backoff
/// while no relay has taken it, and gives up with a reason (`invite.failed`).
///
/// The queue is the ledger: the worker reads the pending invites from the projection, whoever queued
/// them (the API, or `crow-calls mcp` in another process), so a crash at any point loses nothing. A
/// publish repeated after a crash sends the same signed event, which relays and the receiver treat as
/// the one they have. An invite for a room that has ended is cancelled instead of sent.
public struct InviteOutbox: Service {
    let store: CallStore
    let owners: OwnerStore
    /// The gateway's own relays (configured and saved in the panel), read for every round.
    let directory: RelayDirectory
    let publisher: any InvitePublishing
    let logger: Logger
    /// Publish rounds before an invite is given up (about a minute with the backoff below).
    var maxAttempts = 6
    /// How long to wait between checks when nothing new happens.
    var idle: Duration = .seconds(1)
    /// Between rounds for one invite: 1, 2, 4, 8, 16 s, give or take a quarter, so that invites to
    /// relays that came back are not all sent at once.
    var retry = Backoff(base: .seconds(1), cap: .seconds(16), jitter: 0.25)

    /// When each pending invite may be tried again, and how often it was tried (in memory: a restart
    /// starts the count again, which only means a few more tries).
    struct Schedule {
        var attempts = 0
        var dueAt: Int64 = 0
    }

    public init(
        store: CallStore,
        owners: OwnerStore,
        directory: RelayDirectory,
        publisher: any InvitePublishing,
        logger: Logger,
        maxAttempts: Int = 6,
        idle: Duration = .seconds(1),
        retry: Backoff = Backoff(base: .seconds(1), cap: .seconds(16), jitter: 0.25)
    ) {
        self.store = store
        self.owners = owners
        self.directory = directory
        self.publisher = publisher
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.idle = idle
        self.retry = retry
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var schedule: [String: Schedule] = [:]
            var seen = store.feed.head
            while !Task.isCancelled {
                let now = store.settings.clock()
                let pending = (try? await store.read { db in try Queries.pendingInvites(limit: 50, in: db) }) ?? []
                schedule = schedule.filter { id, _ in pending.contains { $0.inviteId == id } }
                for invite in pending where (schedule[invite.inviteId]?.dueAt ?? 0) <= now {
                    if Task.isCancelled { break }
                    var entry = schedule[invite.inviteId] ?? Schedule()
                    entry.attempts += 1
                    let finished = await deliver(invite, attempt: entry.attempts)
                    if finished {
                        schedule[invite.inviteId] = nil
                    } else {
                        entry.dueAt = store.settings.clock() + retry.delayMilliseconds(afterFailures: entry.attempts)
                        schedule[invite.inviteId] = entry
                    }
                }
                // Sleep until something is appended (a new invite) or the next check.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let feed = store.feed
                    let after = seen
                    group.addTask { await feed.wait(beyond: after) }
                    group.addTask { try await Task.sleep(for: idle) }
                    _ = try await group.next()
                    group.cancelAll()
                }
                seen = store.feed.head
            }
        }
    }

    /// One publish round for one invite. True when the invite is settled (sent, failed or cancelled).
    func deliver(_ invite: OutgoingInviteRecord, attempt: Int) async -> Bool {
        let id = invite.inviteId
        do {
            let (events, roomLive) = try await store.read { db -> ([NostrEvent], Bool) in
                let requested = try EventReader.firstEvent(ofType: InviteRequested.eventType, inStream: StreamName.invite(id), in: db)
                var events: [NostrEvent] = []
                if case .inviteRequested(let payload)? = requested?.event {
                    events = payload.nostrEvents.compactMap { NostrEvent.parse($0.jsonText) }
                }
                let live = try Queries.room(invite.roomCode, in: db)?.isLive ?? false
                return (events, live)
            }
            guard roomLive else {
                try await store.cancelOutgoingInvite(id)
                logger.info("invite cancelled: its room ended before delivery", metadata: ["invite": "\(id)"])
                return true
            }
            let contactRelays = (try? await owners.contact(pubkey: invite.contactPubkey))?.relays ?? []
            let targets = Array(Set(contactRelays + directory.current)).sorted()
            guard !targets.isEmpty, !events.isEmpty else {
                let reason =
                    events.isEmpty
                    ? "the invite holds no event to send" : "no relay to send to: the contact lists none and the gateway has none of its own (CROW_NOSTR_RELAYS or the panel's settings)"
                try await store.recordInviteFailed(id, relays: [], attempts: attempt, reason: reason)
                logger.notice("invite failed", metadata: ["invite": "\(id)", "reason": "\(reason)"])
                return true
            }
            let outcomes = await publisher.publish(events, to: targets)
            if outcomes.contains(where: \.ok) {
                try await store.recordInviteSent(id, relays: outcomes, attempts: attempt)
                logger.info("invite sent", metadata: ["invite": "\(id)", "relays": "\(outcomes.filter(\.ok).count)/\(outcomes.count)"])
                return true
            }
            if attempt >= maxAttempts {
                try await store.recordInviteFailed(id, relays: outcomes, attempts: attempt, reason: "no relay accepted the invite")
                logger.notice("invite failed: no relay accepted it", metadata: ["invite": "\(id)", "attempts": "\(attempt)"])
                return true
            }
            return false
        } catch {
            // The ledger refused or did not answer (another worker recorded it first, or a conflict):
            // check again on the next round.
            logger.debug("invite delivery round failed", metadata: ["invite": "\(id)", "error": "\(error)"])
            return false
        }
    }
}
