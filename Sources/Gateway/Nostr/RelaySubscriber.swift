import Foundation
import HummingbirdWSClient
import Logging
import Nostr
import ServiceLifecycle

/// Listens on the configured relays (`CROW_NOSTR_RELAYS`) for events addressed to this gateway — kind 4
/// (Crow's invites) and kind 1059 (gift wraps) with its key in a `p` tag — and hands each to the inbox.
/// One connection per relay, each in its own child task; a dropped connection is opened again after a
/// backoff with jitter (1 s doubling to 60 s), and the subscription is sent again.
///
/// Gift wraps carry times up to two days in the past, so the subscription always asks for the last two
/// days and a margin. Events seen before are dropped by the inbox (by id, and the ledger refuses a
/// second `invite.received`), so asking again after a restart never rings twice.
struct RelaySubscriber: Service {
    let relays: [String]
    let identity: NostrPublicKey
    let inbox: InviteInbox
    let health: RelayHealth
    let logger: Logger
    /// How far back every subscription reaches: the gift-wrap back-dating plus an hour.
    var lookback: Int64 = NIP59.maxBackdate + 3600

    func run() async throws {
        // A service that returns early would stop the whole group: with nothing to follow, it waits.
        guard !relays.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for relay in relays {
                    group.addTask { await follow(relay) }
                }
            }
        }
    }

    /// Keeps one relay's subscription open until the task is cancelled.
    func follow(_ relay: String) async {
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            defer { health.set(relay, subscribed: false) }
            do {
                try await subscribe(relay)
            } catch {
                if Task.isCancelled { return }
                logger.notice("[nostr] relay connection ended", metadata: ["relay": "\(relay)", "error": "\(error)"])
            }
            // A connection that lasted a minute counts as healthy: start the backoff again.
            failures = ContinuousClock.now - started > .seconds(60) ? 1 : failures + 1
            let base = min(60.0, pow(2.0, Double(min(failures, 6)) - 1))
            try? await Task.sleep(for: .milliseconds(Int(base * 1000 * Double.random(in: 0.75...1.25))))
        }
    }

    func subscribe(_ relay: String) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = RelayMessage.maxBytes
        configuration.autoPing = .enabled(timePeriod: .seconds(30))
        let since = NostrTime.now() - lookback
        let request = RelayMessage.request(
            subscription: "crow-inbox",
            filters: [RelayMessage.Filter(kinds: [4, NIP59.giftWrapKind], pTags: [identity.hex], since: since)]
        )
        let inbox = self.inbox
        let health = self.health
        let logger = self.logger
        _ = try await WebSocketClient.connect(url: relay, configuration: configuration, logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(request.json()))
            logger.info("[nostr] Subscribed", metadata: ["relay": "\(relay)"])
            health.set(relay, subscribed: true)
            for try await message in inbound.messages(maxSize: RelayMessage.maxBytes) {
                guard case .text(let text) = message, let parsed = RelayMessage.parse(text, fromRelay: true) else { continue }
                switch parsed {
                case .event("crow-inbox", let event):
                    _ = await inbox.receive(event)
                case .closed("crow-inbox", let reason):
                    logger.notice("[nostr] relay closed the subscription", metadata: ["relay": "\(relay)", "reason": "\(reason.prefix(200))"])
                    return
                default:
                    continue
                }
            }
        }
    }
}
