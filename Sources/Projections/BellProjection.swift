public import GRDB
public import Ledger

/// The notification bell: how many incoming calls the owner has not acted on (ringing or missed), and
/// the ledger position of the last change, which the polling endpoint turns into an ETag.
///
/// It must run before `IncomingCallsProjection` for the same event, since it reads the prior status.
public struct BellProjection: Projection {
    public let name = "bell"
    public let tables = ["bell"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .inviteReceived:
            try db.execute(cached: "UPDATE bell SET unread = unread + 1, position = ? WHERE id = 1", recorded.position)
        case .inviteDismissed(let e):
            try settle(e.inviteId, at: recorded, in: db)
        case .inviteAccepted(let e):
            try settle(e.inviteId, at: recorded, in: db)
        case .inviteDeclined(let e):
            try settle(e.inviteId, at: recorded, in: db)
        case .inviteCancelled(let e):
            // Ringing becomes missed: still unread, but the bell's content changed.
            try db.execute(
                cached: """
                UPDATE bell SET position = ? WHERE id = 1
                    AND EXISTS (SELECT 1 FROM incoming_calls WHERE invite_id = ? AND status = 'ringing')
                """,
                recorded.position, e.inviteId
            )
        default:
            break
        }
    }

    public func reset(in db: Database) throws {
        try db.execute(sql: "UPDATE bell SET unread = 0, position = 0 WHERE id = 1")
    }

    private func settle(_ inviteId: String, at recorded: RecordedEvent, in db: Database) throws {
        try db.execute(
            cached: """
            UPDATE bell SET
                unread = unread - (SELECT COUNT(*) FROM incoming_calls WHERE invite_id = ?1 AND status IN ('ringing', 'missed')),
                position = ?2
            WHERE id = 1 AND EXISTS (SELECT 1 FROM incoming_calls WHERE invite_id = ?1)
            """,
            inviteId, recorded.position
        )
    }
}

