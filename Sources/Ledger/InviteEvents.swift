/// How an invite travels to a contact (docs/EVENTS.md).
public enum InviteTransport: String, Codable, Sendable, CaseIterable {
    /// NIP-17 message in a NIP-59 gift wrap.
    case nip17
    /// Crow's kind-4 event with NIP-44 content.
    case crow
}

/// One relay's answer to a publish attempt.
public struct RelayOutcome: Codable, Sendable, Hashable {
    public var url: String
    public var ok: Bool
    public var message: String?

    public init(url: String, ok: Bool, message: String? = nil) {
        self.url = url
        self.ok = ok
        self.message = message
    }
}

/// `invite.requested` on `invite-<id>`: an outgoing invite queued for the outbox. The Nostr events are
/// already signed and encrypted to the recipient, so no plaintext token enters the ledger.
public struct InviteRequested: EventPayload {
    public static let eventType = "invite.requested"
    public var inviteId: String
    public var room: String
    public var contactPubkey: String
    public var transport: InviteTransport
    public var tokenId: String?
    public var nostrEvents: [JSONValue]

    public init(
        inviteId: String,
        room: String,
        contactPubkey: String,
        transport: InviteTransport,
        tokenId: String?,
        nostrEvents: [JSONValue]
    ) {
        self.inviteId = inviteId
        self.room = room
        self.contactPubkey = contactPubkey
        self.transport = transport
        self.tokenId = tokenId
        self.nostrEvents = nostrEvents
    }
}

/// `invite.sent` on `invite-<id>`: at least one relay accepted the event.
public struct InviteSent: EventPayload {
    public static let eventType = "invite.sent"
    public var inviteId: String
    public var relays: [RelayOutcome]
    public var attempts: Int

    public init(inviteId: String, relays: [RelayOutcome], attempts: Int) {
        self.inviteId = inviteId
        self.relays = relays
        self.attempts = attempts
    }
}

/// `invite.failed` on `invite-<id>`: the outbox gave up.
public struct InviteFailed: EventPayload {
    public static let eventType = "invite.failed"
    public var inviteId: String
    public var relays: [RelayOutcome]
    public var attempts: Int
    public var reason: String

    public init(inviteId: String, relays: [RelayOutcome], attempts: Int, reason: String) {
        self.inviteId = inviteId
        self.relays = relays
        self.attempts = attempts
        self.reason = reason
    }
}

/// `invite.received` on `invite-<id>`: a verified, decrypted invite from a contact.
public struct InviteReceived: EventPayload {
    public static let eventType = "invite.received"
    public var inviteId: String
    public var nostrEventId: String
    public var senderPubkey: String
    public var senderName: String
    public var room: String
    public var joinUrl: String
    /// Unix milliseconds, as the sender claims.
    public var sentAt: Int64
    /// Unix milliseconds, by our clock.
    public var receivedAt: Int64

    public init(
        inviteId: String,
        nostrEventId: String,
        senderPubkey: String,
        senderName: String,
        room: String,
        joinUrl: String,
        sentAt: Int64,
        receivedAt: Int64
    ) {
        self.inviteId = inviteId
        self.nostrEventId = nostrEventId
        self.senderPubkey = senderPubkey
        self.senderName = senderName
        self.room = room
        self.joinUrl = joinUrl
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}

/// `invite.dismissed` on `invite-<id>`: the owner put an incoming call aside.
public struct InviteDismissed: EventPayload {
    public static let eventType = "invite.dismissed"
    public var inviteId: String
    public init(inviteId: String) { self.inviteId = inviteId }
}

/// `invite.accepted` on `invite-<id>`: the owner joined an incoming call.
public struct InviteAccepted: EventPayload {
    public static let eventType = "invite.accepted"
    public var inviteId: String
    public init(inviteId: String) { self.inviteId = inviteId }
}

/// `invite.declined` on `invite-<id>`: the owner declined an incoming call, or the contact declined ours.
public struct InviteDeclined: EventPayload {
    public static let eventType = "invite.declined"
    public var inviteId: String
    /// `owner` (we declined), `remote` (they answered call_declined) or `busy` (call_busy).
    public var by: String
    public init(inviteId: String, by: String) {
        self.inviteId = inviteId
        self.by = by
    }
}

/// `invite.cancelled` on `invite-<id>`: the caller withdrew (room_closed / call_cancelled), or we did.
public struct InviteCancelled: EventPayload {
    public static let eventType = "invite.cancelled"
    public var inviteId: String
    public var reason: String
    public init(inviteId: String, reason: String) {
        self.inviteId = inviteId
        self.reason = reason
    }
}
