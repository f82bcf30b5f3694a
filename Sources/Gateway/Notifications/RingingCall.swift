import Ledger
import Projections

/// An incoming call as the bell, the stream and the toast show it. Every field but the times is text
/// from another instance: clients render it as text, never as HTML.
struct RingingCall: Encodable, Sendable, Equatable {
    var id: String
    var caller: String
    var callerPubkey: String
    var roomCode: String
    var joinUrl: String
    /// Unix milliseconds.
    var receivedAt: Int64
    /// When it stops ringing (unix milliseconds): `RingWindow.expiry`, `receivedAt` plus the ring window.
    var expiresAt: Int64

    init(_ record: IncomingCallRecord, ringWindow: Int64) {
        id = record.inviteId
        caller = record.senderName
        callerPubkey = record.senderPubkey
        roomCode = record.roomCode
        joinUrl = record.joinUrl
        receivedAt = record.receivedAt
        expiresAt = RingWindow(ringWindow).expiry(receivedAt: record.receivedAt)
    }

    /// The call as its `invite.received` describes it (the stream does not read the projection for a
    /// call it has just been told about).
    init(received event: InviteReceived, ringWindow: Int64) {
        id = event.inviteId
        caller = event.senderName
        callerPubkey = event.senderPubkey
        roomCode = event.room
        joinUrl = event.joinUrl
        receivedAt = event.receivedAt
        expiresAt = RingWindow(ringWindow).expiry(receivedAt: event.receivedAt)
    }
}
