import CrowSecurity
public import Ledger
public import Projections

/// Decisions about rooms and the people in them. Pure: state in, events (with the stream versions they
/// must be appended at) or a rejection out.
public enum RoomDecisions {
    public struct CreateRoom: Sendable, Hashable {
        public var code: String
        public var hostName: String
        public var maxPeers: Int
        public var createdBy: RoomCreator
        public var hostToken: NewToken
        public var now: Int64
        /// How long the room and its host token stay valid, in milliseconds.
        public var ttl: Int64

        public init(
            code: String,
            hostName: String,
            maxPeers: Int,
            createdBy: RoomCreator,
            hostToken: NewToken,
            now: Int64,
            ttl: Int64
        ) {
            self.code = code
            self.hostName = hostName
            self.maxPeers = maxPeers
            self.createdBy = createdBy
            self.hostToken = hostToken
            self.now = now
            self.ttl = ttl
        }
    }

    /// A new room and its host token. `peerLimit` is the gateway's cap (`CROW_CALLS_MAX_PEERS`).
    public static func create(
        _ command: CreateRoom,
        existing: RoomRecord?,
        peerLimit: Int
    ) throws(Rejection) -> [StreamAppend] {
        guard TextRules.isRoomCode(command.code) else { throw .invalidRequest("room code is malformed") }
        guard existing == nil else { throw .roomExists }
        // `2 <= maxPeers <= peerLimit`, written so that a misconfigured limit below 2 refuses, not traps.
        guard command.maxPeers >= 2, command.maxPeers <= peerLimit else {
            throw .invalidRequest("maxPeers must be between 2 and \(peerLimit)")
        }
        guard command.ttl > 0 else { throw .invalidRequest("ttl must be positive") }
        try TokenDecisions.checkNewToken(command.hostToken)
        let expiresAt = command.now + command.ttl
        let hostName = TextRules.displayName(command.hostName, fallback: "Host")
        return [
            StreamAppend(
                stream: StreamName.room(command.code),
                expected: .noStream,
                events: [
                    .roomCreated(
                        RoomCreated(
                            code: command.code,
                            hostName: hostName,
                            maxPeers: command.maxPeers,
                            createdBy: command.createdBy,
                            expiresAt: expiresAt
                        )
                    )
                ]
            ),
            StreamAppend(
                stream: StreamName.token(command.hostToken.id),
                expected: .noStream,
                events: [
                    .tokenIssued(
                        TokenIssued(
                            tokenId: command.hostToken.id,
                            room: command.code,
                            tokenHash: command.hostToken.hash,
                            role: .host,
                            label: hostName,
                            expiresAt: expiresAt
                        )
                    )
                ]
            ),
        ]
    }

    /// Admits the holder of a token: `token.used` and `peer.joined`, appended together. The checks run in
    /// the order a person would want to hear about them: no such room, not your room's link, the call
    /// is over, the link was used, revoked or expired, and only then whether there is a seat.
    ///
    /// `presentedHash` is compared with the stored hash in constant time even though the lookup was by hash.
    public static func admit(
        roomCode: String,
        room: RoomState?,
        token: Versioned<TokenRecord>?,
        presentedHash: String,
        peerId: String,
        displayName: String,
        now: Int64
    ) throws(Rejection) -> [StreamAppend] {
        guard let room else { throw .roomNotFound }
        guard let token, token.value.roomCode == roomCode,
            ConstantTime.equals(token.value.tokenHash, presentedHash)
        else { throw .tokenInvalid }
        guard room.room.isLive else { throw .roomEnded }
        switch token.value.state {
        case .used: throw .tokenUsed
        case .revoked: throw .tokenRevoked
        case .issued: break
        }
        guard now < token.value.expiresAt else { throw .tokenExpired }
        guard room.peers.count < room.room.maxPeers else { throw .roomFull }
        guard !peerId.isEmpty, !room.peers.contains(where: { $0.peerId == peerId }) else {
            throw .invalidRequest("peer id is taken")
        }
        let name = TextRules.displayName(displayName, fallback: token.value.role == .host ? room.room.hostName : "Guest")
        return [
            StreamAppend(
                stream: StreamName.token(token.value.tokenId),
                expected: .exact(token.version),
                events: [.tokenUsed(TokenUsed(tokenId: token.value.tokenId, room: roomCode, peerId: peerId))]
            ),
            StreamAppend(
                stream: StreamName.room(roomCode),
                expected: .exact(room.version),
                events: [
                    .peerJoined(
                        PeerJoined(room: roomCode, peerId: peerId, displayName: name, tokenId: token.value.tokenId)
                    )
                ]
            ),
        ]
    }

    /// A participant leaves (hangs up, drops, times out, is kicked, or the gateway stops).
    public static func leave(
        room: RoomState?,
        peerId: String,
        reason: LeaveReason
    ) throws(Rejection) -> [StreamAppend] {
        guard let room else { throw .roomNotFound }
        guard room.peers.contains(where: { $0.peerId == peerId }) else { throw .peerNotFound }
        return [
            StreamAppend(
                stream: StreamName.room(room.room.code),
                expected: .exact(room.version),
                events: [.peerLeft(PeerLeft(room: room.room.code, peerId: peerId, reason: reason))]
            )
        ]
    }

    /// Ends a room. `closed` and `expired` remove everyone still in it (`peer.left(kicked)`) and revoke
    /// its unused tokens; `empty` is refused while anyone is present. Every reason cancels the room's
    /// outgoing invites that are still open, so nobody is left ringing for a call that is over.
    public static func end(
        room: RoomState?,
        reason: RoomEndReason,
        unusedTokens: [Versioned<TokenRecord>],
        openInvites: [Versioned<OutgoingInviteRecord>],
        now: Int64
    ) throws(Rejection) -> [StreamAppend] {
        guard let room else { throw .roomNotFound }
        guard room.room.isLive else { throw .roomEnded }
        let code = room.room.code
        var roomEvents: [LedgerEvent] = []
        switch reason {
        case .empty:
            guard room.peers.isEmpty else { throw .roomNotEmpty }
        case .closed, .expired:
            roomEvents += room.peers.map { .peerLeft(PeerLeft(room: code, peerId: $0.peerId, reason: .kicked)) }
        }
        roomEvents.append(
            .roomEnded(RoomEnded(room: code, reason: reason, durationMs: max(0, now - room.room.createdAt)))
        )
        var appends = [StreamAppend(stream: StreamName.room(code), expected: .exact(room.version), events: roomEvents)]
        if reason != .empty {
            let revokeReason: TokenRevokeReason = reason == .closed ? .roomClosed : .expiredSweep
            for token in unusedTokens where token.value.roomCode == code && token.value.state == .issued {
                appends.append(
                    StreamAppend(
                        stream: StreamName.token(token.value.tokenId),
                        expected: .exact(token.version),
                        events: [
                            .tokenRevoked(TokenRevoked(tokenId: token.value.tokenId, room: code, reason: revokeReason))
                        ]
                    )
                )
            }
        }
        for invite in openInvites
        where invite.value.roomCode == code && invite.value.state.isOpen {
            appends.append(
                StreamAppend(
                    stream: StreamName.invite(invite.value.inviteId),
                    expected: .exact(invite.version),
                    events: [.inviteCancelled(InviteCancelled(inviteId: invite.value.inviteId, reason: "room_\(reason.rawValue)"))]
                )
            )
        }
        return appends
    }
}
