import CallStore
import Foundation
import GRDB
import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import OwnerStore
import TestSupport

/// A gateway configuration for signaling tests: a fresh data directory, port 0, short grace periods.
func signalingConfiguration(_ dir: TemporaryDirectory, grace: Int64 = 1_500) -> GatewayConfiguration {
    var configuration = GatewayConfiguration()
    configuration.port = 0
    configuration.dataDirectory = dir.path
    configuration.resumeGrace = grace
    configuration.signalingTick = .milliseconds(100)
    return configuration
}

/// A second handle on the gateway's ledger file, for setting up rooms and reading what was recorded.
func sideStore(_ configuration: GatewayConfiguration, clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds) throws -> CallStore {
    try CallStore(
        ledger: LedgerConfiguration(path: configuration.ledgerPath),
        settings: CallSettings(peerLimit: configuration.maxPeers, clock: clock)
    )
}

/// A new owner API token for the gateway's data directory, made as `crow-calls api-token create` makes one.
func ownerAPIToken(_ configuration: GatewayConfiguration, label: String = "tests") async throws -> String {
    let owners = OwnerStore(ledger: try CallStore.openLedger(LedgerConfiguration(path: configuration.ledgerPath)))
    defer { try? owners.close() }
    return try await owners.createOwnerAPIToken(label: label).secret
}

/// The headers of a WebSocket upgrade request, for checking refusals with a plain HTTP client.
let upgradeHeaders: HTTPFields = [
    .connection: "Upgrade",
    .upgrade: "websocket",
    HTTPField.Name("Sec-WebSocket-Key")!: "dGhlIHNhbXBsZSBub25jZQ==",
    HTTPField.Name("Sec-WebSocket-Version")!: "13",
]

/// The `peer.left` reasons recorded for a room, in order.
func leaveReasons(_ store: CallStore, room: String) async throws -> [String] {
    try await store.read { db in
        try String.fetchAll(
            db,
            sql: "SELECT json_extract(data, '$.reason') FROM events WHERE type = 'peer.left' AND stream = ? ORDER BY position",
            arguments: ["room-\(room)"]
        )
    }
}

func query(_ room: String, token: String, name: String = "") -> String {
    var components = URLComponents()
    components.queryItems = [.init(name: "room", value: room), .init(name: "token", value: token)]
    if !name.isEmpty { components.queryItems?.append(.init(name: "name", value: name)) }
    return components.percentEncodedQuery ?? ""
}

/// One WebSocket upgrade attempt on its own connection (a refused upgrade closes its connection).
/// Returns the HTTP status, the error code of the JSON body, and the response headers.
func upgradeAttempt(port: Int, query: String) async throws -> (status: Int, code: String?, headers: HTTPFields) {
    let client = TestClient(host: "127.0.0.1", port: port)
    client.connect()
    do {
        let response = try await client.execute(.init("/calls/ws?\(query)", method: .get, headers: upgradeHeaders))
        try? await client.shutdown()
        let bytes = response.body.map { Data(buffer: $0) } ?? Data()
        let body = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any]
        let code = (body?["error"] as? [String: Any])?["code"] as? String
        return (response.head.status.code, code, response.head.headerFields)
    } catch {
        try? await client.shutdown()
        throw error
    }
}
