import CrowSecurity
public import Ledger
public import Projections

/// Decisions about call invites, outgoing (we call a contact) and incoming (a contact calls us).
public enum InviteDecisions {
    /// Queues an invite to a contact for the outbox. `nostrEvents` are signed and encrypted already.
    public static func request(
        room: RoomState?,
        inviteId: String,
        contactPubkey: String,
        transport: InviteTransport,
        tokenId: String?,
        nostrEvents: [JSONValue]
    ) throws(Rejection) -> [StreamAppend] {
        guard let room else { throw .roomNotFound }
        guard room.room.isLive else { throw .roomEnded }
        try checkInviteId(inviteId)
        guard TextRules.isHex64(contactPubkey) else { throw .invalidRequest("contact public key must be 64 hex characters") }
        guard !nostrEvents.isEmpty, nostrEvents.count <= 16 else {
            throw .invalidRequest("an invite carries 1 to 16 Nostr events")
        }
        return [
            StreamAppend(
                stream: StreamName.invite(inviteId),
                expected: .noStream,
                events: [
                    .inviteRequested(
                        InviteRequested(
                            inviteId: inviteId,
                            room: room.room.code,
                            contactPubkey: contactPubkey,
                            transport: transport,
                            tokenId: tokenId,
                            nostrEvents: nostrEvents
                        )
                    )
                ]
            )
        ]
    }

    /// The outbox delivered the invite: at least one relay said OK. Zero OKs is not a delivery.
    public static func recordSent(
        invite: Versioned<OutgoingInviteRecord>?,
        relays: [RelayOutcome],
        attempts: Int
    ) throws(Rejection) -> [StreamAppend] {
        let invite = try pendingOutgoing(invite)
        guard relays.contains(where: \.ok) else { throw .noRelayAccepted }
        return [
            outgoing(invite, .inviteSent(InviteSent(inviteId: invite.value.inviteId, relays: relays, attempts: attempts)))
        ]
    }

    /// The outbox gave up on the invite.
    public static func recordFailed(
        invite: Versioned<OutgoingInviteRecord>?,
        relays: [RelayOutcome],
        attempts: Int,
        reason: String
    ) throws(Rejection) -> [StreamAppend] {
        let invite = try pendingOutgoing(invite)
        let event = InviteFailed(
            inviteId: invite.value.inviteId,
            relays: relays,
            attempts: attempts,
            reason: TextRules.clean(reason, limit: 500)
        )
        return [outgoing(invite, .inviteFailed(event))]
    }

    /// The contact answered our invite with call_declined or call_busy.
    public static func remoteDeclined(
        invite: Versioned<OutgoingInviteRecord>?,
        busy: Bool
    ) throws(Rejection) -> [StreamAppend] {
        guard let invite else { throw .inviteNotFound }
        guard invite.value.state.isOpen else { throw .inviteState(invite.value.state.rawValue) }
        let by = busy ? "busy" : "remote"
        return [outgoing(invite, .inviteDeclined(InviteDeclined(inviteId: invite.value.inviteId, by: by)))]
    }

    /// We withdraw an outgoing invite (the owner hung up before the contact answered).
    public static func cancelOutgoing(
        invite: Versioned<OutgoingInviteRecord>?,
        reason: String
    ) throws(Rejection) -> [StreamAppend] {
        guard let invite else { throw .inviteNotFound }
        guard invite.value.state.isOpen else { throw .inviteState(invite.value.state.rawValue) }
        return [outgoing(invite, .inviteCancelled(InviteCancelled(inviteId: invite.value.inviteId, reason: reason)))]
    }

