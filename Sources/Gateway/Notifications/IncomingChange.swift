import Foundation
import Ledger
import Projections

/// One change to the owner's incoming calls, as the live stream sends it: a Server-Sent Event whose
/// `id` is the ledger position of the change (absent for `expired`, which no event records).
struct IncomingChange: Sendable, Equatable {
    enum Kind: String, Sendable {
        case received, accepted, dismissed, declined, missed, expired
    }

    var kind: Kind
    var inviteId: String
    var position: Int64?
    /// JSON text on one line.
    var data: String

    /// The change an event makes to the incoming calls, if any. `endedInvite` is the projections'
    /// classifier (`Queries.endedInvite(by:in:)`): cancellations and declines exist for outgoing invites
    /// too, and only those of incoming calls are changes here.
    static func from(
        _ recorded: RecordedEvent,
        ringWindow: Int64,
        endedInvite: (LedgerEvent) async throws -> EndedInvite?
    ) async throws -> IncomingChange? {
        switch recorded.event {
        case .inviteReceived(let e):
            let call = RingingCall(received: e, ringWindow: ringWindow)
            return IncomingChange(kind: .received, inviteId: e.inviteId, position: recorded.position, data: try Self.json(call))
        case .inviteAccepted(let e):
            return simple(.accepted, e.inviteId, recorded)
        case .inviteDismissed(let e):
            return simple(.dismissed, e.inviteId, recorded)
        case .inviteDeclined(let e):
            guard case .incoming = try await endedInvite(recorded.event) else { return nil }
            return simple(.declined, e.inviteId, recorded)
        case .inviteCancelled(let e):
            guard case .incoming = try await endedInvite(recorded.event) else { return nil }
            return simple(.missed, e.inviteId, recorded)
        default:
            return nil
        }
    }

    static func expired(_ inviteId: String) -> IncomingChange {
        IncomingChange(kind: .expired, inviteId: inviteId, position: nil, data: idJSON(inviteId))
    }

    /// The event in the text/event-stream format.
    var text: String {
        var text = ""
        if let position { text += "id: \(position)\n" }
        return text + "event: \(kind.rawValue)\ndata: \(data)\n\n"
    }

    private static func simple(_ kind: Kind, _ id: String, _ recorded: RecordedEvent) -> IncomingChange {
        IncomingChange(kind: kind, inviteId: id, position: recorded.position, data: idJSON(id))
    }

    private static func idJSON(_ id: String) -> String {
        (try? json(["id": id])) ?? "{}"
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONBody.encode(value), as: UTF8.self)
    }
}
