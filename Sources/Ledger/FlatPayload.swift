/// The common event payloads read without `JSONDecoder`, for replaying a long ledger.
///
/// Most events are flat objects of strings and integers (a room created, a peer joined, a token
/// used…). This reads such an object in one pass with `JSONScanner` and builds the same payload the
/// `Codable` path builds. Anything it does not expect (a missing or extra-typed field, a fraction, a
/// type it does not cover) makes it answer nil, and the caller decodes the normal way, so the two
/// paths can only differ in speed. `LedgerEventDecodingTests` checks them against each other.
enum FlatPayload {
    enum Scalar {
        case string(String)
        case int(Int64)
        case other
    }

    /// The members of one object in the order read. A flat payload has a handful, so a lookup scans
    /// them instead of hashing: no dictionary per event. A key given twice reads as its last value, as
    /// a dictionary filled in order would.
    struct Fields {
        private var keys: [String] = []
        private var values: [Scalar] = []

        init() {
            keys.reserveCapacity(8)
            values.reserveCapacity(8)
        }

        subscript(key: String) -> Scalar? {
            var index = keys.count - 1
            while index >= 0 {
                if keys[index] == key { return values[index] }
                index -= 1
            }
            return nil
        }

        mutating func append(_ key: String, _ value: Scalar) {
            keys.append(key)
            values.append(value)
        }
    }

    /// The event, or nil when the fast path does not apply.
    static func decode(type: String, bytes: [UInt8]) -> LedgerEvent? {
        guard let fields = fields(bytes) else { return nil }
        func string(_ key: String) -> String? {
            if case .string(let value)? = fields[key] { return value }
            return nil
        }
        func optionalString(_ key: String) -> String?? {
            switch fields[key] {
            case nil: return .some(nil)
            case .string(let value)?: return .some(value)
            default: return nil
            }
        }
        func int(_ key: String) -> Int64? {
            if case .int(let value)? = fields[key] { return value }
            return nil
        }
        switch type {
        case RoomCreated.eventType:
            guard let code = string("code"), let host = string("hostName"), let max = int("maxPeers"),
                let by = string("createdBy").flatMap(RoomCreator.init(rawValue:)), let expires = int("expiresAt"), let peers = Int(exactly: max)
            else { return nil }
            return .roomCreated(RoomCreated(code: code, hostName: host, maxPeers: peers, createdBy: by, expiresAt: expires))
        case RoomEnded.eventType:
            guard let room = string("room"), let reason = string("reason").flatMap(RoomEndReason.init(rawValue:)),
                let duration = int("durationMs")
            else { return nil }
            return .roomEnded(RoomEnded(room: room, reason: reason, durationMs: duration))
        case PeerJoined.eventType:
            guard let room = string("room"), let peer = string("peerId"), let name = string("displayName"), let token = string("tokenId")
            else { return nil }
            return .peerJoined(PeerJoined(room: room, peerId: peer, displayName: name, tokenId: token))
        case PeerLeft.eventType:
            guard let room = string("room"), let peer = string("peerId"), let reason = string("reason").flatMap(LeaveReason.init(rawValue:))
            else { return nil }
            return .peerLeft(PeerLeft(room: room, peerId: peer, reason: reason))
        case TokenIssued.eventType:
            guard let id = string("tokenId"), let room = string("room"), let hash = string("tokenHash"),
                let role = string("role").flatMap(TokenRole.init(rawValue:)), case .some(let label) = optionalString("label"),
                case .some(let invitee) = optionalString("invitee"), let expires = int("expiresAt")
            else { return nil }
            return .tokenIssued(TokenIssued(tokenId: id, room: room, tokenHash: hash, role: role, label: label, invitee: invitee, expiresAt: expires))
        case TokenUsed.eventType:
            guard let id = string("tokenId"), let room = string("room"), let peer = string("peerId") else { return nil }
            return .tokenUsed(TokenUsed(tokenId: id, room: room, peerId: peer))
        case TokenRevoked.eventType:
            guard let id = string("tokenId"), let room = string("room"), let reason = string("reason").flatMap(TokenRevokeReason.init(rawValue:))
            else { return nil }
            return .tokenRevoked(TokenRevoked(tokenId: id, room: room, reason: reason))
        case InviteReceived.eventType:
            guard let id = string("inviteId"), let event = string("nostrEventId"), let sender = string("senderPubkey"),
                let name = string("senderName"), let room = string("room"), let join = string("joinUrl"), let sent = int("sentAt"),
                let received = int("receivedAt")
            else { return nil }
            return .inviteReceived(
                InviteReceived(
                    inviteId: id, nostrEventId: event, senderPubkey: sender, senderName: name, room: room, joinUrl: join, sentAt: sent,
                    receivedAt: received
                )
            )
        case InviteDismissed.eventType:
            return string("inviteId").map { .inviteDismissed(InviteDismissed(inviteId: $0)) }
        case InviteAccepted.eventType:
            return string("inviteId").map { .inviteAccepted(InviteAccepted(inviteId: $0)) }
        case InviteDeclined.eventType:
            guard let id = string("inviteId"), let by = string("by") else { return nil }
            return .inviteDeclined(InviteDeclined(inviteId: id, by: by))
        case InviteCancelled.eventType:
            guard let id = string("inviteId"), let reason = string("reason") else { return nil }
            return .inviteCancelled(InviteCancelled(inviteId: id, reason: reason))
        default:
            return nil
        }
    }

    /// The top-level members of a flat object: strings, integers, and `other` for anything else.
    /// Nil when the text is not one JSON object.
    static func fields(_ bytes: [UInt8]) -> Fields? {
        var scanner = JSONScanner(bytes)
        var fields = Fields()
        do {
            try scanner.expect(UInt8(ascii: "{"))
            if !scanner.take(UInt8(ascii: "}")) {
                repeat {
                    guard let key = try scanner.readKey(maxBytes: 64) else { return nil }
                    try scanner.expect(UInt8(ascii: ":"))
                    switch scanner.peek() {
                    case UInt8(ascii: "\"")?:
                        fields.append(key, .string(try scanner.readString(limit: 1 << 20)))
                    case let first? where first == UInt8(ascii: "-") || JSONScanner.isDigit(first):
                        let range = try scanner.skipValue(depth: 1)
                        let text = String(decoding: bytes[range], as: UTF8.self)
                        fields.append(key, Int64(text).map(Scalar.int) ?? .other)
                    default:
                        _ = try scanner.skipValue(depth: 1)
                        fields.append(key, .other)
                    }
                } while scanner.take(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            scanner.skipWhitespace()
            guard scanner.atEnd else { return nil }
        } catch {
            return nil
        }
        return fields
    }
}
