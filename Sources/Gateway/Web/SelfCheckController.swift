import CallStore
import CrowSecurity
import Decisions
import Foundation
import Hummingbird
import OwnerStore
import Projections
import Signaling

/// The owner's part of the self-test page `/calls/check` (docs/WEB.md), under `/api` (owner only):
///
/// - `GET /api/calls/check/ice`: the ICE servers a participant is handed in a call's `welcome`, with
///   TURN credentials issued the same way (`IceServerProvider`) but for ten minutes, so the page can
///   gather candidates against them: a relay candidate means the TURN server took the credentials.
/// - `GET /api/calls/check/invites`: the last invites sent and received, with their state.
///
/// The credentials are a secret of the owner's: they are only in this answer (`no-store`), never in a
/// log, and never on a public route (`/calls/client.json` only says which kinds of server exist).
struct SelfCheckController: Sendable {
    let store: CallStore
    let owners: OwnerStore
    let iceServers: IceServerProvider
    /// How long the self-test's TURN credentials last, in seconds.
    static let credentialLifetime: Int64 = 600
    /// Invites listed each way.
    static let invitesListed = 5

    struct Ice: Encodable {
        var iceServers: [IceServer]
        var stun: Bool
        var turn: Bool
        /// When the TURN credentials stop working (unix ms); absent without TURN.
        var expiresAt: Int64?
    }

    struct SentInvite: Encodable {
        var id, roomCode, contactPubkey, transport: String
        /// The contact's name in the address book, when the contact is still in it.
        var contactName: String?
        var status: OutgoingInviteState
        var attempts: Int
        var relaysOk: Int
        var error: String?
        var requestedAt: Int64
        var updatedAt: Int64
    }

    struct ReceivedInvite: Encodable {
        var id, senderName, senderPubkey, roomCode: String
        var status: IncomingCallStatus
        var receivedAt: Int64
    }

    struct Invites: Encodable {
        var sent: [SentInvite]
        var received: [ReceivedInvite]
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("calls/check/ice") { _, _ in try ice() }
        group.get("calls/check/invites") { _, _ in try await invites() }
    }

    func ice() throws -> Response {
        var provider = iceServers
        provider.ttl = Self.credentialLifetime
        let now = store.settings.clock()
        // The username's second part names the self-test, where a participant's names their peer id.
        let servers = provider.servers(for: "check-" + Secrets.identifier().prefix(8), now: now)
        let turn = servers.contains { $0.credential != nil }
        return try JSONBody.response(
            Ice(
                iceServers: servers,
                stun: !provider.stunURLs.isEmpty,
                turn: turn,
                expiresAt: turn ? (now / 1000 + Self.credentialLifetime) * 1000 : nil
            )
        )
    }

    func invites() async throws -> Response {
        let now = store.settings.clock()
        let ringWindow = store.settings.ringWindow
        let limit = Self.invitesListed
        let (sent, received) = try await ErrorStatus.answering {
            try await store.read { db in
                (try Queries.latestOutgoingInvites(limit: limit, in: db), try Queries.latestIncomingCalls(limit: limit, in: db))
            }
        }
        let contacts = try await ErrorStatus.answering { try await owners.contacts() }
        let names = Dictionary(contacts.map { ($0.pubkey, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try JSONBody.response(
            Invites(
                sent: sent.map {
                    SentInvite(
                        id: $0.inviteId, roomCode: $0.roomCode, contactPubkey: $0.contactPubkey, transport: $0.transport,
                        contactName: names[$0.contactPubkey], status: $0.state, attempts: $0.attempts, relaysOk: $0.relaysOk,
                        error: $0.lastError, requestedAt: $0.requestedAt, updatedAt: $0.updatedAt
                    )
                },
                received: received.map {
                    ReceivedInvite(
                        id: $0.inviteId, senderName: $0.senderName, senderPubkey: $0.senderPubkey, roomCode: $0.roomCode,
                        status: $0.status(now: now, ringWindow: ringWindow), receivedAt: $0.receivedAt
                    )
                }
            )
        )
    }
}
