public import CallStore
import CrowSecurity
import Decisions
import Ledger

/// Realistic call traffic driven through the real decisions and the real append path: outgoing invites
/// that are answered, declined or cancelled, incoming calls that are accepted, declined, dismissed,
/// cancelled or missed, link-only rooms with guests, reused links and revoked tokens. Used by
/// `crow-ledger simulate` and by the property tests. Every invite it queues is resolved (sent or failed)
/// before the call ends, so a simulation never leaves work for a real outbox.
///
/// With `chaos` above zero it also fires random commands at random rooms, peers, tokens and invites it
/// has seen; most are refused, which is the point: refusals must leave the ledger consistent.
public struct CallSimulator {
    public struct Summary: Sendable, Equatable {
        public var calls = 0
        public var commands = 0
        public var accepted = 0
        /// Refused commands by rejection code.
        public var rejections: [String: Int] = [:]
    }

    public let store: CallStore
    public let clock: SimulatedClock
    public var chaos: Double
    private var random: SeededRandom
    private var summary = Summary()
    private var rooms: [String] = []
    private var peers: [(room: String, peer: String)] = []
    private var secrets: [(room: String, secret: String, id: String)] = []
    private var incoming: [InviteReceived] = []
    private var outgoing: [String] = []

    private static let names = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Radia", "Edsger", "Frances"]
    private static let reasons: [LeaveReason] = [.hangup, .hangup, .hangup, .disconnect, .timeout]

    public init(store: CallStore, clock: SimulatedClock, seed: UInt64, chaos: Double = 0) {
        self.store = store
        self.clock = clock
        self.chaos = chaos
        self.random = SeededRandom(seed: seed)
    }

