import CallStore
import Ledger
import Projections
import Invites
import Prometheus
import PushDelivery
import Signaling

/// The gateway's Prometheus registry. Ledger and occupancy figures are read when scraped, so they are
/// always current and cost nothing between scrapes.
final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let store: CallStore
    private let events: Gauge
    private let transactions: Gauge
    private let appends: Gauge
    private let refused: Gauge
    private let rooms: Gauge
    private let peers: Gauge
    private let relayed: Counter
    private let connections: Gauge
    private let appendLatency: DurationHistogram

    init(store: CallStore) {
        self.store = store
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func gauge(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "crow", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
            )
        }
        events = gauge("ledger", "head", "position", "Position of the last event in the ledger")
        transactions = gauge("ledger", "transactions", "", "Append transactions committed since start (group commit)")
        appends = gauge("ledger", "appends", "", "Appends acknowledged since start")
        refused = gauge("ledger", "appends", "refused", "Appends refused since start (conflicts)")
        rooms = gauge("rooms", "live", "", "Rooms currently open")
        peers = gauge("peers", "present", "", "Participants currently in rooms")
        relayed = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "crow", subsystem: "signaling", metricName: "messages", unitName: "relayed_total",
                helpText: "Signaling messages delivered to a peer"
            )
        )
        connections = gauge("signaling", "connections", "open", "Signaling WebSockets open")
        appendLatency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "crow", subsystem: "ledger", metricName: "append", unitName: "seconds",
                helpText: "Time from a command to its durable append"
            ),
            buckets: [.microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)]
        )
    }

    /// A join refused before the upgrade, by its code (`token_used`, `room_full`, `rate_limited`...).
    func refusedJoin(_ code: String) {
        let safe = code.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "_" } ? code : "other"
        count("joins", "refused_total", "Joins refused before the WebSocket upgrade, by reason", reason: safe)
    }

    func relayedMessage() { relayed.increment() }

    /// A socket closed by the server, by why: `slow_reader` (stopped reading), `flood` (too many frames).
    func socketClosedByServer(_ reason: String) {
        count("sockets", "closed_total", "Signaling sockets the server closed, by reason", reason: reason)
    }

    /// Increments the signaling counter `name` for one `reason` label (the registry keeps one per label).
    private func count(_ name: String, _ unit: String, _ help: String, reason: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "crow", subsystem: "signaling", metricName: name, unitName: unit, helpText: help),
            labels: [("reason", reason)]
        ).increment()
    }

    func slowSocketClosed() { socketClosedByServer("slow_reader") }

    /// The configured relays and how many of them the gateway is subscribed on now.
    func relays(configured: Int, connected: Int) {
        func gauge(_ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "crow", subsystem: "nostr", metricName: "relays", unitName: unit, helpText: help))
        }
        gauge("configured", "The gateway's relays (configured and saved in the panel)").set(Int64(configured))
        gauge("subscribed", "The gateway's relays it is subscribed on now").set(Int64(connected))
    }

    /// An event the inbox began to verify and decrypt (the work its budget bounds).
    func nostrWork() {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "crow", subsystem: "nostr", metricName: "verifications", unitName: "total",
                helpText: "Nostr events whose signature and decryption work the inbox began"
            )
        ).increment()
    }

    /// A Nostr event the inbox took (`kind`: invite, answer) or dropped (`reason`: docs/NOSTR.md).
    func nostrEvent(accepted: Bool, label: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "crow", subsystem: "nostr", metricName: "events", unitName: accepted ? "accepted_total" : "dropped_total",
                helpText: accepted ? "Nostr events the inbox accepted, by what they carried" : "Nostr events the inbox dropped, by reason"
            ),
            labels: [(accepted ? "kind" : "reason", label)]
        ).increment()
    }

    /// A notification send (`channel`: webpush, ntfy) and how it ended (`result`: delivered, gone,
    /// failed).
    func notification(channel: String, result: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "crow", subsystem: "notifications", metricName: "sends", unitName: "total",
                helpText: "Web Push and ntfy sends, by channel and result"
            ),
            labels: [("channel", channel), ("result", result)]
        ).increment()
    }

    func connectionOpened() { connections.increment() }

    func connectionClosed() { connections.decrement() }

    /// Times one command that appends to the ledger.
    func timeAppend<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { observeAppend(since: start) }
        return try await body()
    }

    func observeAppend(since start: ContinuousClock.Instant) {
        appendLatency.record(ContinuousClock.now - start)
    }

    func render() async throws -> String {
        let (head, live, present) = try await store.read { db in
            (
                try EventReader.headPosition(in: db),
                try Queries.liveRoomCount(in: db),
                try Queries.presentPeerCount(in: db)
            )
        }
        let statistics = store.statistics
        events.set(Double(head))
        transactions.set(Double(statistics.transactions))
        appends.set(Double(statistics.appends))
        refused.set(Double(statistics.refused))
        rooms.set(Double(live))
        peers.set(Double(present))
        return registry.emitToString()
    }
}

extension GatewayMetrics: SignalingMetrics, InviteMetrics, DeliveryMetrics {}
