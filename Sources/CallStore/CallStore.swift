import CrowSecurity
import Decisions
public import GRDB
public import Ledger
public import Projections

/// The gateway's one database type. Every write method is named for what it does; each reads the state
/// it needs, asks a decision for events, and appends them with the versions it read. When another
/// writer got there first (a version conflict) it reads again and decides again, so concurrent
/// commands on one room or token are serialized without locks and without lost updates.
public final class CallStore: Sendable {
    /// The ledger this store appends to. Not public: every write goes through a method named for
    /// what it does, and reads go through `read`, on read-only snapshots.
    let ledger: EventStore
    public let settings: CallSettings

    /// A secret handed out once and stored only as a hash.
    public struct IssuedToken: Sendable, Hashable {
        public var id: String
        public var secret: String
        public var expiresAt: Int64
    }

    public struct CreatedRoom: Sendable, Hashable {
        public var code: String
        public var hostToken: IssuedToken
        public var guest: IssuedGuest?
    }

    public struct IssuedGuest: Sendable, Hashable {
        public var token: IssuedToken
        /// Set when an invite was queued for a contact.
        public var inviteId: String?
    }

    /// Who a new guest link is for. With `invite`, an invite is queued in the same transaction.
    public struct GuestRequest: Sendable {
        public var label: String?
        public var invite: InviteDraft?

        public init(label: String? = nil, invite: InviteDraft? = nil) {
            self.label = label
            self.invite = invite
        }
    }

    /// An invite to queue for a contact. `makeEvents` receives the room code and the guest token's
    /// secret and returns the signed Nostr events that carry them, encrypted to the contact.
    public struct InviteDraft: Sendable {
        public var contactPubkey: String
        public var transport: InviteTransport
        public var makeEvents: @Sendable (_ roomCode: String, _ guestSecret: String) throws -> [JSONValue]

        public init(
            contactPubkey: String,
            transport: InviteTransport,
            makeEvents: @escaping @Sendable (_ roomCode: String, _ guestSecret: String) throws -> [JSONValue]
        ) {
            self.contactPubkey = contactPubkey
            self.transport = transport
            self.makeEvents = makeEvents
        }
    }

    /// A successful join.
    public struct Admission: Sendable, Hashable {
        public var peerId: String
        public var tokenId: String
        public var role: TokenRole
        public var displayName: String
        public var room: RoomRecord
        /// Everyone in the room, the new peer included, in join order.
        public var peers: [RoomPeerRecord]
        /// The ledger position of the `peer.joined`: followers of the feed have seen the join once
        /// they are past it.
        public var position: Int64
    }

    /// A room link that would admit someone now (`previewLink`).
    public struct LinkPreview: Sendable, Hashable {
        public var roomCode: String
        public var hostName: String
        public var role: TokenRole
        public var maxPeers: Int
        public var peerCount: Int
        public var expiresAt: Int64
    }

    /// Commands on `ledger`, which must carry the call projections (`CallProjector`).
    public init(ledger: EventStore, settings: CallSettings) {
        self.ledger = ledger
        self.settings = settings
    }

    /// Opens the ledger file with the call projections.
    public convenience init(ledger configuration: LedgerConfiguration, settings: CallSettings) throws(CallError) {
        self.init(ledger: try Self.openLedger(configuration), settings: settings)
    }

    /// Opens (creating and migrating if needed) a ledger file with the call projections.
    public static func openLedger(_ configuration: LedgerConfiguration) throws(CallError) -> EventStore {
        do {
            return try EventStore(configuration: configuration, projector: CallProjector())
        } catch let error as LedgerError {
            throw .ledger(error)
        } catch {
            throw .ledger(.storage(String(describing: error)))
        }
    }

    /// Committed events in position order, for followers (signaling, and later the live stream).
    public var feed: LedgerFeed { ledger.feed }

    /// Where the ledger file is.
    public var ledgerPath: String { ledger.configuration.path }

    /// Commit counters of the ledger since it was opened.
    public var statistics: EventStore.Statistics { ledger.statistics }

    /// Closes the ledger file (after its feed's followers have been ended).
    public func close() throws {
        try ledger.close()
    }

    // MARK: - Rooms

