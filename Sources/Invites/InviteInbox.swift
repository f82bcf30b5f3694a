public import CallStore
import CrowSecurity
import Decisions
import Foundation
import Ledger
public import Logging
public import Nostr
public import OwnerStore
import Projections
import Synchronization

/// Where incoming Nostr events end: the `/nostr` endpoint and the relay subscriptions hand each event
/// here. The receive rules (`InviteIntake`) decide; then an invite becomes `invite.received`, a caller's
/// `room_closed` or `call_cancelled` turns its ringing call into a missed one, and a callee's
/// `call_declined` or `call_busy` shows on the outgoing invite.
///
/// Duplicates are dropped twice over: a small memory of recent event ids skips the cryptography for an
/// event that arrives again from another relay, and the ledger refuses a second `invite.received` for
/// the same Nostr event (`duplicate_invite`), so a restart never rings twice.
///
/// Work is bounded for strangers too. An event whose own signature held and that was dropped later (a
/// stranger's gift wrap, a seal that does not verify, an envelope that does not parse) is remembered
/// with its reason and dropped again without the work. And the signature and decryption work as a
/// whole has a budget per second (`workPerSecond`, with a burst of twice that): past it, events are
/// answered `rate-limited:` and not remembered, so a sender that was only unlucky can send again.
public final class InviteInbox: Sendable {
    public enum Outcome: Sendable, Equatable {
        case accepted(String)
        case duplicate
        case dropped(String)
        /// The work budget is spent for now: try again later.
        case busy
        /// The event was fine but could not be recorded (the ledger refused the write): the sender is
        /// told so, and the id is not remembered, so a redelivery gets another chance.
        case failed(String)

        /// The NIP-01 `OK` for the sender: accepted, with a reason prefix the protocol knows otherwise.
        public var okMessage: (Bool, String) {
            switch self {
            case .accepted: return (true, "")
            case .duplicate: return (true, "duplicate: already received")
            case .dropped(let reason): return (false, "blocked: \(reason)")
            case .failed(let reason): return (false, "error: \(reason)")
            case .busy: return (false, "rate-limited: busy, try again later")
            }
        }
    }

    public let store: CallStore
    public let owners: OwnerStore
    public let identity: NostrSecretKey
    public let metrics: any InviteMetrics
    public let logger: Logger
    private let recent = Mutex<RecentIDs>(RecentIDs(capacity: 4096))
    /// Ids of signed events dropped after their signature held, with the reason.
    private let refused = Mutex<RecentIDs>(RecentIDs(capacity: 4096))
    private let work: Mutex<RateBucket>
    private let senders: Mutex<SenderBudget>

    public init(
        store: CallStore,
        owners: OwnerStore,
        identity: NostrSecretKey,
        metrics: any InviteMetrics,
        logger: Logger,
        workPerSecond: Double = 200,
        senderBudget: SenderBudget = SenderBudget()
    ) {
        self.store = store
        self.owners = owners
        self.identity = identity
        self.metrics = metrics
        self.logger = logger
        work = Mutex(RateBucket(rate: workPerSecond, burst: max(1, workPerSecond * 2), now: store.settings.clock()))
        senders = Mutex(senderBudget)
    }

    public func receive(_ event: NostrEvent) async -> Outcome {
        let outcome = await process(event)
        switch outcome {
        case .accepted(let kind): metrics.nostrEvent(accepted: true, label: kind)
        case .duplicate: metrics.nostrEvent(accepted: false, label: "duplicate")
        case .busy:
            metrics.nostrEvent(accepted: false, label: InviteIntake.Drop.busy.rawValue)
        case .dropped(let reason), .failed(let reason):
            metrics.nostrEvent(accepted: false, label: reason)
            // The id only: the content is someone else's, and may be hostile.
            logger.debug("nostr event dropped", metadata: ["id": "\(event.id.prefix(64))", "reason": "\(reason)"])
        }
        return outcome
    }

