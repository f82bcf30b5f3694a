import CallStore
import Foundation
import Hummingbird
import Invites
import Ledger
import Projections

/// `/healthz` (the process answers), `/readyz` (the ledger answers), `/metrics` (Prometheus text).
struct HealthController: Sendable {
    let store: CallStore
    let metrics: GatewayMetrics
    /// The Nostr relays' state, as counts. Reported, never a reason to be unready: calls work without
    /// relays, and a relay down is its operator's problem, not the gateway's.
    let relays: RelayHealth

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: .init(string: "ok\n")))
        }
        router.get("readyz") { _, _ -> Response in
            do {
                let position = try await store.read { db in try EventReader.headPosition(in: db) }
                let counts = relays.counts
                let body = try JSONBody.encode(
                    Ready(ledgerPosition: position, relays: counts.configured == 0 ? nil : RelayCounts(configured: counts.configured, subscribed: counts.subscribed))
                )
                return Self.json(.ok, String(decoding: body, as: UTF8.self))
            } catch {
                return Self.json(
                    .serviceUnavailable,
                    "{\"error\":{\"code\":\"not_ready\",\"message\":\"the ledger does not answer\"}}"
                )
            }
        }
        router.get("metrics") { _, _ -> Response in
            let text = try await metrics.render()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(string: text))
            )
        }
    }

    /// The answer of `/readyz`.
    struct Ready: Encodable {
        var status = "ready"
        var ledgerPosition: Int64
        /// How many Nostr relays are followed and subscribed. Absent without relays. Counts only: this
        /// route is public, and a relay URL the owner saved may carry credentials (`?auth=…`); the
        /// URLs are on the owner's `/api/nostr/relays`.
        var relays: RelayCounts?
    }

    struct RelayCounts: Encodable {
        var configured: Int
        var subscribed: Int
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(string: body))
        )
    }
}