    public func createRoom(
        hostName: String,
        maxPeers: Int? = nil,
        createdBy: RoomCreator,
        guest: GuestRequest? = nil
    ) async throws(CallError) -> CreatedRoom {
        let settings = self.settings
        let maxPeers = maxPeers ?? settings.peerLimit
        // A fresh code, token and ids on every attempt: a collision on the room code is a version conflict.
        return try await execute { db in
            let now = settings.clock()
            let code = Secrets.roomCode()
            let host = Self.newToken(now: now, ttl: settings.roomTTL)
            var appends = try RoomDecisions.create(
                RoomDecisions.CreateRoom(
                    code: code,
                    hostName: hostName,
                    maxPeers: maxPeers,
                    createdBy: createdBy,
                    hostToken: host.new,
                    now: now,
                    ttl: settings.roomTTL
                ),
                existing: try Queries.room(code, in: db),
                peerLimit: settings.peerLimit
            )
            var issuedGuest: IssuedGuest?
            if let guest {
                // The room does not exist yet: decide against the state it will have once created.
                let pending = Self.pendingRoom(appends)
                let (guestAppends, issued) = try Self.guestAppends(guest, room: pending, now: now, settings: settings)
                appends += guestAppends
                issuedGuest = issued
            }
            let room = CreatedRoom(
                code: code,
                hostToken: host.issued(expiresAt: now + settings.roomTTL),
                guest: issuedGuest
            )
            return (appends, room)
        }
    }

    /// A new single-use guest link for a room, optionally with an invite queued for a contact.
    public func issueGuestToken(room code: String, guest: GuestRequest) async throws(CallError) -> IssuedGuest {
        let settings = self.settings
        return try await execute { db in
            let now = settings.clock()
            let room = try StateLoader.room(code, in: db)
            let (appends, issued) = try Self.guestAppends(guest, room: room, now: now, settings: settings)
            // The link is only good while the room is live: if the room changes (ends) before this
            // commits, the append is refused and decided again.
            let condition = StreamAppend.condition(stream: StreamName.room(code), expected: .exact(room?.version ?? 0))
            return (appends + [condition], issued)
        }
    }

    /// A new single-use host link for a live room: the owner takes the host's part again after closing
    /// the call's tab (the first host link was used). Good for the guest-link lifetime, never past the room.
    public func issueHostToken(room code: String) async throws(CallError) -> IssuedToken {
        let settings = self.settings
        return try await execute { db in
            let now = settings.clock()
            let room = try StateLoader.room(code, in: db)
            let drawn = Self.newToken(now: now, ttl: settings.tokenTTL)
            let appends = try TokenDecisions.issue(
                room: room, token: drawn.new, role: .host, label: nil, invitee: nil, now: now, ttl: settings.tokenTTL)
            guard case .tokenIssued(let issued) = appends[0].events[0] else {
                throw Rejection.invalidRequest("token issue produced no token")
            }
            let condition = StreamAppend.condition(stream: StreamName.room(code), expected: .exact(room?.version ?? 0))
            return (appends + [condition], drawn.issued(expiresAt: issued.expiresAt))
        }
    }

    /// Admits the holder of `token` to room `code`: appends `token.used` and `peer.joined` together.
    /// Of any number of concurrent joins with one token, exactly one succeeds.
    public func admit(room code: String, token secret: String, displayName: String) async throws(CallError) -> Admission {
        let settings = self.settings
        let presented = Secrets.hash(secret)
        let peerId = Secrets.identifier()
        let (admission, recorded) = try await executeRecording { db in
            let room = try StateLoader.room(code, in: db)
            let token = try StateLoader.token(hash: presented, in: db)
            let appends = try RoomDecisions.admit(
                roomCode: code,
                room: room,
                token: token,
                presentedHash: presented,
                peerId: peerId,
                displayName: displayName,
                now: settings.clock()
            )
            guard let room, let token, case .peerJoined(let joined) = appends[1].events[0] else {
                throw Rejection.invalidRequest("admission produced no join")
            }
            let me = RoomPeerRecord(
                roomCode: code,
                peerId: peerId,
                displayName: joined.displayName,
                tokenId: token.value.tokenId,
                joinedAt: settings.clock()
            )
            let admission = Admission(
                peerId: peerId,
                tokenId: token.value.tokenId,
                role: token.value.role,
                displayName: joined.displayName,
                room: room.room,
                peers: room.peers + [me],
                position: 0
            )
            return (appends, admission)
        }
        var admitted = admission
        admitted.position = recorded.last?.position ?? 0
        return admitted
    }

