public import CallStore
import Foundation
public import Ledger
public import Logging
import Notify
public import OwnerStore
import Projections
public import ServiceLifecycle
import Synchronization

/// Follows the ledger and tells the owner about incoming calls when no gateway page is open: every
/// `invite.received` that is still ringing becomes a "<Caller> is calling" push to each subscribed
/// browser and to ntfy, and every caller's withdrawal (`invite.cancelled` of an incoming call) a
/// "Missed call" that replaces it.
///
/// Delivery is at least once and deduplicated. The dispatcher keeps its place in the ledger
/// (`notification_cursor`) and, for the event it is working on, which targets took it
/// (`notification_sends`). A restart therefore never sends an old notice again and never skips a
/// pending one; a crash between a target's answer and its record is the one window in which that
/// target can get a notice twice. Each target gets three tries with 1 and 2 s between them, each
/// bounded by the send timeout; a browser whose push service says it is gone is unsubscribed.
///
/// On its first start the dispatcher begins at the ledger's head: calls from before it existed are
/// not announced.
public struct NotificationDispatcher: Service {
    let store: CallStore
    let owners: OwnerStore
    let sender: any NotificationSending
    /// The panel's address as notifications link it (the public address when known, else where the
    /// gateway listens); read per notice, since the owner can change it.
    let panelURL: @Sendable () -> String
    let metrics: any DeliveryMetrics
    let logger: Logger
    /// Each target gets three tries, 1 s and then 2 s apart.
    var retry = Backoff(base: .seconds(1), cap: .seconds(2))
    var tries = 3

    public init(
        store: CallStore,
        owners: OwnerStore,
        sender: any NotificationSending,
        panelURL: @escaping @Sendable () -> String,
        metrics: any DeliveryMetrics,
        logger: Logger,
        retry: Backoff = Backoff(base: .seconds(1), cap: .seconds(2)),
        tries: Int = 3
    ) {
        self.store = store
        self.owners = owners
        self.sender = sender
        self.panelURL = panelURL
        self.metrics = metrics
        self.logger = logger
        self.retry = retry
        self.tries = tries
    }

    public func run() async throws {
        let follower = FeedFollower(feed: store.feed, start: .persisted(NotificationCursor(owners: owners))) { error, _ in
            logger.error("the notification dispatcher failed to read the ledger or its cursor; retrying", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            _ = await follower.run { events, position in
                for event in events {
                    if let notice = try await notice(for: event) {
                        logger.debug("notifying the owner", metadata: ["position": "\(event.position)", "kind": "\(notice.kind.rawValue)"])
                        try await deliver(notice, position: event.position)
                    }
                    if Task.isCancelled { return }
                }
                position = events.last?.position ?? position
            }
        }
        await sender.shutdown()
    }

    /// What to tell the owner about `event`, if anything. A ringing notice is sent only while the
    /// call still rings: after a long stop, an old call is not announced as ringing.
    func notice(for event: RecordedEvent) async throws -> CallNotice? {
        switch event.event {
        case .inviteReceived(let received):
            let now = store.settings.clock()
            let ringWindow = store.settings.ringWindow
            let call = try await store.read { db in try Queries.incomingCall(id: received.inviteId, in: db) }
            guard let call, call.status(now: now, ringWindow: ringWindow) == .ringing else { return nil }
            return CallNotice(kind: .ringing, callId: call.inviteId, callerName: call.senderName, joinURL: call.joinUrl, panelURL: panelURL())
        case .inviteCancelled:
            // Outgoing invites are cancelled too (a room ended before delivery): only incoming calls count.
            let ended = try await store.read { db in try Queries.endedInvite(by: event.event, in: db) }
            guard case .incoming(let call) = ended else { return nil }
            return CallNotice(kind: .missed, callId: call.inviteId, callerName: call.senderName, panelURL: panelURL())
        default:
            return nil
        }
    }

    /// Sends `notice` to every target that has not taken it yet, all at once. Throws when the targets
    /// cannot be read, so that the event is tried again rather than passed over.
    func deliver(_ notice: CallNotice, position: Int64) async throws {
        let done = try await owners.notificationTargetsSent(position: position)
        let subscriptions = try await owners.pushSubscriptions().filter { !done.contains($0.id) }
        let ntfy = sender.ntfyURL != nil && !done.contains("ntfy")
        await withTaskGroup(of: Void.self) { group in
            for subscription in subscriptions {
                group.addTask {
                    let outcome = await attempt { await sender.push(notice, to: subscription) }
                    await settle(outcome, channel: "webpush", target: subscription.id, position: position, subscription: subscription)
                }
            }
            if ntfy {
                group.addTask {
                    let outcome = await attempt { await sender.ntfy(notice) }
                    await settle(outcome, channel: "ntfy", target: "ntfy", position: position, subscription: nil)
                }
            }
        }
    }

    /// One send with its retries.
    func attempt(_ send: () async -> NotificationSender.Outcome) async -> NotificationSender.Outcome {
        var outcome = await send()
        var failures = 1
        while failures < tries, case .retryable = outcome, !Task.isCancelled {
            try? await retry.wait(afterFailures: failures)
            outcome = await send()
            failures += 1
        }
        return outcome
    }

    func settle(_ outcome: NotificationSender.Outcome, channel: String, target: String, position: Int64, subscription: PushSubscriptionRecord?) async {
        if outcome == .delivered { try? await owners.recordNotificationSent(position: position, target: target) }
        await SendBookkeeping(owners: owners, metrics: metrics, logger: logger).record(outcome, channel: channel, subscription: subscription)
    }
}
