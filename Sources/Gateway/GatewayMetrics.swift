import CallStore
import Ledger
import Projections
import Prometheus

/// The gateway's Prometheus registry. Ledger and occupancy figures are read when scraped, so they are
/// always current and cost nothing between scrapes.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let store: CallStore
    private let events: Gauge
    private let transactions: Gauge
    private let appends: Gauge
    private let refused: Gauge
    private let rooms: Gauge
    private let peers: Gauge

    init(store: CallStore) {
        self.store = store
        events = registry.makeGauge(name: "crow_ledger_head_position", help: "Position of the last event in the ledger")
        transactions = registry.makeGauge(
            name: "crow_ledger_transactions",
            help: "Append transactions committed since start (group commit)"
        )
        appends = registry.makeGauge(name: "crow_ledger_appends", help: "Appends acknowledged since start")
        refused = registry.makeGauge(name: "crow_ledger_appends_refused", help: "Appends refused since start (conflicts)")
        rooms = registry.makeGauge(name: "crow_rooms_live", help: "Rooms currently open")
        peers = registry.makeGauge(name: "crow_peers_present", help: "Participants currently in rooms")
    }

    func render() async throws -> String {
        let (head, live, present) = try await store.read { db in
            (
                try EventReader.headPosition(in: db),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rooms WHERE state = 'live'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_peers") ?? 0
            )
        }
        let statistics = store.ledger.statistics
        events.set(Double(head))
        transactions.set(Double(statistics.transactions))
        appends.set(Double(statistics.appends))
        refused.set(Double(statistics.refused))
        rooms.set(Double(live))
        peers.set(Double(present))
        return registry.emitToString()
    }
}