    /// What a room link would do if it were used now, without using it: the same checks, in the same
    /// order, as `admit`, on one snapshot, with nothing appended. The call page asks this when it loads
    /// (a used or expired link is explained before anyone clicks Join) and again after a refused join,
    /// because a browser's WebSocket API does not show the HTTP answer to a refused upgrade.
    public func previewLink(room code: String, token secret: String) async throws(CallError) -> LinkPreview {
        let settings = self.settings
        let presented = Secrets.hash(secret)
        do {
            return try await ledger.read { db in
                let room = try StateLoader.room(code, in: db)
                let token = try StateLoader.token(hash: presented, in: db)
                _ = try RoomDecisions.admit(
                    roomCode: code,
                    room: room,
                    token: token,
                    presentedHash: presented,
                    peerId: Secrets.identifier(),
                    displayName: "",
                    now: settings.clock()
                )
                guard let room, let token else { throw Rejection.tokenInvalid }
                return LinkPreview(
                    roomCode: code,
                    hostName: room.room.hostName,
                    role: token.value.role,
                    maxPeers: room.room.maxPeers,
                    peerCount: room.peers.count,
                    expiresAt: token.value.expiresAt
                )
            }
        } catch let rejection as Rejection {
            throw .rejected(rejection)
        } catch {
            throw .ledger(.storage(String(describing: error)))
        }
    }

    public func leave(room code: String, peerId: String, reason: LeaveReason) async throws(CallError) {
        try await execute { db in
            (try RoomDecisions.leave(room: try StateLoader.room(code, in: db), peerId: peerId, reason: reason), ())
        }
    }

    /// Ends a room. `.closed`: kicks everyone and revokes unused tokens; `.empty`: only when nobody is in it.
    /// Returns the peers that were removed.
    @discardableResult
    public func endRoom(_ code: String, reason: RoomEndReason) async throws(CallError) -> [RoomPeerRecord] {
        let settings = self.settings
        return try await execute { db in
            let room = try StateLoader.room(code, in: db)
            let appends = try RoomDecisions.end(
                room: room,
                reason: reason,
                unusedTokens: try StateLoader.tokens(room: code, in: db).filter { $0.value.state == .issued },
                openInvites: try StateLoader.outgoing(room: code, in: db),
                now: settings.clock()
            )
            return (appends, reason == .empty ? [] : room?.peers ?? [])
        }
    }

    public func revokeToken(id: String) async throws(CallError) {
        try await execute { db in
            (try TokenDecisions.revoke(token: try StateLoader.token(id: id, in: db), reason: .owner), ())
        }
    }

    /// Closes the seats of everyone still marked present, as `peer.left(restart)`: after a crash nobody is
    /// connected any more. Returns how many seats were closed.
    @discardableResult
    public func recoverAfterRestart() async throws(CallError) -> Int {
        let present: [RoomPeerRecord]
        do {
            present = try await ledger.read { db in try Queries.allPresentPeers(in: db) }
        } catch {
            throw .ledger(.storage(String(describing: error)))
        }
        var closed = 0
        for peer in present {
            do {
                try await leave(room: peer.roomCode, peerId: peer.peerId, reason: .restart)
                closed += 1
            } catch .rejected(.peerNotFound) {
                continue  // someone else closed it meanwhile
            }
        }
        return closed
    }

    // MARK: - Invites

    public func recordInviteSent(_ inviteId: String, relays: [RelayOutcome], attempts: Int) async throws(CallError) {
        try await execute { db in
            (try InviteDecisions.recordSent(invite: try StateLoader.outgoing(inviteId, in: db), relays: relays, attempts: attempts), ())
        }
    }

    public func recordInviteFailed(
        _ inviteId: String,
        relays: [RelayOutcome],
        attempts: Int,
        reason: String
    ) async throws(CallError) {
        try await execute { db in
            let invite = try StateLoader.outgoing(inviteId, in: db)
            return (try InviteDecisions.recordFailed(invite: invite, relays: relays, attempts: attempts, reason: reason), ())
        }
    }

    public func recordRemoteDeclined(_ inviteId: String, busy: Bool) async throws(CallError) {
        try await execute { db in
            (try InviteDecisions.remoteDeclined(invite: try StateLoader.outgoing(inviteId, in: db), busy: busy), ())
        }
    }

    public func cancelOutgoingInvite(_ inviteId: String) async throws(CallError) {
        try await execute { db in
            (try InviteDecisions.cancelOutgoing(invite: try StateLoader.outgoing(inviteId, in: db), reason: "owner"), ())
        }
    }

    /// Records a verified invite from a contact. The same Nostr event twice is a `duplicateInvite`.
    public func receiveInvite(_ invite: InviteReceived) async throws(CallError) {
        try await execute { db in
            let seen = try Queries.incomingCall(nostrEventId: invite.nostrEventId, in: db) != nil
            return (try InviteDecisions.receive(invite, alreadyReceived: seen), ())
        }
    }

