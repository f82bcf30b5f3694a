public import Ledger

// The record types are plain values: reading them from a row (and their `FetchableRecord`
// conformances) lives in Records+Row.swift, the one place here that sees GRDB, so the rules in
// Decisions that take these types compile without it.

/// A row of `rooms`.
public struct RoomRecord: Codable, Sendable, Hashable {
    public var code: String
    public var hostName: String
    public var maxPeers: Int
    public var createdBy: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var state: RoomLifecycle
    public var peerCount: Int
    public var endedAt: Int64?
    public var endReason: String?

    public var isLive: Bool { state == .live }

    public init(
        code: String,
        hostName: String,
        maxPeers: Int,
        createdBy: String,
        createdAt: Int64,
        expiresAt: Int64,
        state: RoomLifecycle,
        peerCount: Int,
        endedAt: Int64? = nil,
        endReason: String? = nil
    ) {
        self.code = code
        self.hostName = hostName
        self.maxPeers = maxPeers
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.state = state
        self.peerCount = peerCount
        self.endedAt = endedAt
        self.endReason = endReason
    }
}

/// A row of `room_peers`: someone present in a room.
public struct RoomPeerRecord: Codable, Sendable, Hashable {
    public var roomCode: String
    public var peerId: String
    public var displayName: String
    public var tokenId: String
    public var joinedAt: Int64

    public init(
        roomCode: String,
        peerId: String,
        displayName: String,
        tokenId: String,
        joinedAt: Int64
    ) {
        self.roomCode = roomCode
        self.peerId = peerId
        self.displayName = displayName
        self.tokenId = tokenId
        self.joinedAt = joinedAt
    }
}

/// A row of `tokens`. `tokenHash` is the SHA-256 of the secret, never the secret.
public struct TokenRecord: Codable, Sendable, Hashable {
    public var tokenId: String
    public var roomCode: String
    public var tokenHash: String
    public var role: TokenRole
    public var label: String?
    public var invitee: String?
    public var issuedAt: Int64
    public var expiresAt: Int64
    /// See `status(now:)` for the clock-aware state.
    public var state: TokenState
    public var usedByPeer: String?
    public var usedAt: Int64?
    public var revokedReason: String?
    public var revokedAt: Int64?

    /// The state with expiry applied.
    public func status(now: Int64) -> TokenStatus {
        switch state {
        case .issued: return now >= expiresAt ? .expired : .issued
        case .used: return .used
        case .revoked: return .revoked
        }
    }

    public init(
        tokenId: String,
        roomCode: String,
        tokenHash: String,
        role: TokenRole,
        label: String? = nil,
        invitee: String? = nil,
        issuedAt: Int64,
        expiresAt: Int64,
        state: TokenState,
        usedByPeer: String? = nil,
        usedAt: Int64? = nil,
        revokedReason: String? = nil,
        revokedAt: Int64? = nil
    ) {
        self.tokenId = tokenId
        self.roomCode = roomCode
        self.tokenHash = tokenHash
        self.role = role
        self.label = label
        self.invitee = invitee
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.state = state
        self.usedByPeer = usedByPeer
        self.usedAt = usedAt
        self.revokedReason = revokedReason
        self.revokedAt = revokedAt
    }
}

/// A row of `incoming_calls`.
public struct IncomingCallRecord: Codable, Sendable, Hashable {
    public var inviteId: String
    public var nostrEventId: String
    public var senderPubkey: String
    public var senderName: String
    public var roomCode: String
    public var joinUrl: String
    public var sentAt: Int64
    public var receivedAt: Int64
    /// Stored status; see `status(now:ringWindow:)`.
    public var status: IncomingCallStatus
    public var statusChangedAt: Int64
    public var position: Int64

    /// The status with the ring window applied (`RingWindow`): a ringing call nobody answered in time
    /// is `missed`.
    public func status(now: Int64, ringWindow: Int64) -> IncomingCallStatus {
        RingWindow(ringWindow).status(status, receivedAt: receivedAt, now: now)
    }

    public init(
        inviteId: String,
        nostrEventId: String,
        senderPubkey: String,
        senderName: String,
        roomCode: String,
        joinUrl: String,
        sentAt: Int64,
        receivedAt: Int64,
        status: IncomingCallStatus,
        statusChangedAt: Int64,
        position: Int64
    ) {
        self.inviteId = inviteId
        self.nostrEventId = nostrEventId
        self.senderPubkey = senderPubkey
        self.senderName = senderName
        self.roomCode = roomCode
        self.joinUrl = joinUrl
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.status = status
        self.statusChangedAt = statusChangedAt
        self.position = position
    }
}

/// A row of `outgoing_invites`.
public struct OutgoingInviteRecord: Codable, Sendable, Hashable {
    public var inviteId: String
    public var roomCode: String
    public var contactPubkey: String
    public var transport: String
    public var tokenId: String?
    public var requestedAt: Int64
    public var state: OutgoingInviteState
    public var attempts: Int
    public var relaysOk: Int
    public var lastError: String?
    public var updatedAt: Int64

    public init(
        inviteId: String,
        roomCode: String,
        contactPubkey: String,
        transport: String,
        tokenId: String? = nil,
        requestedAt: Int64,
        state: OutgoingInviteState,
        attempts: Int,
        relaysOk: Int,
        lastError: String? = nil,
        updatedAt: Int64
    ) {
        self.inviteId = inviteId
        self.roomCode = roomCode
        self.contactPubkey = contactPubkey
        self.transport = transport
        self.tokenId = tokenId
        self.requestedAt = requestedAt
        self.state = state
        self.attempts = attempts
        self.relaysOk = relaysOk
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}

/// A call in the history: a hosted room or a received invite (`Queries.history`).
public struct CallHistoryRecord: Codable, Sendable, Hashable {
    public var callId: String
    public var direction: CallDirection
    public var roomCode: String
    public var counterpart: String
    /// JSON array of display names.
    public var participants: String
    public var peakPeers: Int
    public var startedAt: Int64
    public var endedAt: Int64?
    public var durationMs: Int64?
    public var outcome: CallOutcome
    public var position: Int64

    /// The outcome with the ring window applied (`RingWindow`; an incoming call starts when received).
    public func outcome(now: Int64, ringWindow: Int64) -> CallOutcome {
        outcome == .ringing && !RingWindow(ringWindow).rings(receivedAt: startedAt, now: now) ? .missed : outcome
    }

    public init(
        callId: String,
        direction: CallDirection,
        roomCode: String,
        counterpart: String,
        participants: String,
        peakPeers: Int,
        startedAt: Int64,
        endedAt: Int64? = nil,
        durationMs: Int64? = nil,
        outcome: CallOutcome,
        position: Int64
    ) {
        self.callId = callId
        self.direction = direction
        self.roomCode = roomCode
        self.counterpart = counterpart
        self.participants = participants
        self.peakPeers = peakPeers
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.outcome = outcome
        self.position = position
    }
}

/// The bell: unread incoming calls and the ledger position it reflects.
public struct BellRecord: Codable, Sendable, Hashable {
    public var unread: Int
    public var position: Int64

    public init(
        unread: Int,
        position: Int64
    ) {
        self.unread = unread
        self.position = position
    }
}
