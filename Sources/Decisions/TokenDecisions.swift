import CrowSecurity
public import Ledger
public import Projections

/// Decisions about room tokens.
public enum TokenDecisions {
    /// A new single-use guest (or extra host) token for a live room.
    public static func issue(
        room: RoomState?,
        token: NewToken,
        role: TokenRole,
        label: String?,
        invitee: String?,
        now: Int64,
        ttl: Int64
    ) throws(Rejection) -> [StreamAppend] {
        guard let room else { throw .roomNotFound }
        guard room.room.isLive else { throw .roomEnded }
        guard ttl > 0 else { throw .invalidRequest("ttl must be positive") }
        try checkNewToken(token)
        if let invitee, !TextRules.isHex64(invitee) { throw .invalidRequest("invitee must be a hex public key") }
        let cleanLabel = label.map { TextRules.clean($0, limit: TextRules.maxLabel) }.flatMap { $0.isEmpty ? nil : $0 }
        // A token never outlives its room.
        let expiresAt = min(now + ttl, room.room.expiresAt)
        return [
            StreamAppend(
                stream: StreamName.token(token.id),
                expected: .noStream,
                events: [
                    .tokenIssued(
                        TokenIssued(
                            tokenId: token.id,
                            room: room.room.code,
                            tokenHash: token.hash,
                            role: role,
                            label: cleanLabel,
                            invitee: invitee,
                            expiresAt: expiresAt
                        )
                    )
                ]
            )
        ]
    }

    /// The owner revokes a token that has not been used.
    public static func revoke(
        token: Versioned<TokenRecord>?,
        reason: TokenRevokeReason
    ) throws(Rejection) -> [StreamAppend] {
        guard let token else { throw .tokenInvalid }
        switch token.value.state {
        case .used: throw .tokenUsed
        case .revoked: throw .tokenRevoked
        case .issued: break
        }
        return [
            StreamAppend(
                stream: StreamName.token(token.value.tokenId),
                expected: .exact(token.version),
                events: [
                    .tokenRevoked(TokenRevoked(tokenId: token.value.tokenId, room: token.value.roomCode, reason: reason))
                ]
            )
        ]
    }

    static func checkNewToken(_ token: NewToken) throws(Rejection) {
        guard (8...64).contains(token.id.utf8.count), TextRules.isRoomCode(token.id) else {
            throw .invalidRequest("token id is malformed")
        }
        guard TextRules.isHex64(token.hash) else { throw .invalidRequest("token hash must be hex SHA-256") }
    }
}
