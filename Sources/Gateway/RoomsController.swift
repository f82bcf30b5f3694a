import CallStore
import CrowSecurity
import Decisions
import Foundation
import Hummingbird
import Invites
import Ledger
import Nostr
import OwnerStore
import Projections

/// The owner's rooms API (docs/API.md). Each handler appends through `CallStore` or reads projections;
/// nothing else touches the ledger. Secrets are returned once, at creation, and never again.
struct RoomsController: Sendable {
    let store: CallStore
    let owners: OwnerStore
    let composer: InviteComposer
    /// Where a decline goes to be sent back to the caller.
    let answers: AnswerSender.Queue
    let metrics: GatewayMetrics
    let configuration: GatewayConfiguration
    /// The address in links other people open; without one, invites and guest links are refused.
    let address: PublicAddress

    struct CreateRoom: Decodable {
        var hostName: String?
        var maxPeers: Int?
        var contact: String?
    }

    struct NewLink: Decodable {
        var label: String?
        var contact: String?
    }

    /// An invite queued for a contact: the outbox delivers it (docs/NOSTR.md).
    struct QueuedInvite: Encodable {
        var id: String
        var status = "pending"
    }

    struct Created: Encodable {
        var roomCode: String
        var hostToken: String
        var callUrl: String
        var expiresAt: Int64
        var invite: QueuedInvite?
    }

    struct Link: Encodable {
        var token: String
        var tokenId: String
        var callUrl: String
        var expiresAt: Int64
        var invite: QueuedInvite?
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.post("rooms") { request, context in try await create(request, context: context) }
        group.post("rooms/:code/invites") { request, context in try await newLink(request, context: context) }
        group.post("rooms/:code/host-link") { request, context in try await newHostLink(request, context: context) }
        group.get("rooms/:code") { _, context in try await show(context: context) }
        group.post("rooms/:code/close") { _, context in try await close(context: context) }
        group.get("rooms") { _, _ in try await live() }
        group.get("calls/history") { request, _ in try await history(request) }
        group.get("calls/incoming") { _, _ in try await incoming() }
        group.post("calls/incoming/:id/:action") { _, context in try await actOnIncoming(context: context) }
    }

    // MARK: - Rooms

