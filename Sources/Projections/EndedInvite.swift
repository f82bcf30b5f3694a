public import GRDB
public import Ledger

/// The invite that an `invite.cancelled` or `invite.declined` ends, and which way it went.
///
/// Those two event types close both an incoming call (the caller withdrew it, the owner declined it)
/// and one of our own invites to a contact (we withdrew it, the contact declined it). Event types are
/// history and do not change, so the direction is learned from the projections, here, once: the live
/// stream and the push dispatcher both ask `Queries.endedInvite(by:in:)`.
public enum EndedInvite: Sendable, Hashable {
    /// An incoming call, as its row reads in the same snapshot.
    case incoming(IncomingCallRecord)
    /// One of our invites to a contact, as its row reads in the same snapshot.
    case outgoing(OutgoingInviteRecord)
}

extension Queries {
    /// Which invite `event` ends, when it is an `invite.cancelled` or `invite.declined`; nil for any
    /// other event, and for an invite neither read model knows. One read: both lookups are on `db`.
    public static func endedInvite(by event: LedgerEvent, in db: Database) throws -> EndedInvite? {
        let inviteId: String
        switch event {
        case .inviteCancelled(let e): inviteId = e.inviteId
        case .inviteDeclined(let e): inviteId = e.inviteId
        default: return nil
        }
        if let call = try incomingCall(id: inviteId, in: db) { return .incoming(call) }
        if let invite = try outgoingInvite(id: inviteId, in: db) { return .outgoing(invite) }
        return nil
    }
}