    /// A verified, decrypted invite from a contact. Everything in it came from another machine, so it
    /// is checked and capped here: ids, the room code, the join URL (never javascript: or data:), the
    /// caller's name (cleaned and capped), and duplicates (the same Nostr event twice rings once).
    /// `invite` is the ledger's own payload, filled from the wire; what is appended is a checked copy.
    public static func receive(
        _ invite: InviteReceived,
        alreadyReceived: Bool
    ) throws(Rejection) -> [StreamAppend] {
        try checkInviteId(invite.inviteId)
        guard !alreadyReceived else { throw .duplicateInvite }
        guard TextRules.isHex64(invite.nostrEventId) else { throw .invalidRequest("event id must be 64 hex characters") }
        guard TextRules.isHex64(invite.senderPubkey) else { throw .invalidRequest("sender must be a hex public key") }
        guard TextRules.isRoomCode(invite.room) else { throw .invalidRequest("room code is malformed") }
        guard TextRules.isSafeJoinURL(invite.joinUrl) else {
            throw .invalidRequest("join URL must be https, or http to a loopback or tailnet host")
        }
        let event = InviteReceived(
            inviteId: invite.inviteId,
            nostrEventId: invite.nostrEventId,
            senderPubkey: invite.senderPubkey,
            senderName: TextRules.displayName(invite.senderName, fallback: "Unknown caller"),
            room: invite.room,
            joinUrl: invite.joinUrl,
            sentAt: invite.sentAt,
            receivedAt: invite.receivedAt
        )
        return [
            StreamAppend(stream: StreamName.invite(invite.inviteId), expected: .noStream, events: [.inviteReceived(event)])
        ]
    }

    /// The owner puts an incoming call aside (from ringing, or a missed call).
    public static func dismiss(_ call: Versioned<IncomingCallRecord>?) throws(Rejection) -> [StreamAppend] {
        let call = try incoming(call, allowed: [.ringing, .missed])
        return [incoming(call, .inviteDismissed(InviteDismissed(inviteId: call.value.inviteId)))]
    }

    /// The owner joins an incoming call. A call that rang past the ring window can still be joined from
    /// the Incoming list while its caller has not withdrawn it.
    public static func accept(_ call: Versioned<IncomingCallRecord>?) throws(Rejection) -> [StreamAppend] {
        let call = try incoming(call, allowed: [.ringing])
        return [incoming(call, .inviteAccepted(InviteAccepted(inviteId: call.value.inviteId)))]
    }

    /// The owner declines an incoming call.
    public static func decline(_ call: Versioned<IncomingCallRecord>?) throws(Rejection) -> [StreamAppend] {
        let call = try incoming(call, allowed: [.ringing])
        return [incoming(call, .inviteDeclined(InviteDeclined(inviteId: call.value.inviteId, by: "owner")))]
    }

    /// The caller withdrew a ringing call (room_closed or call_cancelled): it becomes missed.
    public static func remoteCancelled(
        _ call: Versioned<IncomingCallRecord>?,
        reason: String
    ) throws(Rejection) -> [StreamAppend] {
        let call = try incoming(call, allowed: [.ringing])
        let reason = TextRules.clean(reason, limit: 64)
        return [incoming(call, .inviteCancelled(InviteCancelled(inviteId: call.value.inviteId, reason: reason)))]
    }

    // MARK: - Helpers

    private static func checkInviteId(_ id: String) throws(Rejection) {
        guard (8...64).contains(id.utf8.count), TextRules.isRoomCode(id) else {
            throw .invalidRequest("invite id is malformed")
        }
    }

    private static func pendingOutgoing(
        _ invite: Versioned<OutgoingInviteRecord>?
    ) throws(Rejection) -> Versioned<OutgoingInviteRecord> {
        guard let invite else { throw .inviteNotFound }
        guard invite.value.state == .pending else { throw .inviteState(invite.value.state.rawValue) }
        return invite
    }

    private static func incoming(
        _ call: Versioned<IncomingCallRecord>?,
        allowed: Set<IncomingCallStatus>
    ) throws(Rejection) -> Versioned<IncomingCallRecord> {
        guard let call else { throw .inviteNotFound }
        guard allowed.contains(call.value.status) else { throw .inviteState(call.value.status.rawValue) }
        return call
    }

    private static func outgoing(_ invite: Versioned<OutgoingInviteRecord>, _ event: LedgerEvent) -> StreamAppend {
        StreamAppend(stream: StreamName.invite(invite.value.inviteId), expected: .exact(invite.version), events: [event])
    }

    private static func incoming(_ call: Versioned<IncomingCallRecord>, _ event: LedgerEvent) -> StreamAppend {
        StreamAppend(stream: StreamName.invite(call.value.inviteId), expected: .exact(call.version), events: [event])
    }
}
