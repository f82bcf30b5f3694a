public import GRDB
public import Ledger

/// Outgoing invites: delivery state per invite (pending, sent, failed, declined, answered, cancelled).
/// An invite is answered when the guest token minted for it admits someone.
public struct OutgoingInvitesProjection: Projection {
    public let name = "outgoing_invites"
    public let tables = ["outgoing_invites"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .inviteRequested(let e):
            try db.execute(
                cached: """
                INSERT INTO outgoing_invites (invite_id, room_code, contact_pubkey, transport, token_id, requested_at,
                    state, attempts, relays_ok, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?)
                """,
                e.inviteId, e.room, e.contactPubkey, e.transport.rawValue, e.tokenId, recorded.recordedAt,
                recorded.recordedAt
            )
        case .inviteSent(let e):
            try db.execute(
                cached: """
                UPDATE outgoing_invites SET state = CASE WHEN state IN ('pending', 'failed') THEN 'sent' ELSE state END,
                    attempts = ?, relays_ok = ?, last_error = NULL, updated_at = ? WHERE invite_id = ?
                """,
                e.attempts, e.relays.filter(\.ok).count, recorded.recordedAt, e.inviteId
            )
        case .inviteFailed(let e):
            try db.execute(
                cached: """
                UPDATE outgoing_invites SET state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END,
                    attempts = ?, last_error = ?, updated_at = ? WHERE invite_id = ?
                """,
                e.attempts, e.reason, recorded.recordedAt, e.inviteId
            )
        case .inviteDeclined(let e):
            try db.execute(
                cached: "UPDATE outgoing_invites SET state = 'declined', updated_at = ? WHERE invite_id = ?",
                recorded.recordedAt, e.inviteId
            )
        case .inviteCancelled(let e):
            try db.execute(
                cached: """
                UPDATE outgoing_invites SET state = 'cancelled', updated_at = ?
                WHERE invite_id = ? AND state IN ('pending', 'sent', 'failed')
                """,
                recorded.recordedAt, e.inviteId
            )
        case .tokenUsed(let e):
            try db.execute(
                cached: """
                UPDATE outgoing_invites SET state = 'answered', updated_at = ?
                WHERE token_id = ? AND state IN ('pending', 'sent', 'failed')
                """,
                recorded.recordedAt, e.tokenId
            )
        default:
            break
        }
    }
}
