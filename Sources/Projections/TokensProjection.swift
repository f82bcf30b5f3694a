public import GRDB
public import Ledger

/// Token state: issued, used or revoked (expired is derived at read time from `expires_at`).
///
/// A room closed by the owner or ended by expiry revokes every token of it still unused. The end's
/// own `token.revoked` events name the tokens its decision saw; a link issued in the instant between
/// that decision and its commit is revoked here too, because `room.ended` says so for all of them.
public struct TokensProjection: Projection {
    public let name = "tokens"
    public let tables = ["tokens"]

    public init() {}

    public func apply(_ recorded: RecordedEvent, in db: Database) throws {
        switch recorded.event {
        case .tokenIssued(let e):
            try db.execute(
                cached: """
                INSERT INTO tokens (token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'issued')
                """,
                e.tokenId, e.room, StoredDigest(hex: e.tokenHash), e.role.rawValue, e.label, e.invitee, recorded.recordedAt, e.expiresAt
            )
        case .tokenUsed(let e):
            try db.execute(
                cached: "UPDATE tokens SET state = 'used', used_by_peer = ?, used_at = ? WHERE token_id = ?",
                e.peerId, recorded.recordedAt, e.tokenId
            )
        case .tokenRevoked(let e):
            try db.execute(
                cached: "UPDATE tokens SET state = 'revoked', revoked_reason = ?, revoked_at = ? WHERE token_id = ?",
                e.reason.rawValue, recorded.recordedAt, e.tokenId
            )
        case .roomEnded(let e) where e.reason != .empty:
            let reason: TokenRevokeReason = e.reason == .closed ? .roomClosed : .expiredSweep
            try db.execute(
                cached: "UPDATE tokens SET state = 'revoked', revoked_reason = ?, revoked_at = ? WHERE room_code = ? AND state = 'issued'",
                reason.rawValue, recorded.recordedAt, e.room
            )
        default:
            break
        }
    }
}
