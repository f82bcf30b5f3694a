import Hummingbird
import Invites
import OwnerStore

/// `GET/PUT /api/nostr/relays` (owner only): the gateway's own relays as the panel's settings show them.
/// The configured ones (`CROW_NOSTR_RELAYS`, `--nostr-relay`) are listed but cannot be removed here; the
/// saved ones are replaced as a whole by `PUT {"relays": [...]}` and take effect at once: the subscriber
/// opens and closes connections, and the next invite goes to the new list.
struct RelaysController: Sendable {
    let owners: OwnerStore
    let directory: RelayDirectory
    let health: RelayHealth
    static let maxBodyBytes = 16_384

    struct Input: Decodable {
        var relays: [String]?
    }

    struct Relay: Encodable {
        var url: String
        /// `configured` or `saved`.
        var source: String
        /// `subscribed` or `connecting`.
        var status: String
    }

    struct List: Encodable {
        var relays: [Relay]
        var configured: [String]
        var saved: [String]
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("nostr/relays") { _, _ in try list() }
        group.put("nostr/relays") { request, _ in try await replace(request) }
    }

    func list() throws -> Response {
        let lists = directory.lists
        let status = health.snapshot
        let configured = Set(lists.configured.map { $0.lowercased() })
        let relays = lists.all.map { url in
            Relay(url: url, source: configured.contains(url.lowercased()) ? "configured" : "saved", status: status[url] ?? "connecting")
        }
        return try JSONBody.response(List(relays: relays, configured: lists.configured, saved: lists.saved))
    }

    func replace(_ request: Request) async throws -> Response {
        let input = try await JSONBody.decode(Input.self, from: request, limit: Self.maxBodyBytes)
        guard let relays = input.relays else { throw GatewayError.invalidRequest("relays is required (a list of ws:// or wss:// URLs)") }
        let saved = try await ErrorStatus.answering { try await owners.replaceSavedRelays(relays) }
        directory.replaceSaved(saved)
        return try list()
    }
}
