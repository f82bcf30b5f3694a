import TextCoding

/// Writes the stored JSON of the flat payloads by hand, byte for byte what `JSONEncoder` writes for them
/// with sorted keys and unescaped slashes (the stored format), without the encoder's generic machinery
/// on every append.
///
/// Each payload lists its fields in the encoder's key order and `"v"` last; optionals that are nil are
/// left out, as the synthesized `Encodable` leaves them out. The payloads with arrays
/// (`invite.requested`, `invite.sent`, `invite.failed`) still go through `JSONEncoder`.
/// `PayloadWriterTests` compares both on every flat type, with hostile strings.
struct PayloadWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    init() {
        bytes.reserveCapacity(192)
    }

    /// The JSON of `event`, or nil for the types this writer leaves to `JSONEncoder`.
    static func json(of event: LedgerEvent) -> String? {
        var writer = PayloadWriter()
        switch event {
        case .roomCreated(let p):
            writer.field("code", p.code)
            writer.field("createdBy", p.createdBy.rawValue)
            writer.field("expiresAt", p.expiresAt)
            writer.field("hostName", p.hostName)
            writer.field("maxPeers", Int64(p.maxPeers))
            return writer.finish(version: RoomCreated.schemaVersion)
        case .roomEnded(let p):
            writer.field("durationMs", p.durationMs)
            writer.field("reason", p.reason.rawValue)
            writer.field("room", p.room)
            return writer.finish(version: RoomEnded.schemaVersion)
        case .peerJoined(let p):
            writer.field("displayName", p.displayName)
            writer.field("peerId", p.peerId)
            writer.field("room", p.room)
            writer.field("tokenId", p.tokenId)
            return writer.finish(version: PeerJoined.schemaVersion)
        case .peerLeft(let p):
            writer.field("peerId", p.peerId)
            writer.field("reason", p.reason.rawValue)
            writer.field("room", p.room)
            return writer.finish(version: PeerLeft.schemaVersion)
        case .tokenIssued(let p):
            writer.field("expiresAt", p.expiresAt)
            if let invitee = p.invitee { writer.field("invitee", invitee) }
            if let label = p.label { writer.field("label", label) }
            writer.field("role", p.role.rawValue)
            writer.field("room", p.room)
            writer.field("tokenHash", p.tokenHash)
            writer.field("tokenId", p.tokenId)
            return writer.finish(version: TokenIssued.schemaVersion)
        case .tokenUsed(let p):
            writer.field("peerId", p.peerId)
            writer.field("room", p.room)
            writer.field("tokenId", p.tokenId)
            return writer.finish(version: TokenUsed.schemaVersion)
        case .tokenRevoked(let p):
            writer.field("reason", p.reason.rawValue)
            writer.field("room", p.room)
            writer.field("tokenId", p.tokenId)
            return writer.finish(version: TokenRevoked.schemaVersion)
        case .inviteReceived(let p):
            writer.field("inviteId", p.inviteId)
            writer.field("joinUrl", p.joinUrl)
            writer.field("nostrEventId", p.nostrEventId)
            writer.field("receivedAt", p.receivedAt)
            writer.field("room", p.room)
            writer.field("senderName", p.senderName)
            writer.field("senderPubkey", p.senderPubkey)
            writer.field("sentAt", p.sentAt)
            return writer.finish(version: InviteReceived.schemaVersion)
        case .inviteDismissed(let p):
            writer.field("inviteId", p.inviteId)
            return writer.finish(version: InviteDismissed.schemaVersion)
        case .inviteAccepted(let p):
            writer.field("inviteId", p.inviteId)
            return writer.finish(version: InviteAccepted.schemaVersion)
        case .inviteDeclined(let p):
            writer.field("by", p.by)
            writer.field("inviteId", p.inviteId)
            return writer.finish(version: InviteDeclined.schemaVersion)
        case .inviteCancelled(let p):
            writer.field("inviteId", p.inviteId)
            writer.field("reason", p.reason)
            return writer.finish(version: InviteCancelled.schemaVersion)
        case .inviteRequested, .inviteSent, .inviteFailed, .unknown:
            return nil
        }
    }

    private mutating func key(_ name: StaticString) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func field(_ name: StaticString, _ value: Int64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        JSONQuoting.append(value, to: &bytes)
    }

    private mutating func finish(version: Int) -> String {
        field("v", Int64(version))
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