    func create(_ request: Request, context: GatewayContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateRoom.self, from: request)
        if let maxPeers = body.maxPeers, !(2...configuration.maxPeers).contains(maxPeers) {
            throw GatewayError.invalidRequest("maxPeers must be between 2 and \(configuration.maxPeers)")
        }
        let creator: RoomCreator = if case .apiToken = context.owner { .api } else { .panel }
        let hostName = body.hostName ?? "Host"
        let guest = try await inviteRequest(contact: body.contact, label: nil, hostName: hostName, request: request)
        let room = try await ErrorStatus.answering {
            try await metrics.timeAppend { try await store.createRoom(hostName: hostName, maxPeers: body.maxPeers, createdBy: creator, guest: guest) }
        }
        let created = Created(
            roomCode: room.code,
            hostToken: room.hostToken.secret,
            callUrl: CallLink.url(base: ownBase(request), room: room.code, token: room.hostToken.secret),
            expiresAt: room.hostToken.expiresAt,
            invite: room.guest?.inviteId.map { QueuedInvite(id: $0) }
        )
        return try JSONBody.response(created, status: .created)
    }

    func newLink(_ request: Request, context: GatewayContext) async throws -> Response {
        let code = try Self.roomCode(context)
        let body = try await JSONBody.decode(NewLink.self, from: request)
        let base = try await ErrorStatus.answering { try address.forOthers() }
        var guestRequest = CallStore.GuestRequest(label: body.label)
        if body.contact != nil {
            let hostName = try await ErrorStatus.answering { try await store.read { db in try Queries.room(code, in: db)?.hostName } }
            guard let hostName else { throw ErrorStatus.gatewayError(CallError.rejected(.roomNotFound)) }
            guestRequest = try await inviteRequest(contact: body.contact, label: body.label, hostName: hostName, request: request) ?? guestRequest
        }
        let guest = try await ErrorStatus.answering {
            try await metrics.timeAppend { try await store.issueGuestToken(room: code, guest: guestRequest) }
        }
        let link = Link(
            token: guest.token.secret,
            tokenId: guest.token.id,
            callUrl: CallLink.url(base: base, room: code, token: guest.token.secret),
            expiresAt: guest.token.expiresAt,
            invite: guest.inviteId.map { QueuedInvite(id: $0) }
        )
        return try JSONBody.response(link, status: .created)
    }

    /// `POST /api/rooms/:code/host-link`: a fresh host link, for the owner to take the host's part again.
    func newHostLink(_ request: Request, context: GatewayContext) async throws -> Response {
        let code = try Self.roomCode(context)
        let token = try await ErrorStatus.answering {
            try await metrics.timeAppend { try await store.issueHostToken(room: code) }
        }
        let link = Link(
            token: token.secret,
            tokenId: token.id,
            callUrl: CallLink.url(base: ownBase(request), room: code, token: token.secret),
            expiresAt: token.expiresAt,
            invite: nil
        )
        return try JSONBody.response(link, status: .created)
    }

    /// The guest link and queued invite for `contact` (an id, or the contact's public key as hex or
    /// npub); nil without a contact.
    func inviteRequest(contact: String?, label: String?, hostName: String, request: Request) async throws -> CallStore.GuestRequest? {
        guard let contact else { return nil }
        guard contact.utf8.count <= 200 else { throw GatewayError.invalidRequest("contact is too long") }
        let record = try await ErrorStatus.answering { () -> ContactRecord? in
            if let byID = try await owners.contact(id: contact) { return byID }
            guard let hex = NostrKey.publicKeyHex(contact) else { return nil }
            return try await owners.contact(pubkey: hex)
        }
        guard let record else {
            throw GatewayError(.notFound, code: "contact_not_found", message: "no contact with this id or public key")
        }
        let draft = try await ErrorStatus.answering { try composer.draft(for: record, hostName: hostName, baseURL: try address.forOthers()) }
        return CallStore.GuestRequest(label: label ?? record.name, invite: draft)
    }

    func show(context: GatewayContext) async throws -> Response {
        let code = try Self.roomCode(context)
        let now = store.settings.clock()
        let view = try await ErrorStatus.answering {
            try await store.read { db -> RoomView? in
                guard let room = try Queries.room(code, in: db) else { return nil }
                return RoomView(
                    room: room,
                    peers: try Queries.peers(in: code, db: db),
                    tokens: try Queries.tokens(room: code, in: db),
                    invites: try Queries.outgoingInvites(room: code, in: db),
                    now: now
                )
            }
        }
        guard let view else { throw GatewayError(.notFound, code: "room_not_found", message: "no such room") }
        return try JSONBody.response(view)
    }

    func close(context: GatewayContext) async throws -> Response {
        let code = try Self.roomCode(context)
        // Signaling closes the room's sockets when the end reaches it through the ledger's feed.
        let kicked = try await ErrorStatus.answering { try await metrics.timeAppend { try await store.endRoom(code, reason: .closed) } }
        struct Closed: Encodable {
            var roomCode: String
            var state = RoomLifecycle.ended
            var kicked: Int
        }
        return try JSONBody.response(Closed(roomCode: code, kicked: kicked.count))
    }

    func live() async throws -> Response {
        let rooms = try await ErrorStatus.answering { try await store.read { db in try Queries.liveRooms(in: db) } }
        struct Live: Encodable { var rooms: [RoomView.Room] }
        return try JSONBody.response(Live(rooms: rooms.map(RoomView.Room.init)))
    }

    // MARK: - Calls

    func history(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var limit = 50
        if let raw = query["limit"] {
            guard let value = Int(raw), (1...200).contains(value) else { throw GatewayError.invalidRequest("limit is 1 to 200") }
            limit = value
        }
        var before: (startedAt: Int64, callId: String)?
        if let raw = query["before"] {
            guard let cursor = Self.historyCursor(String(raw)) else {
                throw GatewayError.invalidRequest("before is the next cursor of a page, or a time in unix milliseconds")
            }
            before = cursor
        }
        let now = store.settings.clock()
        let ringWindow = store.settings.ringWindow
        let pageSize = limit
        let olderThan = before
        let rows = try await ErrorStatus.answering { try await store.read { db in try Queries.history(limit: pageSize, before: olderThan, in: db) } }
        struct Entry: Encodable {
            var callId: String
            var direction: CallDirection
            var roomCode, counterpart: String
            var outcome: CallOutcome
            var participants: [String]
            var peakPeers: Int
            var startedAt: Int64
            var endedAt, durationMs: Int64?
        }
        struct History: Encodable {
            var calls: [Entry]
            /// `<startedAt>.<callId>` of the last row, when the page is full.
            var next: String?
        }
        let calls = rows.map { row in
            Entry(
                callId: row.callId, direction: row.direction, roomCode: row.roomCode, counterpart: row.counterpart,
                outcome: row.outcome(now: now, ringWindow: ringWindow),
                participants: (try? JSONDecoder().decode([String].self, from: Data(row.participants.utf8))) ?? [],
                peakPeers: row.peakPeers, startedAt: row.startedAt, endedAt: row.endedAt, durationMs: row.durationMs
            )
        }
        return try JSONBody.response(History(calls: calls, next: rows.count == limit ? rows.last.map { "\($0.startedAt).\($0.callId)" } : nil))
    }

    func incoming() async throws -> Response {
        let now = store.settings.clock()
        let ringWindow = store.settings.ringWindow
        let calls = try await ErrorStatus.answering { try await store.read { db in try Queries.recentIncoming(now: now, in: db) } }
        struct Call: Encodable {
            var id, senderName, senderPubkey, roomCode, joinUrl: String
            var status: IncomingCallStatus
            /// Whether the link can still be used to join: a call nobody answered, also once it has rung
            /// out, as long as the caller did not withdraw it. An accepted call's link was opened already.
            var joinable: Bool
            var receivedAt: Int64
        }
        struct Incoming: Encodable { var calls: [Call] }
        return try JSONBody.response(
            Incoming(
                calls: calls.map {
                    Call(
                        id: $0.inviteId, senderName: $0.senderName, senderPubkey: $0.senderPubkey, roomCode: $0.roomCode,
                        joinUrl: $0.joinUrl, status: $0.status(now: now, ringWindow: ringWindow), joinable: $0.status == .ringing,
                        receivedAt: $0.receivedAt
                    )
                }
            )
        )
    }

    func actOnIncoming(context: GatewayContext) async throws -> Response {
        guard let id = context.parameters.get("id"), TextRules.isRoomCode(id) else {
            throw GatewayError.invalidRequest("invite id is malformed")
        }
        switch context.parameters.get("action") {
        case "accept": try await ErrorStatus.answering { try await store.acceptIncoming(id) }
        case "dismiss": try await ErrorStatus.answering { try await store.dismissIncoming(id) }
        case "decline":
            try await ErrorStatus.answering { try await store.declineIncoming(id) }
            // Tell the caller's gateway, so its outgoing invite shows the refusal.
            if let call = try? await store.read({ db in try Queries.incomingCall(id: id, in: db) }),
                let caller = NostrPublicKey(call.senderPubkey)
            {
                answers.declined(caller: caller, roomCode: call.roomCode, joinURL: call.joinUrl)
            }
        default: throw GatewayError.notFound("unknown action")
        }
        return Response(status: .noContent)
    }

    // MARK: - Helpers

    static func roomCode(_ context: GatewayContext) throws -> String {
        guard let code = context.parameters.get("code"), TextRules.isRoomCode(code) else {
            throw GatewayError.invalidRequest("room code is malformed")
        }
        return code
    }

    /// The base of a link the owner opens in their own browser (the host link of a room they start):
    /// the public address when known, otherwise the address this request came to.
    func ownBase(_ request: Request) -> String {
        if let current = address.current { return current.url }
        let secure = configuration.tlsCertificate != nil || request.head.scheme == "https"
        return "\(secure ? "https" : "http")://\(request.head.authority ?? "\(configuration.host):\(configuration.port)")"
    }

    /// `before` of the history: `<startedAt>.<callId>` (a page's `next`), or a bare time in unix ms.
    static func historyCursor(_ text: String) -> (startedAt: Int64, callId: String)? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let time = parts.first.flatMap({ Int64($0) }), time > 0 else { return nil }
        guard parts.count == 2 else { return (time, "") }
        let callId = String(parts[1])
        // `room-<code>` or `invite-<id>`: letters, digits, `-` and `_`.
        guard (1...80).contains(callId.utf8.count),
            callId.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else { return nil }
        return (time, callId)
    }
}

