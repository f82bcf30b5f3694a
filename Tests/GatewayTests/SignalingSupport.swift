import CallStore
import Foundation
import GRDB
import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import OwnerStore
import TestSupport

/// A gateway configuration for signaling tests: a fresh data directory, port 0, a fast tick. The resume
/// grace is the production one unless a test that waits for a timeout asks for a short one: a seat
/// whose socket is still coming up is released after the grace, and a loaded machine running the
/// whole suite can take more than a second or two to attach a socket.
func signalingConfiguration(_ dir: TemporaryDirectory, grace: Int64 = 20_000) -> GatewayConfiguration {
    var configuration = GatewayConfiguration()
    configuration.port = 0
    configuration.dataDirectory = dir.path
    configuration.resumeGrace = grace
    configuration.signalingTick = .milliseconds(100)
    // Links in guest links and invites: the test client's own host (the operator's word wins, loopback
    // included; a test about an unknown public address leaves it out).
    configuration.gatewayURL = "http://localhost"
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

/// A room made before the gateway starts (host link, and a guest link labelled "Bob"), the running
/// gateway on a free port, and the side store that made the room (for reading what was recorded).
struct LiveRoom {
    let client: any TestClientProtocol
    let port: Int
    let room: CallStore.CreatedRoom
    let side: CallStore

    func host(name: String = "") -> TestPeer {
        TestPeer(port: port, query: query(room.code, token: room.hostToken.secret, name: name))
    }

    func guest(name: String = "") throws -> TestPeer {
        guard let guest = room.guest else { throw TestPeerError.timeout("the room has no guest link") }
        return TestPeer(port: port, query: query(room.code, token: guest.token.secret, name: name))
    }
}

/// Runs `body` against a live gateway (configured by `adjust` on top of `signalingConfiguration`)
/// with one room ready.
/// `.live`: its callers connect WebSockets (or raw sockets) to the port. With `overSocket: false` the
/// requests go to the router instead (`.router`: no port, `port` is 0), for a test of plain requests.
func withLiveRoom(
    grace: Int64 = 20_000,
    overSocket: Bool = true,
    _ adjust: (inout GatewayConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (LiveRoom) async throws -> Void
) async throws {
    let dir = try TemporaryDirectory()
    var configuration = signalingConfiguration(dir, grace: grace)
    adjust(&configuration)
    let side = try sideStore(configuration)
    defer { try? side.close() }
    let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
    let app = try await buildApplication(configuration)
    guard overSocket else {
        return try await app.test(.router) { client in try await body(LiveRoom(client: client, port: 0, room: room, side: side)) }
    }
    try await app.liveTest { client in
        guard let port = client.port else { throw TestPeerError.timeout("the live test client has no port") }
        try await body(LiveRoom(client: client, port: port, room: room, side: side))
    }
}
