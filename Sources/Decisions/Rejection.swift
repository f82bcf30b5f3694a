/// Why a command was refused. `code` is stable: the gateway maps it to an HTTP status or close code.
public enum Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidRequest(String)
    /// Unknown token, or a token for another room.
    case tokenInvalid
    case tokenUsed
    case tokenExpired
    case tokenRevoked
    case roomNotFound
    case roomFull
    case roomEnded
    case roomNotEmpty
    /// A room with this code exists already (codes are random; the caller draws another).
    case roomExists
    case peerNotFound
    case inviteNotFound
    /// The command applies to incoming invites and this one is outgoing, or the other way round.
    case inviteWrongDirection
    /// The invite is not in a state that allows the command.
    case inviteState(String)
    /// An invite with this Nostr event id was received before.
    case duplicateInvite
    /// Recording a delivery needs at least one relay that said OK.
    case noRelayAccepted

    public var code: String {
        switch self {
        case .invalidRequest: return "invalid_request"
        case .tokenInvalid: return "token_invalid"
        case .tokenUsed: return "token_used"
        case .tokenExpired: return "token_expired"
        case .tokenRevoked: return "token_revoked"
        case .roomNotFound: return "room_not_found"
        case .roomFull: return "room_full"
        case .roomEnded: return "room_ended"
        case .roomNotEmpty: return "room_not_empty"
        case .roomExists: return "room_exists"
        case .peerNotFound: return "peer_not_found"
        case .inviteNotFound: return "invite_not_found"
        case .inviteWrongDirection: return "invite_wrong_direction"
        case .inviteState: return "invite_state"
        case .duplicateInvite: return "duplicate_invite"
        case .noRelayAccepted: return "no_relay_accepted"
        }
    }

    public var description: String {
        switch self {
        case .invalidRequest(let reason): return reason
        case .tokenInvalid: return "This link is not valid for this room."
        case .tokenUsed: return "This link has already been used."
        case .tokenExpired: return "This link has expired."
        case .tokenRevoked: return "This link was revoked."
        case .roomNotFound: return "There is no such room."
        case .roomFull: return "The room is full."
        case .roomEnded: return "The call has ended."
        case .roomNotEmpty: return "The room still has participants."
        case .roomExists: return "A room with this code exists."
        case .peerNotFound: return "That participant is not in the room."
        case .inviteNotFound: return "There is no such invite."
        case .inviteWrongDirection: return "That invite goes the other way."
        case .inviteState(let status): return "The invite is \(status)."
        case .duplicateInvite: return "This invite was received before."
        case .noRelayAccepted: return "No relay accepted the invite."
        }
    }
}