/// `GET /api/rooms/:code`: the room, who is in it, its links (without secrets) and its invites.
struct RoomView: Encodable, Sendable {
    struct Room: Encodable, Sendable {
        var code, hostName, createdBy: String
        var state: RoomLifecycle
        var maxPeers, peerCount: Int
        var createdAt, expiresAt: Int64
        var endedAt: Int64?
        var endReason: String?

        init(_ room: RoomRecord) {
            code = room.code
            hostName = room.hostName
            createdBy = room.createdBy
            state = room.state
            maxPeers = room.maxPeers
            peerCount = room.peerCount
            createdAt = room.createdAt
            expiresAt = room.expiresAt
            endedAt = room.endedAt
            endReason = room.endReason
        }
    }

    struct Peer: Encodable, Sendable {
        var peerId, name: String
        var joinedAt: Int64
    }

    struct Token: Encodable, Sendable {
        var id: String
        var role: TokenRole
        var status: TokenStatus
        var label: String?
        var expiresAt: Int64
        var usedAt: Int64?
    }

    struct Invite: Encodable, Sendable {
        var id, contactPubkey, transport: String
        var status: OutgoingInviteState
        var attempts: Int
        /// Relays that took the invite.
        var relaysOk: Int
        /// Why the last delivery failed, for the panel.
        var error: String?
        var updatedAt: Int64
    }

    var room: Room
    var peers: [Peer]
    var tokens: [Token]
    var invites: [Invite]

    init(room: RoomRecord, peers: [RoomPeerRecord], tokens: [TokenRecord], invites: [OutgoingInviteRecord], now: Int64) {
        self.room = Room(room)
        self.peers = peers.map { Peer(peerId: $0.peerId, name: $0.displayName, joinedAt: $0.joinedAt) }
        self.tokens = tokens.map {
            Token(id: $0.tokenId, role: $0.role, status: $0.status(now: now), label: $0.label, expiresAt: $0.expiresAt, usedAt: $0.usedAt)
        }
        self.invites = invites.map {
            Invite(
                id: $0.inviteId, contactPubkey: $0.contactPubkey, transport: $0.transport, status: $0.state, attempts: $0.attempts,
                relaysOk: $0.relaysOk, error: $0.lastError, updatedAt: $0.updatedAt
            )
        }
    }
}
