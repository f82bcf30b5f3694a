public import GRDB
public import Ledger

/// Incoming calls: invites received from contacts and what the owner did with them.
///
/// Stored statuses: ringing, dismissed, accepted, declined, missed (the caller cancelled or the room
/// ended while it rang). "Missed because nobody answered within the ring window" is derived at read
/// time from `received_at`, so a rebuild does not depend on when it runs.
public struct IncomingCallsProjection: Projection {
    public let name = "incoming_calls"
    public let tables = ["incoming_calls"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .inviteReceived(let e):
            try db.execute(
                cached: """
                INSERT INTO incoming_calls (invite_id, nostr_event_id, sender_pubkey, sender_name, room_code, join_url,
                    sent_at, received_at, status, status_changed_at, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ringing', ?, ?)
                """,
                e.inviteId, StoredDigest(hex: e.nostrEventId), e.senderPubkey, e.senderName, e.room, e.joinUrl, e.sentAt,
                e.receivedAt, recorded.recordedAt, recorded.position
            )
        case .inviteDismissed(let e):
            try setStatus("dismissed", of: e.inviteId, at: recorded, in: db)
        case .inviteAccepted(let e):
            try setStatus("accepted", of: e.inviteId, at: recorded, in: db)
        case .inviteDeclined(let e):
            try setStatus("declined", of: e.inviteId, at: recorded, in: db)
        case .inviteCancelled(let e):
            try db.execute(
                cached: "UPDATE incoming_calls SET status = 'missed', status_changed_at = ? WHERE invite_id = ? AND status = 'ringing'",
                recorded.recordedAt, e.inviteId
            )
        default:
            break
        }
    }

    private func setStatus(_ status: String, of inviteId: String, at recorded: RecordedEvent, in db: Database) throws {
        try db.execute(
            cached: "UPDATE incoming_calls SET status = ?, status_changed_at = ? WHERE invite_id = ?",
            status, recorded.recordedAt, inviteId
        )
    }
}