    public func dismissIncoming(_ inviteId: String) async throws(CallError) {
        try await execute { db in (try InviteDecisions.dismiss(try StateLoader.incoming(inviteId, in: db)), ()) }
    }

    public func acceptIncoming(_ inviteId: String) async throws(CallError) {
        try await execute { db in (try InviteDecisions.accept(try StateLoader.incoming(inviteId, in: db)), ()) }
    }

    public func declineIncoming(_ inviteId: String) async throws(CallError) {
        try await execute { db in (try InviteDecisions.decline(try StateLoader.incoming(inviteId, in: db)), ()) }
    }

    public func recordRemoteCancelled(_ inviteId: String, reason: String) async throws(CallError) {
        try await execute { db in
            (try InviteDecisions.remoteCancelled(try StateLoader.incoming(inviteId, in: db), reason: reason), ())
        }
    }

    // MARK: - Reads

    /// Runs a read on a consistent snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(CallError) -> T {
        do {
            return try await ledger.read(body)
        } catch {
            throw .ledger(.storage(String(describing: error)))
        }
    }

    // MARK: - The command loop

    /// Reads, decides and appends; on a version conflict, reads and decides again (a bounded number of times).
    @discardableResult
    func execute<T: Sendable>(
        _ decide: @escaping @Sendable (Database) throws -> ([StreamAppend], T)
    ) async throws(CallError) -> T {
        try await executeRecording(decide).0
    }

    /// `execute`, also returning the events as recorded (with their positions).
    func executeRecording<T: Sendable>(
        _ decide: @escaping @Sendable (Database) throws -> ([StreamAppend], T)
    ) async throws(CallError) -> (T, [RecordedEvent]) {
        var attempt = 0
        while true {
            attempt += 1
            let plan: ([StreamAppend], T)
            do {
                plan = try await ledger.read(decide)
            } catch let rejection as Rejection {
                throw .rejected(rejection)
            } catch {
                throw .ledger(.storage(String(describing: error)))
            }
            do {
                let recorded = try await ledger.append(plan.0)
                return (plan.1, recorded)
            } catch .versionConflict(let stream, let expected, let actual) where attempt < 16 {
                _ = (stream, expected, actual)
                continue
            } catch {
                throw .ledger(error)
            }
        }
    }

    // MARK: - Helpers

    private struct DrawnToken {
        let new: NewToken
        let secret: String
        func issued(expiresAt: Int64) -> IssuedToken { IssuedToken(id: new.id, secret: secret, expiresAt: expiresAt) }
    }

    private static func newToken(now: Int64, ttl: Int64) -> DrawnToken {
        let secret = Secrets.token()
        return DrawnToken(new: NewToken(id: Secrets.orderedIdentifier(now: now), hash: Secrets.hash(secret)), secret: secret)
    }

    private static func guestAppends(
        _ guest: GuestRequest,
        room: RoomState?,
        now: Int64,
        settings: CallSettings
    ) throws -> ([StreamAppend], IssuedGuest) {
        let drawn = newToken(now: now, ttl: settings.tokenTTL)
        var appends = try TokenDecisions.issue(
            room: room,
            token: drawn.new,
            role: .guest,
            label: guest.label,
            invitee: guest.invite?.contactPubkey,
            now: now,
            ttl: settings.tokenTTL
        )
        guard case .tokenIssued(let issued) = appends[0].events[0] else {
            throw Rejection.invalidRequest("token issue produced no token")
        }
        var inviteId: String?
        if let draft = guest.invite, let room {
            let id = Secrets.orderedIdentifier(now: now)
            appends += try InviteDecisions.request(
                room: room,
                inviteId: id,
                contactPubkey: draft.contactPubkey,
                transport: draft.transport,
                tokenId: drawn.new.id,
                nostrEvents: try draft.makeEvents(room.room.code, drawn.secret)
            )
            inviteId = id
        }
        return (appends, IssuedGuest(token: drawn.issued(expiresAt: issued.expiresAt), inviteId: inviteId))
    }

    /// The state a room will have once the `room.created` in `appends` is written.
    private static func pendingRoom(_ appends: [StreamAppend]) -> RoomState? {
        for append in appends {
            for event in append.events {
                if case .roomCreated(let created) = event {
                    return RoomState(
                        room: RoomRecord(
                            code: created.code,
                            hostName: created.hostName,
                            maxPeers: created.maxPeers,
                            createdBy: created.createdBy.rawValue,
                            createdAt: 0,
                            expiresAt: created.expiresAt,
                            state: .live,
                            peerCount: 0
                        ),
                        peers: [],
                        version: 0
                    )
                }
            }
        }
        return nil
    }
}
