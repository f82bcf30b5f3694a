public import Ledger
import Foundation
import HummingbirdWSClient
public import Logging
public import Nostr
public import OwnerStore
public import ServiceLifecycle
import Synchronization

/// Listens on the gateway's relays (the configured ones and those saved in the panel) for events
/// addressed to it — kind 4 (Crow's invites) and kind 1059 (gift wraps) with its key in a `p` tag — and
/// hands each to the inbox. One connection per relay, each in its own child task, opened when a relay
/// is added and closed when it is removed; a dropped connection is opened again after a backoff with
/// jitter (1 s doubling to 60 s), and the subscription is sent again.
///
/// Each relay has a persisted cursor: the moment up to which the relay has delivered everything it had.
/// It is set when the relay marks the end of its stored events, and kept fresh while the subscription
/// stays open. A new subscription asks from the cursor minus two days and an hour, because gift wraps
/// carry times up to two days in the past; it never reaches back more than 30 days, and a relay seen
/// for the first time is asked for the last two days and an hour. Events seen before are dropped by the
/// inbox (by id, and the ledger refuses a second `invite.received`), so asking again never rings twice.
public struct RelaySubscriber: Service {
    let directory: RelayDirectory
    let identity: NostrPublicKey
    let inbox: InviteInbox
    let owners: OwnerStore
    let health: RelayHealth
    let logger: Logger
    /// How far behind a cursor a subscription starts: the gift-wrap back-dating plus an hour.
    static let lookback: Int64 = NIP59.maxBackdate + 3600
    /// The furthest back a subscription ever reaches (a gateway that was off for months).
    static let maxReach: Int64 = 30 * 86_400
    /// How often an open subscription's cursor is written.
    var cursorRefresh: Duration = .seconds(300)
    /// Between connections to one relay: 1 s doubling to 32 s, give or take a quarter.
    var reconnect = Backoff(base: .seconds(1), cap: .seconds(32), jitter: 0.25)

    public init(
        directory: RelayDirectory,
        identity: NostrPublicKey,
        inbox: InviteInbox,
        owners: OwnerStore,
        health: RelayHealth,
        logger: Logger,
        cursorRefresh: Duration = .seconds(300),
        reconnect: Backoff = Backoff(base: .seconds(1), cap: .seconds(32), jitter: 0.25)
    ) {
        self.directory = directory
        self.identity = identity
        self.inbox = inbox
        self.owners = owners
        self.health = health
        self.logger = logger
        self.cursorRefresh = cursorRefresh
        self.reconnect = reconnect
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                var following = Set<String>()
                for await relays in directory.changes() {
                    health.track(relays)
                    following.formIntersection(relays)
                    for relay in relays where !following.contains(relay) {
                        following.insert(relay)
                        group.addTask {
                            // Follows the relay until it is removed from the list or the service stops.
                            await withTaskGroup(of: Void.self) { inner in
                                inner.addTask { await follow(relay) }
                                inner.addTask { await directory.waitUntilRemoved(relay) }
                                await inner.next()
                                inner.cancelAll()
                            }
                        }
                    }
                }
            }
        }
    }

    /// Keeps one relay's subscription open until the task is cancelled.
    func follow(_ relay: String) async {
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await subscribe(relay)
            } catch {
                if !Task.isCancelled {
                    logger.notice("[nostr] relay connection ended", metadata: ["relay": "\(Self.loggable(relay))", "error": "\(error)"])
                }
            }
            health.set(relay, subscribed: false)
            if Task.isCancelled { return }
            // A connection that lasted a minute counts as healthy: start the backoff again.
            failures = ContinuousClock.now - started > .seconds(60) ? 1 : failures + 1
            try? await reconnect.wait(afterFailures: failures)
        }
    }

    /// A relay URL as the log shows it: scheme, host, port and path, without user info, query or
    /// fragment, where a relay's credentials (`?auth=…`) would be.
    static func loggable(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(unparsable relay URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(unparsable relay URL)"
    }

    /// Where a new subscription on a relay starts (Unix seconds): two days and an hour before the cursor
    /// (or before now, for a relay never followed), but never more than 30 days back.
    static func since(cursor: Int64?, now: Int64) -> Int64 {
        max(now - maxReach, min(cursor ?? now, now) - lookback)
    }

    /// One connection: subscribe, hand events to the inbox, keep the cursor, until the relay or the
    /// connection ends it.
    func subscribe(_ relay: String) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = RelayMessage.maxBytes
        configuration.autoPing = .enabled(timePeriod: .seconds(30))
        let cursor = try? await owners.relayCursor(relay)
        let inbox = self.inbox
        let health = self.health
        let logger = self.logger
        let owners = self.owners
        let refresh = cursorRefresh
        _ = try await WebSocketClient.connect(url: relay, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let subscribedAt = NostrTime.now()
            let request = RelayMessage.request(
                subscription: "crow-inbox",
                filters: [
                    RelayMessage.Filter(
                        kinds: [4, NIP59.giftWrapKind],
                        pTags: [identity.hex],
                        since: Self.since(cursor: cursor, now: subscribedAt)
                    )
                ]
            )
            try await outbound.write(.text(request.json()))
            logger.info("[nostr] Subscribed", metadata: ["relay": "\(Self.loggable(relay))"])
            health.set(relay, subscribed: true)
            // Set once the relay has sent everything it stored: from then on, every event reaches the
            // gateway as it arrives, so the cursor may follow the clock.
            let live = CaughtUpFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        try await Task.sleep(for: refresh)
                        if live.isSet {
                            try? await owners.advanceRelayCursor(relay, to: NostrTime.now() - 60)
                        }
                    }
                }
                // The timer lives only as long as the connection.
                defer { group.cancelAll() }
                reading: for try await message in inbound.messages(maxSize: RelayMessage.maxBytes) {
                    guard case .text(let text) = message, let parsed = RelayMessage.parse(text, fromRelay: true) else { continue }
                    switch parsed {
                    case .event("crow-inbox", let event):
                        _ = await inbox.receive(event)
                    case .endOfStoredEvents("crow-inbox"):
                        live.set()
                        try? await owners.advanceRelayCursor(relay, to: subscribedAt)
                    case .closed("crow-inbox", let reason):
                        logger.notice(
                            "[nostr] relay closed the subscription",
                            metadata: ["relay": "\(Self.loggable(relay))", "reason": "\(reason.prefix(200))"]
                        )
                        break reading
                    default:
                        continue
                    }
                }
            }
        }
    }
}

/// Whether a relay has sent all its stored events on the current connection.
private final class CaughtUpFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
