public import GRDB
public import Ledger

/// Call history: one row per hosted room (direction outgoing) and per received invite (incoming), with
/// participants, start, end, duration and outcome.
///
/// Outcomes: hosted rooms are `ongoing` while live, then `answered` (at least two people were in it at
/// once) or `unanswered`. Incoming calls follow the invite: `ringing`, `accepted`, `declined`,
/// `dismissed`, `missed` (a ringing call past the ring window is shown as missed at read time).
///
/// A row is keyed by the position of the event that made it, as its room's `rooms` row or its invite's
/// `incoming_calls` row is, so updates find it through that row (by code or invite id) rather than
/// through an index of their own on the call id.
public struct CallHistoryProjection: Projection {
    public let name = "call_history"
    public let tables = ["call_history"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .roomCreated(let e):
            try db.execute(
                cached: """
                INSERT INTO call_history (call_id, direction, room_code, counterpart, participants, peak_peers,
                    started_at, outcome, position)
                VALUES (?, 'outgoing', ?, ?, '[]', 0, ?, 'ongoing', ?)
                """,
                StreamName.room(e.code), e.code, e.hostName, recorded.recordedAt, recorded.position
            )
        case .peerJoined(let e):
            try db.execute(
                cached: """
                UPDATE call_history SET
                    participants = CASE WHEN EXISTS (SELECT 1 FROM json_each(participants) WHERE value = ?1)
                        THEN participants ELSE json_insert(participants, '$[#]', ?1) END,
                    peak_peers = max(peak_peers, (SELECT peer_count FROM rooms WHERE code = ?2))
                WHERE position = (SELECT position FROM rooms WHERE code = ?2)
                """,
                e.displayName, e.room
            )
        case .roomEnded(let e):
            try db.execute(
                cached: """
                UPDATE call_history SET ended_at = ?, duration_ms = ?,
                    outcome = CASE WHEN peak_peers >= 2 THEN 'answered' ELSE 'unanswered' END
                WHERE position = (SELECT position FROM rooms WHERE code = ?)
                """,
                recorded.recordedAt, e.durationMs, e.room
            )
        case .inviteReceived(let e):
            try db.execute(
                cached: """
                INSERT INTO call_history (call_id, direction, room_code, counterpart, participants, peak_peers,
                    started_at, outcome, position)
                VALUES (?, 'incoming', ?, ?, json_array(?), 0, ?, 'ringing', ?)
                """,
                StreamName.invite(e.inviteId), e.room, e.senderName, e.senderName, e.receivedAt, recorded.position
            )
        case .inviteAccepted(let e):
            try settle(e.inviteId, outcome: "accepted", at: recorded, in: db)
        case .inviteDeclined(let e):
            try settle(e.inviteId, outcome: "declined", at: recorded, in: db)
        case .inviteDismissed(let e):
            try settle(e.inviteId, outcome: "dismissed", at: recorded, in: db)
        case .inviteCancelled(let e):
            try db.execute(
                cached: """
                UPDATE call_history SET outcome = 'missed', ended_at = ?, duration_ms = ? - started_at
                WHERE position = (SELECT position FROM incoming_calls WHERE invite_id = ?) AND outcome = 'ringing'
                """,
                recorded.recordedAt, recorded.recordedAt, e.inviteId
            )
        default:
            break
        }
    }

    private func settle(_ inviteId: String, outcome: String, at recorded: RecordedEvent, in db: Database) throws {
        try db.execute(
            cached: """
            UPDATE call_history SET outcome = ?, ended_at = ?, duration_ms = ? - started_at
            WHERE position = (SELECT position FROM incoming_calls WHERE invite_id = ?)
            """,
            outcome, recorded.recordedAt, recorded.recordedAt, inviteId
        )
    }
}