    /// Runs `calls` calls one after another and returns what happened. Storage failures are thrown;
    /// refusals are counted.
    public mutating func run(calls: Int, progress: ((Int) -> Void)? = nil) async throws(CallError) -> Summary {
        guard calls > 0 else { return summary }
        for call in 1...calls {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40: try await outgoingCall()
            case 40..<75: try await incomingCall()
            default: try await linkRoom()
            }
            summary.calls += 1
            while Double.random(in: 0..<1, using: &random) < chaos { try await chaosCommand() }
            tick(seconds: 60...900)
            progress?(call)
        }
        return summary
    }

    // MARK: - Scenarios

    private mutating func outgoingCall() async throws(CallError) {
        let contact = hex(32)
        let transport = InviteTransport.allCases.randomElement(using: &random)!
        let (hostName, guestName) = (name(), name())
        let creator = [RoomCreator.panel, .api, .mcp].randomElement(using: &random)!
        let created = try await attempt { [self] in
            try await store.createRoom(
                hostName: hostName,
                createdBy: creator,
                guest: CallStore.GuestRequest(
                    label: guestName,
                    invite: CallStore.InviteDraft(contactPubkey: contact, transport: transport) { _, _ in
                        // Stands in for the gift-wrapped event; the real one is opaque ciphertext too.
                        [.object(["kind": .number(1059), "content": .string("simulated"), "tags": .array([.array([.string("p"), .string(contact)])])])]
                    }
                )
            )
        }
        guard let created, let guest = created.guest, let inviteId = guest.inviteId else { return }
        rooms.append(created.code)
        outgoing.append(inviteId)
        secrets.append((created.code, guest.token.secret, guest.token.id))
        tick(seconds: 1...4)
        let delivered = Int.random(in: 0..<100, using: &random) < 85
        if delivered {
            let relays = [RelayOutcome(url: "ws://127.0.0.1:7777", ok: true), RelayOutcome(url: "ws://127.0.0.1:7778", ok: Bool.random(using: &random))]
            _ = try await attempt { [self] in try await store.recordInviteSent(inviteId, relays: relays, attempts: 1) }
        } else {
            let relays = [RelayOutcome(url: "ws://127.0.0.1:7777", ok: false, message: "connection refused")]
            _ = try await attempt { [self] in
                try await store.recordInviteFailed(inviteId, relays: relays, attempts: 5, reason: "no relay accepted the event")
            }
        }
        let host = try await join(created.code, secret: created.hostToken.secret, as: hostName)
        tick(seconds: 5...40)
        var guestPeer: String?
        if delivered {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<60: guestPeer = try await join(created.code, secret: guest.token.secret, as: guestName)
            case 60..<80:
                let busy = Bool.random(using: &random)
                _ = try await attempt { [self] in try await store.recordRemoteDeclined(inviteId, busy: busy) }
            default: _ = try await attempt { [self] in try await store.cancelOutgoingInvite(inviteId) }
            }
        }
        if let guestPeer {
            tick(seconds: 30...1800)
            try await leave(created.code, guestPeer)
        }
        if let host { try await leave(created.code, host) }
        _ = try await attempt { [self] in try await store.endRoom(created.code, reason: .empty) }
    }

    private mutating func incomingCall() async throws(CallError) {
        let room = hex(6)
        let invite = InviteReceived(
            inviteId: hex(8),
            nostrEventId: hex(32),
            senderPubkey: hex(32),
            senderName: name(),
            room: room,
            joinUrl: "https://calls.example.net/join/\(room)",
            sentAt: clock.now - Int64.random(in: 200...3000, using: &random),
            receivedAt: clock.now
        )
        guard try await attempt({ [self] in try await store.receiveInvite(invite) }) != nil else { return }
        incoming.append(invite)
        tick(seconds: 2...50)
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<50: _ = try await attempt { [self] in try await store.acceptIncoming(invite.inviteId) }
        case 50..<65: _ = try await attempt { [self] in try await store.declineIncoming(invite.inviteId) }
        case 65..<75: _ = try await attempt { [self] in try await store.dismissIncoming(invite.inviteId) }
        case 75..<85: _ = try await attempt { [self] in try await store.recordRemoteCancelled(invite.inviteId, reason: "hung_up") }
        default: break  // nobody answers: it rings out and counts as missed
        }
    }

    private mutating func linkRoom() async throws(CallError) {
        let maxPeers = Int.random(in: 2...max(2, store.settings.peerLimit), using: &random)
        let hostName = name()
        let creator = [RoomCreator.panel, .cli, .api].randomElement(using: &random)!
        guard let created = try await attempt({ [self] in
            try await store.createRoom(hostName: hostName, maxPeers: maxPeers, createdBy: creator)
        }) else { return }
        rooms.append(created.code)
        var present: [String] = []
        if let host = try await join(created.code, secret: created.hostToken.secret, as: hostName) { present.append(host) }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            tick(seconds: 1...30)
            let label = name()
            guard let guest = try await attempt({ [self] in
                try await store.issueGuestToken(room: created.code, guest: CallStore.GuestRequest(label: label))
            }) else { continue }
            secrets.append((created.code, guest.token.secret, guest.token.id))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<70:
                if let peer = try await join(created.code, secret: guest.token.secret, as: label) { present.append(peer) }
                // A forwarded link used a second time is refused.
                if Int.random(in: 0..<100, using: &random) < 15 { _ = try await join(created.code, secret: guest.token.secret) }
            case 70..<85:
                _ = try await attempt { [self] in try await store.revokeToken(id: guest.token.id) }
            default: break  // the link is never used
            }
        }
        tick(seconds: 60...2400)
        if Bool.random(using: &random) {
            _ = try await attempt { [self] in try await store.endRoom(created.code, reason: .closed) }
        } else {
            for peer in present.shuffled(using: &random) {
                try await leave(created.code, peer)
                tick(seconds: 1...20)
            }
            _ = try await attempt { [self] in try await store.endRoom(created.code, reason: .empty) }
        }
    }

    /// One random command at something seen before; usually refused.
    private mutating func chaosCommand() async throws(CallError) {
        switch Int.random(in: 0..<8, using: &random) {
        case 0:
            if let target = secrets.randomElement(using: &random) { _ = try await join(target.room, secret: target.secret) }
        case 1:
            if let target = peers.randomElement(using: &random) { try await leave(target.room, target.peer) }
        case 2:
            if let code = rooms.randomElement(using: &random) {
                let reason = RoomEndReason.allCases.randomElement(using: &random)!
                _ = try await attempt { [self] in try await store.endRoom(code, reason: reason) }
            }
        case 3:
            if let target = secrets.randomElement(using: &random) { _ = try await attempt { [self] in try await store.revokeToken(id: target.id) } }
        case 4:
            if let invite = incoming.randomElement(using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0: _ = try await attempt { [self] in try await store.dismissIncoming(invite.inviteId) }
                case 1: _ = try await attempt { [self] in try await store.acceptIncoming(invite.inviteId) }
                case 2: _ = try await attempt { [self] in try await store.declineIncoming(invite.inviteId) }
                default: _ = try await attempt { [self] in try await store.receiveInvite(invite) }  // a relay delivers it twice
                }
            }
        case 5:
            if let id = outgoing.randomElement(using: &random) { _ = try await attempt { [self] in try await store.cancelOutgoingInvite(id) } }
        case 6:
            _ = try await join(Secrets.roomCode(), secret: Secrets.token())  // a guessed link
        default:
            if let code = rooms.randomElement(using: &random) {
                _ = try await attempt { [self] in try await store.issueGuestToken(room: code, guest: CallStore.GuestRequest()) }
            }
        }
    }

    // MARK: - Helpers

    private mutating func join(_ room: String, secret: String, as person: String? = nil) async throws(CallError) -> String? {
        let displayName = person ?? name()
        guard let admission = try await attempt({ [self] in try await store.admit(room: room, token: secret, displayName: displayName) })
        else { return nil }
        peers.append((room, admission.peerId))
        return admission.peerId
    }

    private mutating func leave(_ room: String, _ peer: String) async throws(CallError) {
        let reason = Self.reasons.randomElement(using: &random)!
        _ = try await attempt { [self] in try await store.leave(room: room, peerId: peer, reason: reason) }
    }

    /// Runs one command: a refusal is counted and gives nil, a storage failure is thrown.
    /// (The closures are untyped because Swift does not infer typed throws for them; every command
    /// here throws only `CallError`.)
    private mutating func attempt<T: Sendable>(_ command: () async throws -> T) async throws(CallError) -> T? {
        summary.commands += 1
        do {
            let value = try await command()
            summary.accepted += 1
            return value
        } catch CallError.rejected(let rejection) {
            summary.rejections[rejection.code, default: 0] += 1
            return nil
        } catch let error as CallError {
            throw error
        } catch {
            throw .ledger(.storage(String(describing: error)))
        }
    }

    private mutating func tick(seconds range: ClosedRange<Int64>) {
        clock.advance(by: Int64.random(in: range, using: &random) * 1000)
    }

    private mutating func name() -> String { Self.names.randomElement(using: &random)! }

    private mutating func hex(_ bytes: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<bytes * 2).map { _ in digits[Int.random(in: 0..<16, using: &random)] })
    }
}
