import Ledger
import Projections

/// An incoming call as the bell, the stream and the toast show it. Every field but the times is text
/// from another instance: clients render it as text, never as HTML.
///
/// The caller is `senderName` and `senderPubkey`, as in `GET /api/calls/incoming` and the ledger's
/// `invite.received`. The JSON also carries the former names, `caller` and `callerPubkey`, with the
/// same values, for one release (docs/DECISIONS.md says when they go).
struct RingingCall: Encodable, Sendable, Equatable {
    var id: String
    var senderName: String
    var senderPubkey: String
    var roomCode: String
    var joinUrl: String
    /// Unix milliseconds.
    var receivedAt: Int64
    /// When it stops ringing (unix milliseconds): `RingWindow.expiry`, `receivedAt` plus the ring window.
    var expiresAt: Int64

    init(_ record: IncomingCallRecord, ringWindow: Int64) {
        id = record.inviteId
        senderName = record.senderName
        senderPubkey = record.senderPubkey
        roomCode = record.roomCode
        joinUrl = record.joinUrl
        receivedAt = record.receivedAt
        expiresAt = RingWindow(ringWindow).expiry(receivedAt: record.receivedAt)
    }

    /// The call as its `invite.received` describes it (the stream does not read the projection for a
    /// call it has just been told about).
    init(received event: InviteReceived, ringWindow: Int64) {
        id = event.inviteId
        senderName = event.senderName
        senderPubkey = event.senderPubkey
        roomCode = event.room
        joinUrl = event.joinUrl
        receivedAt = event.receivedAt
        expiresAt = RingWindow(ringWindow).expiry(receivedAt: event.receivedAt)
    }

    private enum CodingKeys: String, CodingKey {
        case id, senderName, senderPubkey, roomCode, joinUrl, receivedAt, expiresAt
        /// Deprecated aliases of `senderName` and `senderPubkey`, emitted for one release.
        case caller, callerPubkey
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(senderName, forKey: .senderName)
        try container.encode(senderPubkey, forKey: .senderPubkey)
        try container.encode(senderName, forKey: .caller)
        try container.encode(senderPubkey, forKey: .callerPubkey)
        try container.encode(roomCode, forKey: .roomCode)
        try container.encode(joinUrl, forKey: .joinUrl)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encode(expiresAt, forKey: .expiresAt)
    }
}
