public import GRDB

/// The role a token admits its holder with.
public enum TokenRole: String, Codable, Sendable, CaseIterable {
    case host, guest
}

/// Why a token was revoked.
public enum TokenRevokeReason: String, Codable, Sendable, CaseIterable {
    case roomClosed = "room_closed"
    case expiredSweep = "expired_sweep"
    case owner
}

/// `token.issued` on `token-<id>`. Only the SHA-256 of the secret token is stored.
public struct TokenIssued: EventPayload {
    public static let eventType = "token.issued"
    public var tokenId: String
    public var room: String
    /// Lowercase hex SHA-256 of the token the holder presents.
    public var tokenHash: String
    public var role: TokenRole
    public var label: String?
    /// The contact's public key when the token was minted for an invite.
    public var invitee: String?
    /// Unix milliseconds.
    public var expiresAt: Int64

    public init(
        tokenId: String,
        room: String,
        tokenHash: String,
        role: TokenRole,
        label: String? = nil,
        invitee: String? = nil,
        expiresAt: Int64
    ) {
        self.tokenId = tokenId
        self.room = room
        self.tokenHash = tokenHash
        self.role = role
        self.label = label
        self.invitee = invitee
        self.expiresAt = expiresAt
    }
}

/// `token.used` on `token-<id>`: the token admitted this peer. A token is used once.
public struct TokenUsed: EventPayload {
    public static let eventType = "token.used"
    public var tokenId: String
    public var room: String
    public var peerId: String

    public init(tokenId: String, room: String, peerId: String) {
        self.tokenId = tokenId
        self.room = room
        self.peerId = peerId
    }
}

/// `token.revoked` on `token-<id>`.
public struct TokenRevoked: EventPayload {
    public static let eventType = "token.revoked"
    public var tokenId: String
    public var room: String
    public var reason: TokenRevokeReason

    public init(tokenId: String, room: String, reason: TokenRevokeReason) {
        self.tokenId = tokenId
        self.room = room
        self.reason = reason
    }
}

extension TokenRole: DatabaseValueConvertible {}
