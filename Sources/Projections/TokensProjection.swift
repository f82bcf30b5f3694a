public import GRDB
public import Ledger

/// Token state: issued, used or revoked (expired is derived at read time from `expires_at`).
public struct TokensProjection: Projection {
    public let name = "tokens"
    public let tables = ["tokens"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .tokenIssued(let e):
            try db.run(
                """
                INSERT INTO tokens (token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'issued')
                """,
                [e.tokenId, e.room, e.tokenHash, e.role.rawValue, e.label, e.invitee, recorded.recordedAt, e.expiresAt]
            )
        case .tokenUsed(let e):
            try db.run(
                "UPDATE tokens SET state = 'used', used_by_peer = ?, used_at = ? WHERE token_id = ?",
                [e.peerId, recorded.recordedAt, e.tokenId]
            )
        case .tokenRevoked(let e):
            try db.run(
                "UPDATE tokens SET state = 'revoked', revoked_reason = ?, revoked_at = ? WHERE token_id = ?",
                [e.reason.rawValue, recorded.recordedAt, e.tokenId]
            )
        default:
            break
        }
    }
}