    private func process(_ event: NostrEvent) async -> Outcome {
        if recent.withLock({ $0.contains(event.id) }) { return .duplicate }
        if let reason = refused.withLock({ $0.reason(for: event.id) }) { return .dropped(reason) }
        // One lookup by key, and only for an event that passed the checks that need none.
        let owners = self.owners
        let now = store.settings.clock()
        var lookupFailed = false
        let admit = { [self] in
            guard work.withLock({ $0.take(now: now) }) else { return false }
            metrics.nostrWork()
            return true
        }
        let intake = await InviteIntake.open(event, me: identity, now: now / 1000, admitWork: admit) { key in
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
        case .failure(.busy): return .busy
        case .failure(let drop):
            if drop.isAfterSignature { refused.withLock { $0.insert(event.id, reason: drop.rawValue) } }
            return .dropped(drop.rawValue)
        }
        let sender = opened.sender.hex
        let outcome: Outcome
        do {
            switch opened.envelope {
            case .roomInvite(let invite):
                // An invite the ledger has (a relay's redelivery after a restart) costs no budget.
                let eventId = event.id
                if try await store.read({ db in try Queries.incomingCall(nostrEventId: eventId, in: db) != nil }) {
                    recent.withLock { $0.insert(event.id) }
                    return .duplicate
                }
                // Not remembered: the same invite may come again once the sender's budget refills.
                guard senders.withLock({ $0.take(sender, now: now) }) else { return .dropped("sender_rate_limited") }
                let sentAt = min(NostrTime.milliseconds(opened.sentAt), now)
                try await store.receiveInvite(
                    InviteReceived(
                        inviteId: Secrets.orderedIdentifier(now: now),
                        nostrEventId: event.id,
                        senderPubkey: sender,
                        senderName: invite.hostName,
                        room: invite.roomCode,
                        joinUrl: invite.joinURL,
                        sentAt: sentAt,
                        receivedAt: Self.ringsFrom(sentAt: sentAt, arrivedAt: now)
                    )
                )
                outcome = .accepted("invite")
            case .roomClosed(let room), .callCancelled(let room):
                let answeredAt = NostrTime.milliseconds(opened.sentAt)
                switch try await store.withdrawIncoming(from: sender, room: room, answeredAt: answeredAt) {
                case .applied: outcome = .accepted("cancel")
                case .duplicate: outcome = .duplicate
                case .stale: return .dropped("stale_answer")
                case .noSuchCall: outcome = .dropped("no_such_call")
                }
            case .callDeclined(let room), .callBusy(let room):
                let busy = if case .callBusy = opened.envelope { true } else { false }
                let answeredAt = NostrTime.milliseconds(opened.sentAt)
                switch try await store.recordAnswer(from: sender, room: room, busy: busy, answeredAt: answeredAt, clockSkew: Self.clockSkew) {
                case .applied: outcome = .accepted(busy ? "busy" : "decline")
                case .duplicate: outcome = .duplicate
                case .stale: return .dropped("stale_answer")
                case .noSuchCall: outcome = .dropped("no_such_invite")
                }
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

    /// How far the sender's clock may be behind ours before its invites ring for less than the window.
    public static let clockSkew: Int64 = 120_000

    /// When an invite starts ringing, recorded as its `receivedAt`: when it arrived, unless it was sent
    /// well before that (a relay handing it over after downtime, or a replay of an old invite). Then it
    /// rings from when it was sent, give or take `clockSkew`, so an invite older than the ring window
    /// arrives as missed: no toast, no ringing push, only the missed call.
    public static func ringsFrom(sentAt: Int64, arrivedAt: Int64) -> Int64 {
        min(arrivedAt, saturating(sentAt, plus: clockSkew))
    }

    /// `a + b` for `b >= 0`, stopping at `Int64.max` (a time from a sender must never trap).
    public static func saturating(_ a: Int64, plus b: Int64) -> Int64 { a.saturatingAdd(b) }

    /// Event ids seen lately, each with a note (the drop reason, or empty), oldest forgotten first.
    struct RecentIDs {
        let capacity: Int
        var order: [String] = []
        var notes: [String: String] = [:]

        func contains(_ id: String) -> Bool { notes[id] != nil }

        func reason(for id: String) -> String? { notes[id] }

        mutating func insert(_ id: String, reason: String = "") {
            guard notes.updateValue(reason, forKey: id) == nil else { return }
            order.append(id)
            if order.count > capacity {
                notes[order.removeFirst()] = nil
            }
        }
    }
}
