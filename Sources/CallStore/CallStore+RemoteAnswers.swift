import CrowSecurity
import Decisions
import Projections

/// What a contact's answer did to this gateway's calls with them: the inbox turns it into what it
/// tells the relay and counts.
public enum RemoteAnswerResult: Sendable, Equatable {
    /// It settled at least one call.
    case applied
    /// Every call it answers was settled already: the same answer again (a relay's redelivery, or a
    /// replay after a restart emptied the inbox's memory of ids).
    case duplicate
    /// It is older than every call it could answer: it answers an earlier call into the same room.
    case stale
    /// There is no call it could answer.
    case noSuchCall
}

extension CallStore {
    /// A caller withdrew (`room_closed` or `call_cancelled` for `room`, sent at `answeredAt` by the
    /// caller's clock): each of their calls into that room that the withdrawal is not older than is
    /// recorded as cancelled by the caller. Both times are the caller's clock, so they compare exactly
    /// (to the second the Nostr event carries).
    ///
    /// A call that can no longer be withdrawn (accepted, missed already) is refused by the decision,
    /// and that is fine; a write the ledger refused is not, and throws.
    public func withdrawIncoming(from sender: String, room: String, answeredAt: Int64) async throws(CallError) -> RemoteAnswerResult {
        let found = try await read { db in try Queries.incomingCalls(from: sender, room: room, in: db) }
        let answered = found.filter { $0.sentAt <= answeredAt.saturatingAdd(999) }
        if answered.isEmpty { return found.isEmpty ? .noSuchCall : .stale }
        if answered.allSatisfy({ $0.status == .missed }) { return .duplicate }
        for call in answered {
            do { try await recordRemoteCancelled(call.inviteId, reason: "caller") } catch .rejected { continue }
        }
        return .applied
    }

    /// A contact answered our invite into `room` (`call_declined`, or `call_busy` when `busy`), sent at
    /// `answeredAt` by their clock. Our invites' times are our clock, so an answer older than an invite
    /// by more than `clockSkew` answers an earlier one and is stale.
    public func recordAnswer(
        from sender: String,
        room: String,
        busy: Bool,
        answeredAt: Int64,
        clockSkew: Int64
    ) async throws(CallError) -> RemoteAnswerResult {
        let theirs = try await read { db in
            try Queries.outgoingInvites(room: room, in: db).filter { $0.contactPubkey == sender }
        }
        let open = theirs.filter(\.state.isOpen)
        // Declined already and nothing left open: the same answer again.
        if open.isEmpty, theirs.contains(where: { $0.state == .declined }) { return .duplicate }
        let answered = open.filter { $0.requestedAt <= answeredAt.saturatingAdd(clockSkew) }
        if answered.isEmpty { return open.isEmpty ? .noSuchCall : .stale }
        for invite in answered {
            do { try await recordRemoteDeclined(invite.inviteId, busy: busy) } catch .rejected { continue }
        }
        return .applied
    }
}
