import OwnerStore
import CallStore
import Hummingbird

/// `GET/POST /api/contacts`, `PATCH/DELETE /api/contacts/:id` (owner only). Input is checked by
/// `ContactRules`; keys are answered both as hex and as `npub`.
struct ContactsController: Sendable {
    let owners: OwnerStore
    static let maxBodyBytes = 16_384

    struct Input: Decodable {
        var name: String?
        var pubkey: String?
        var relays: [String]?
        var transport: String?
    }

    struct Contact: Encodable {
        var id: String
        var name: String
        var pubkey: String
        var npub: String
        var relays: [String]
        var transport: String
        var createdAt: Int64
        var updatedAt: Int64

        init(_ record: ContactRecord) {
            id = record.id
            name = record.name
            pubkey = record.pubkey
            npub = record.npub
            relays = record.relays
            transport = record.transport.rawValue
            createdAt = record.createdAt
            updatedAt = record.updatedAt
        }
    }

    struct List: Encodable {
        var contacts: [Contact]
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("contacts") { _, _ in try await list() }
        group.post("contacts") { request, _ in try await add(request) }
        group.get("contacts/:id") { _, context in try await show(context) }
        group.patch("contacts/:id") { request, context in try await update(request, context: context) }
        group.delete("contacts/:id") { _, context in try await delete(context) }
    }

    func list() async throws -> Response {
        let contacts = try await ErrorStatus.answering { try await owners.contacts() }
        return try JSONBody.response(List(contacts: contacts.map(Contact.init)))
    }

    func add(_ request: Request) async throws -> Response {
        let input = try await JSONBody.decode(Input.self, from: request, limit: Self.maxBodyBytes)
        guard let name = input.name else { throw GatewayError.invalidRequest("name is required") }
        guard let pubkey = input.pubkey else { throw GatewayError.invalidRequest("pubkey is required") }
        let record = try await ErrorStatus.answering {
            let draft = try ContactDraft(name: name, pubkey: pubkey, relays: input.relays ?? [], transport: input.transport)
            return try await owners.addContact(draft)
        }
        return try JSONBody.response(Contact(record), status: .created)
    }

    func show(_ context: GatewayContext) async throws -> Response {
        let id = try Self.id(context)
        guard let record = try await ErrorStatus.answering({ try await owners.contact(id: id) }) else { throw ErrorStatus.gatewayError(OwnerError.contactNotFound) }
        return try JSONBody.response(Contact(record))
    }

    func update(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try Self.id(context)
        let input = try await JSONBody.decode(Input.self, from: request, limit: Self.maxBodyBytes)
        guard input.name != nil || input.pubkey != nil || input.relays != nil || input.transport != nil else {
            throw GatewayError.invalidRequest("nothing to change: give name, pubkey, relays or transport")
        }
        let record = try await ErrorStatus.answering {
            let changes = try ContactChanges(name: input.name, pubkey: input.pubkey, relays: input.relays, transport: input.transport)
            return try await owners.updateContact(id: id, changes)
        }
        return try JSONBody.response(Contact(record))
    }

    func delete(_ context: GatewayContext) async throws -> Response {
        let id = try Self.id(context)
        try await ErrorStatus.answering { try await owners.deleteContact(id: id) }
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }

    static func id(_ context: GatewayContext) throws -> String {
        guard let id = context.parameters.get("id"), (1...64).contains(id.utf8.count) else {
            throw ErrorStatus.gatewayError(OwnerError.contactNotFound)
        }
        return id
    }
}
