import Hummingbird
import Invites
import OwnerStore

/// `GET/PUT /api/settings/address` (owner only): the public address that invites and guest links
/// carry (see `PublicAddress`), where it comes from, and candidates to pick from.
struct PublicAddressController: Sendable {
    let owners: OwnerStore
    let address: PublicAddress
    let suggestions: PublicAddressSuggestions
    static let maxBodyBytes = 1024

    struct Input: Decodable {
        /// The address to save; null or blank forgets the saved one.
        var address: String?
    }

    struct View: Encodable {
        /// What links carry now; null when nothing is known (invites and guest links are refused).
        var address: String?
        /// `configured` (CROW_GATEWAY_URL, which wins) or `saved`; null with no address.
        var source: String?
        /// The address saved in setup or here (shown for editing even while the configuration wins).
        var saved: String?
        var suggestions: [String]

        enum CodingKeys: String, CodingKey { case address, source, saved, suggestions }

        /// Absent values are written as `null`, not left out: clients test the field, not its presence.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(address, forKey: .address)
            try container.encode(source, forKey: .source)
            try container.encode(saved, forKey: .saved)
            try container.encode(suggestions, forKey: .suggestions)
        }
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("settings/address") { request, _ in try await view(request) }
        group.put("settings/address") { request, _ in try await save(request) }
    }

    func view(_ request: Request) async throws -> Response {
        let current = address.current
        return try JSONBody.response(
            View(
                address: current?.url,
                source: current?.source.rawValue,
                saved: address.savedValue,
                suggestions: await suggestions.suggestions(authority: request.head.authority, https: request.head.scheme == "https")
            )
        )
    }

    func save(_ request: Request) async throws -> Response {
        let input = try await JSONBody.decode(Input.self, from: request, limit: Self.maxBodyBytes)
        let saved = try await ErrorStatus.answering { try await owners.savePublicAddress(input.address) }
        address.setSaved(saved)
        return try await view(request)
    }
}
