// The states the read models store, as types: a misspelt state does not compile, and a switch over
// one is checked for completeness. Each is stored as its raw value (the text the projections write;
// the `DatabaseValueConvertible` conformances are in Records+Row.swift).

/// A room is open until it ends.
public enum RoomLifecycle: String, Codable, Sendable, CaseIterable {
    case live, ended
}

/// A token as stored: issued until it is used or revoked. See `TokenStatus` for expiry.
public enum TokenState: String, Codable, Sendable, CaseIterable {
    case issued, used, revoked
}

/// A token's state with the clock applied: an issued token past its expiry is `expired`.
public enum TokenStatus: String, Codable, Sendable, CaseIterable {
    case issued, used, revoked, expired
}

/// An incoming call as stored. `missed`: the caller cancelled or the room closed before an answer.
/// With the ring window applied (`IncomingCallRecord.status(now:ringWindow:)`), an unanswered ringing
/// call is `missed` too.
public enum IncomingCallStatus: String, Codable, Sendable, CaseIterable {
    case ringing, missed, accepted, dismissed, declined
}

/// The delivery state of an outgoing invite.
public enum OutgoingInviteState: String, Codable, Sendable, CaseIterable {
    case pending, sent, failed, declined, answered, cancelled

    /// The invite may still be delivered or cancelled.
    public var isOpen: Bool { self == .pending || self == .sent || self == .failed }
}

/// Which way a call in the history went.
public enum CallDirection: String, Codable, Sendable, CaseIterable {
    case outgoing, incoming
}

/// How a call in the history ended (or that it has not yet).
public enum CallOutcome: String, Codable, Sendable, CaseIterable {
    /// Hosted calls: still open, then answered (two or more people met) or unanswered.
    case ongoing, answered, unanswered
    /// Incoming calls: ringing until the owner answers one way or the other, or it is missed.
    case ringing, accepted, declined, dismissed, missed
}
